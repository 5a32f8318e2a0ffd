import { creditDecider, CreditState, CreditsState, evolveCredits, initialCreditsState, IssueCredit, monthsRead } from '../../src/domain/creditDecider';
import { CreditIssued, ProfileEvent, Recorded, Streams } from '../../src/domain/events';
import { Dec } from '../../src/domain/money';
import { profileInfoOf } from '../../src/domain/registryDecider';
import { Month } from '../../src/domain/time';
import { monthlyStatement, StatementInput, userStatementOf } from '../../src/projections/monthlyStatement';
import { UsageOfMonth } from '../../src/projections/usageOfMonth';
import { issuedSpec } from '../support/deciderSpecification';
import { genesis, profileCreated } from '../support/fixtures';

/**
 * The credit decider given what the shell gives it: the credited user's lines as the statement fold
 * shows them (userStatementOf), never lines written by hand, so that a line id here is one a
 * statement hands out.
 */
const profile = profileInfoOf(profileCreated('p-1', '2026-03-01T09:00:00.000Z'));
const NOW = '2026-04-15T00:00:00.000Z';
const alice = { profileId: 'p-1', userId: 'alice', groupId: null };
const lifecycle: ReadonlyArray<ProfileEvent> = [
  { type: 'UserSubscribed', data: { ...alice, tier: 'PRO', occurredAt: '2026-03-01T09:05:00.000Z' } },
  { type: 'SubscriptionUpgraded', data: { ...alice, fromTier: 'PRO', tier: 'PRO_PLUS', occurredAt: '2026-03-05T09:00:00.000Z' } },
];
const recordedLifecycle = lifecycle.map((event, position): Recorded<ProfileEvent> => ({ ref: { streamId: Streams.profile('p-1'), position, eventId: `l-${position}`, type: event.type }, globalPosition: position, event }));
/** 2500 credits in March: 500 over Pro+'s 2000, an OVERAGE of 20.00. */
const marchUsage: UsageOfMonth = { credits: new Dec(2500), count: 1, lastAt: '2026-03-12T09:00:00.000Z', ranges: [{ streamId: Streams.usage('p-1', 'alice', '2026-03'), fromPosition: 0, toPosition: 0, count: 1 }] };
// March for alice: ~1 CHARGE PRO 20.00, ~2 REFUND -20.00 (reverses ~1), ~3 CHARGE PRO_PLUS 40.00, ~4 OVERAGE 20.00.

const credit = (lineId: string, amount: string, occurredAt = '2026-04-02T10:00:00.000Z', reason = 'disputed'): IssueCredit => ({ type: 'IssueCredit', profileId: 'p-1', lineId, amount, reason, occurredAt });
const issued = (c: IssueCredit, tier: string): CreditIssued => ({
  type: 'CreditIssued',
  data: { profileId: 'p-1', lineId: c.lineId, userId: 'alice', month: c.lineId.split('~')[1] as string, tier, amount: new Dec(c.amount).toFixed(2), reason: c.reason, occurredAt: c.occurredAt },
});
const recordedCredits = (events: ReadonlyArray<CreditIssued>) =>
  events.map((event, position): Recorded<CreditIssued> => ({ ref: { streamId: Streams.credits('p-1'), position, eventId: `c-${position}`, type: event.type }, globalPosition: 100 + position, event }));

/** What the shell passes: the lines of every month the decision reads, from the fold. */
const linesOf = (past: ReadonlyArray<CreditIssued>, lineId: string, now = NOW): CreditState['lines'] => {
  const state: CreditsState = past.reduce(evolveCredits, initialCreditsState);
  const lines = new Map(
    monthsRead(state, lineId).map((month: Month) => {
      const input: StatementInput = { profile, catalog: genesis, lifecycle: recordedLifecycle, usage: new Map(month === '2026-03' ? [['alice', marchUsage]] : []), credits: recordedCredits(past), month, now };
      return [month, userStatementOf(input, 'alice')?.lines ?? []];
    }),
  );
  return lines;
};
const spec = (past: ReadonlyArray<CreditIssued>, lineId: string, now = NOW) => issuedSpec(creditDecider, now, { profile, lines: linesOf(past, lineId, now) }).given(past);

