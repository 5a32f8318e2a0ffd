import { registryDecider } from '../../src/domain/registryDecider';
import { issuedSpec } from '../support/deciderSpecification';
import { profileCreated } from '../support/fixtures';

const spec = issuedSpec(registryDecider, '2026-03-02T00:00:00.000Z');
const create = (profileId: string, accountId: string, region: string) =>
  ({ type: 'CreateProfile', profileId, accountId, region, occurredAt: '2026-03-02T00:00:00.000Z' }) as const;

describe('registry decider (P1)', () => {
  test('CreateProfile records the profile', () =>
    spec
      .given([])
      .when({ ...create('p-1', '111122223333', 'us-east-1'), name: 'Main' })
      .then([{ type: 'ProfileCreated', data: { profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', name: 'Main', occurredAt: '2026-03-02T00:00:00.000Z' } }]));

  test('the same profile id is PROFILE_EXISTS', () =>
    spec.given([profileCreated('p-1')]).when(create('p-1', '444455556666', 'eu-west-1')).thenFails('PROFILE_EXISTS', /profile p-1 exists/));

  test('the same account and Region is PROFILE_EXISTS, naming the holder', () =>
    spec.given([profileCreated('p-1')]).when(create('p-2', '111122223333', 'us-east-1')).thenFails('PROFILE_EXISTS', /p-1/));

  test('the same account in another Region is a new profile', () =>
    spec.given([profileCreated('p-1')]).when(create('p-2', '111122223333', 'eu-central-1')).then([
      { type: 'ProfileCreated', data: { profileId: 'p-2', accountId: '111122223333', region: 'eu-central-1', name: null, occurredAt: '2026-03-02T00:00:00.000Z' } },
    ]));

  test('T4: a profile dated in a closed month is MONTH_CLOSED, before PROFILE_EXISTS (T5)', () =>
    issuedSpec(registryDecider, '2026-04-01T00:00:00.000Z').given([profileCreated('p-1')]).when(create('p-1', '111122223333', 'us-east-1')).thenFails('MONTH_CLOSED', /2026-03/));
});
