import * as E from 'fp-ts/Either';
import { CommandInput } from '../../src/domain/commands';
import { decode } from '../../src/domain/validation';

const message = (input: unknown) => {
  const r = decode(CommandInput, input);
  if (E.isRight(r)) throw new Error('expected a VALIDATION error');
  expect(r.left.code).toBe('VALIDATION');
  return r.left.message;
};
const consume = { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1.25', requestId: 'r-1' };

describe('command input (section 7 formats)', () => {
  test('a well-formed command decodes', () => expect(decode(CommandInput, consume)).toEqual(E.right(consume)));

  test('credits with 3 places names the field, the rule and the value', () =>
    expect(message({ ...consume, credits: '1.234' })).toBe('credits: must be a decimal above 0 with at most 2 places, as a string such as "2500" or "12.50", got "1.234"'));

  test.each([['0'], ['-5'], ['1e3'], [' 1'], ['NaN'], ['1.'], [12]])('credits %p is rejected', (credits) =>
    expect(message({ ...consume, credits })).toMatch(/^credits: must be/));

  test('credits as a JSON number is told to be a string', () =>
    expect(message({ ...consume, credits: 2500 })).toBe('credits: must be a decimal above 0 with at most 2 places, as a string such as "2500" or "12.50", got 2500'));

  test('a month past 12 says months run from 01 to 12', () =>
    expect(message({ type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '1000', price: '20', fromMonth: '2026-13' })).toBe('fromMonth: must be a month as YYYY-MM (months 01 to 12), got "2026-13"'));

  test('a missing field is named', () => expect(message({ type: 'Subscribe', profileId: 'p-1', tier: 'PRO' })).toBe('userId: is required'));

  test('an unknown field is rejected, not stripped', () => expect(message({ ...consume, extra: 1 })).toBe('extra: unknown field'));

  test('a __proto__ key is an unknown field', () => expect(message(JSON.parse('{"type":"SetOverage","profileId":"p","enabled":true,"__proto__":{"x":1}}'))).toBe('__proto__: unknown field'));

  test('an unknown command type is named', () => expect(message({ type: 'Refund' })).toMatch(/^type: must be one of DefineTier, CreateProfile/));

  test.each([
    ['accountId', { type: 'CreateProfile', profileId: 'p', accountId: '12345', region: 'us-east-1' }],
    ['region', { type: 'CreateProfile', profileId: 'p', accountId: '444455556666', region: 'Mars' }],
    ['tier', { type: 'Subscribe', profileId: 'p', userId: 'u', tier: 'pro plus' }],
    ['userId', { type: 'Subscribe', profileId: 'p', userId: 'a/b', tier: 'PRO' }],
    ['occurredAt', { type: 'SetOverage', profileId: 'p', enabled: true, occurredAt: '2026-02-30T00:00:00Z' }],
    ['occurredAt', { type: 'SetOverage', profileId: 'p', enabled: true, occurredAt: '2026-04-01T00:00:00+02:00' }],
    ['enabled', { type: 'SetOverage', profileId: 'p', enabled: 'yes' }],
    ['fromMonth', { type: 'DefineTier', tier: 'X', name: 'X', credits: '1', price: '1', fromMonth: '2026-13' }],
  ])('%s is checked', (field, input) => expect(message(input)).toMatch(new RegExp(`^${field}: must be`)));

  test.each([['us-east-1'], ['eu-central-1'], ['us-gov-west-1'], ['ap-southeast-2']])('Region %s is accepted', (region) =>
    expect(E.isRight(decode(CommandInput, { type: 'CreateProfile', profileId: 'p', accountId: '444455556666', region }))).toBe(true));

  test('a huge value is shown shortened in the message', () => expect(message({ ...consume, userId: 'x'.repeat(10_000) }).length).toBeLessThan(200));
});