describe('credit decider (section 8)', () => {
  test('N1: a CHARGE of a final statement is credited with its tier, month and user', () => {
    const c = credit('p-1~2026-03~alice~3', '15');
    spec([], c.lineId).when(c).then([issued({ ...c, amount: '15.00' }, 'PRO_PLUS')]);
  });

  test('N1: an OVERAGE line is creditable too', () => {
    const c = credit('p-1~2026-03~alice~4', '20.00');
    spec([], c.lineId).when(c).then([issued(c, 'PRO_PLUS')]);
  });

  test('N1: a line of a month not over is MONTH_OPEN, before any look at the line', () =>
    spec([], 'p-1~2026-04~alice~9').when(credit('p-1~2026-04~alice~9', '1')).thenFails('MONTH_OPEN', /open until 2026-05-01/));

  test('N1: a line the final statement does not have is LINE_NOT_FOUND, naming the lines it has', () =>
    spec([], 'p-1~2026-03~alice~5').when(credit('p-1~2026-03~alice~5', '1')).thenFails('LINE_NOT_FOUND', /alice's lines are p-1~2026-03~alice~1, .*~4$/));

  test("N1: a line of another profile's statement is LINE_NOT_FOUND", () =>
    spec([], 'p-2~2026-03~alice~1').when(credit('p-2~2026-03~alice~1', '1')).thenFails('LINE_NOT_FOUND'));

  test('N1: a REFUND is NOT_CREDITABLE', () =>
    spec([], 'p-1~2026-03~alice~2').when(credit('p-1~2026-03~alice~2', '1')).thenFails('NOT_CREDITABLE', /REFUND/));

  test('N1: a CREDIT is NOT_CREDITABLE, and the message says which line to credit instead', () => {
    const first = issued(credit('p-1~2026-03~alice~3', '5.00'), 'PRO_PLUS');
    // In April alice has her carried-in CHARGE (~1), then the CREDIT (~2).
    spec([first], 'p-1~2026-04~alice~2', '2026-05-02T00:00:00.000Z')
      .when(credit('p-1~2026-04~alice~2', '1', '2026-05-02T00:00:00.000Z'))
      .thenFails('NOT_CREDITABLE', /CREDIT of line p-1~2026-03~alice~3: credit that line again/);
  });

  test('N2: a reversed CHARGE has nothing left: its REFUND is named', () =>
    spec([], 'p-1~2026-03~alice~1').when(credit('p-1~2026-03~alice~1', '0.01')).thenFails('CREDIT_EXCEEDS_LINE', /^line p-1~2026-03~alice~1 has 0.00 left to credit: 20.00 charged, 20.00 refunded by p-1~2026-03~alice~2; asked for 0.01$/));

  test('N2: credits add up to the line and no further; the refusal names each earlier credit by its CREDIT line', () => {
    const first = issued(credit('p-1~2026-03~alice~4', '12.50'), 'PRO_PLUS');
    const second = issued(credit('p-1~2026-03~alice~4', '7.50', '2026-04-03T10:00:00.000Z'), 'PRO_PLUS');
    spec([first], 'p-1~2026-03~alice~4').when(credit('p-1~2026-03~alice~4', '7.50', '2026-04-03T10:00:00.000Z')).then([second]);
    spec([first, second], 'p-1~2026-03~alice~4')
      .when(credit('p-1~2026-03~alice~4', '0.01', '2026-04-04T10:00:00.000Z'))
      .thenFails(
        'CREDIT_EXCEEDS_LINE',
        /^line p-1~2026-03~alice~4 has 0.00 left to credit: 20.00 charged, 12.50 credited by p-1~2026-04~alice~2 on 2026-04-02, 7.50 credited by p-1~2026-04~alice~3 on 2026-04-03; asked for 0.01$/,
      );
    spec([first], 'p-1~2026-03~alice~4').when(credit('p-1~2026-03~alice~4', '7.51')).thenFails('CREDIT_EXCEEDS_LINE', /credit at most 7.50$/);
  });

  test('T4 and T2 come before the line: a command dated in a closed month, or before the latest credit', () => {
    const first = issued(credit('p-1~2026-03~alice~4', '1.00', '2026-04-10T00:00:00.000Z'), 'PRO_PLUS');
    spec([], 'p-1~2026-04~alice~1').when(credit('p-1~2026-04~alice~1', '1', '2026-03-31T00:00:00.000Z')).thenFails('MONTH_CLOSED');
    spec([first], 'p-1~2026-03~alice~9').when(credit('p-1~2026-03~alice~9', '1', '2026-04-09T00:00:00.000Z')).thenFails('OUT_OF_ORDER', /latest credit note of profile p-1/);
  });

  test('PROFILE_NOT_FOUND comes first', () =>
    issuedSpec(creditDecider, NOW).given([]).when(credit('p-1~2026-04~alice~1', '1', '2026-03-01T00:00:00.000Z')).thenFails('PROFILE_NOT_FOUND'));
});

describe('CREDIT lines on the statement (N3)', () => {
  const april = (credits: ReadonlyArray<CreditIssued>, lifecycleEvents: ReadonlyArray<Recorded<ProfileEvent>> = recordedLifecycle) =>
    monthlyStatement({ profile, catalog: genesis, lifecycle: lifecycleEvents, usage: new Map(), credits: recordedCredits(credits), month: '2026-04', now: NOW });

  test('after the user\'s other lines, negative, naming the credited line, citing the credit event, described by the reason', () => {
    const s = april([issued(credit('p-1~2026-03~alice~4', '20.00', '2026-04-02T10:00:00.000Z', 'runaway agent'), 'PRO_PLUS')]);
    expect(s.users[0]?.lines.map((l) => [l.lineId, l.kind, l.amount])).toEqual([
      ['p-1~2026-04~alice~1', 'CHARGE', '40.00'],
      ['p-1~2026-04~alice~2', 'CREDIT', '-20.00'],
    ]);
    expect(s.users[0]?.lines[1]).toEqual({
      lineId: 'p-1~2026-04~alice~2',
      kind: 'CREDIT',
      tier: 'PRO_PLUS',
      amount: '-20.00',
      description: 'runaway agent',
      at: '2026-04-02T10:00:00.000Z',
      events: [{ streamId: 'profile/p-1/credits', position: 0, eventId: 'c-0', type: 'CreditIssued' }],
      credits: 'p-1~2026-03~alice~4',
    });
    expect(s.total).toBe('20.00');
  });

  test('a user whose only line is a CREDIT is on the statement, billed nothing, and totals may be negative', () => {
    const gone: ReadonlyArray<Recorded<ProfileEvent>> = [
      ...recordedLifecycle,
      { ref: { streamId: Streams.profile('p-1'), position: 2, eventId: 'l-2', type: 'UserUnsubscribed' }, globalPosition: 2, event: { type: 'UserUnsubscribed', data: { ...alice, tier: 'PRO_PLUS', occurredAt: '2026-03-20T00:00:00.000Z' } } },
    ];
    const s = april([issued(credit('p-1~2026-03~alice~3', '40.00'), 'PRO_PLUS')], gone);
    expect(s.users).toEqual([
      expect.objectContaining({ userId: 'alice', billedTier: null, creditsIncluded: '0.00', creditsUsed: '0.00', overageCredits: '0.00', total: '-40.00' }),
    ]);
    expect(s.total).toBe('-40.00');
  });

  test('N3 is checked on the folded statement: a CREDIT naming a line of its own month is a defect, reported loudly', () => {
    const sameMonth = issued(credit('p-1~2026-04~alice~1', '1.00'), 'PRO_PLUS');
    expect(() => april([sameMonth])).toThrow(expect.objectContaining({ name: 'InvariantViolation', rule: 'N3' }));
  });

  test("a credit dated in May is not on April's statement (T3)", () =>
    expect(april([issued(credit('p-1~2026-03~alice~4', '1.00', '2026-05-01T00:00:00.000Z'), 'PRO_PLUS')]).total).toBe('40.00'));

  test("one user's part, folded alone, is what the whole statement shows for that user", () => {
    const bob = { profileId: 'p-1', userId: 'bob', groupId: null };
    const both = [
      ...recordedLifecycle,
      { ref: { streamId: Streams.profile('p-1'), position: 2, eventId: 'l-2', type: 'UserSubscribed' }, globalPosition: 2, event: { type: 'UserSubscribed' as const, data: { ...bob, tier: 'POWER', occurredAt: '2026-03-06T00:00:00.000Z' } } },
    ];
    const input: StatementInput = { profile, catalog: genesis, lifecycle: both, usage: new Map([['alice', marchUsage]]), credits: [], month: '2026-03', now: NOW };
    const whole = monthlyStatement(input);
    expect(userStatementOf(input, 'alice')).toEqual(whole.users.find((u) => u.userId === 'alice'));
    expect(userStatementOf(input, 'bob')).toEqual(whole.users.find((u) => u.userId === 'bob'));
  });
});
