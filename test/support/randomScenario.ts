import fc from 'fast-check';
import { Scenario } from '../../src/simulation/scenario';

/**
 * Random command sequences over two profiles of one account, three users, three assignment keys and
 * three months (2026-03..05), with increasing instants, so that every rule gets exercised: upgrades
 * and downgrades through groups, cancellations, usage around the allowance, overage switches.
 * Some commands are meant to fail (unknown users, wrong direction); those must append nothing.
 */
export const PROFILES = ['p-1', 'p-2'] as const;
export const MONTHS = ['2026-03', '2026-04', '2026-05'] as const;
const users = fc.constantFrom('alice', 'bob', 'carol');
const groups = fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('g-1', 'g-2') });
const tiers = fc.constantFrom('PRO', 'PRO_PLUS', 'POWER');
const profile = fc.constantFrom(...PROFILES);
const credits = fc.oneof(
  fc.integer({ min: 1, max: 60_000 }).map((c) => (c / 100).toFixed(2)),
  fc.constantFrom('500', '1000', '2000', '0.01'),
);

const withGroup = <T extends object>(c: T, groupId: string | undefined) => (groupId === undefined ? c : { ...c, groupId });

/** One command of a profile's lifecycle or usage, undated. */
export const randomCommand = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(profile, users, groups, tiers).map(([p, u, g, t]) => withGroup({ type: 'Subscribe', profileId: p, userId: u, tier: t }, g)) },
  { weight: 2, arbitrary: fc.tuple(profile, users, groups).map(([p, u, g]) => withGroup({ type: 'Unsubscribe', profileId: p, userId: u }, g)) },
  { weight: 2, arbitrary: fc.tuple(profile, users, groups, tiers).map(([p, u, g, t]) => withGroup({ type: 'Upgrade', profileId: p, userId: u, tier: t }, g)) },
  { weight: 2, arbitrary: fc.tuple(profile, users, groups, tiers).map(([p, u, g, t]) => withGroup({ type: 'Downgrade', profileId: p, userId: u, tier: t }, g)) },
  { weight: 1, arbitrary: fc.tuple(profile, fc.boolean()).map(([p, enabled]) => ({ type: 'SetOverage', profileId: p, enabled })) },
  {
    weight: 4,
    arbitrary: fc.tuple(profile, users, credits, fc.integer({ min: 1, max: 40 })).map(([p, u, c, r]) => ({ type: 'ConsumeCredits', profileId: p, userId: u, credits: c, requestId: `r-${r}` })),
  },
);

const START = Date.parse('2026-03-01T00:00:00.000Z');
const END = Date.parse('2026-06-01T00:00:00.000Z');

/** Most sequences start with a few subscriptions, so that later commands mostly find someone. */
const opening = fc.array(
  fc.tuple(profile, users, groups, tiers).map(([p, u, g, t]) => withGroup({ type: 'Subscribe', profileId: p, userId: u, tier: t }, g)),
  { minLength: 2, maxLength: 6 },
);

export const randomScenario: fc.Arbitrary<Scenario> = fc
  .tuple(opening, fc.array(fc.tuple(randomCommand, fc.integer({ min: 0, max: 3 * 24 * 3600 })), { minLength: 5, maxLength: 40 }))
  .map(([first, rest]) => {
    const steps = [...first.map((c) => [c, 60] as const), ...rest];
    let t = START + 3600_000;
    const timed = steps.map(([c, gapSeconds]) => {
      t = Math.min(END - 1000, t + gapSeconds * 1000);
      return { at: new Date(t).toISOString(), command: c };
    });
    const creates = PROFILES.map((p, i) => ({
      at: '2026-03-01T00:00:00.000Z',
      command: { type: 'CreateProfile', profileId: p, accountId: '111122223333', region: i === 0 ? 'us-east-1' : 'eu-central-1' },
    }));
    return {
      steps: [...creates, ...timed],
      expect: PROFILES.flatMap((profileId) => MONTHS.map((month) => ({ profileId, month, total: '', users: {} }))),
      expectAccount: MONTHS.map((month) => ({ accountId: '111122223333', month, total: '' })),
    };
  });
