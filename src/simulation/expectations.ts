import { AccountStatement, Statement } from '../projections/statementTypes';
import { ExpectedAccount, ExpectedStatement, Scenario } from './scenario';
import { SimulationResult } from './runScenario';

/**
 * Compares a simulation with what its scenario expects (shared/scenarios/README.md) and lists every
 * difference in words; an empty list means the scenario passed.
 */
export const unmetExpectations = (scenario: Scenario, result: SimulationResult): ReadonlyArray<string> => [
  ...scenario.steps.flatMap((step, i) => {
    const r = result.steps[i];
    const label = `step ${i + 1} (${describeCommand(step.command)} at ${step.at})`;
    if (r === undefined) return [`${label}: did not run`];
    if (step.expectError === undefined) return r.ok ? [] : [`${label}: expected success, got ${r.code}: ${r.message}`];
    if (r.ok) return [`${label}: expected ${step.expectError}, got success`];
    return [
      ...(r.code === step.expectError ? [] : [`${label}: expected ${step.expectError}, got ${r.code}: ${r.message}`]),
      ...(r.appended === 0 ? [] : [`${label}: rejected but appended ${r.appended} events`]),
    ];
  }),
  ...(scenario.expect ?? []).flatMap((x) =>
    compareStatement(x, result.statements.find((s) => s.profileId === x.profileId && s.month === x.month)),
  ),
  ...(scenario.expectAccount ?? []).flatMap((x) =>
    compareAccount(x, result.accountStatements.find((s) => s.accountId === x.accountId && s.month === x.month)),
  ),
];

const describeCommand = (c: unknown): string =>
  typeof c === 'object' && c !== null && typeof (c as { type?: unknown }).type === 'string' ? (c as { type: string }).type : 'command';

const differs = (where: string, field: string, expected: unknown, actual: unknown): string[] =>
  JSON.stringify(expected) === JSON.stringify(actual)
    ? []
    : [`${where}: ${field} expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];

const compareStatement = (x: ExpectedStatement, s: Statement | undefined): string[] => {
  const where = `statement ${x.profileId} ${x.month}`;
  if (s === undefined) return [`${where}: missing (no such profile?)`];
  const expectedUsers = Object.keys(x.users).sort();
  const actualUsers = s.users.map((u) => u.userId);
  return [
    ...differs(where, 'total', x.total, s.total),
    ...differs(where, 'users', expectedUsers, actualUsers),
    ...Object.entries(x.users).flatMap(([userId, xu]) => {
      const u = s.users.find((v) => v.userId === userId);
      if (u === undefined) return [];
      const at = `${where} user ${userId}`;
      const optional = (['creditsIncluded', 'creditsUsed', 'overageCredits'] as const).flatMap((f) =>
        xu[f] === undefined ? [] : differs(at, f, xu[f], u[f]),
      );
      return [
        ...differs(at, 'billedTier', xu.billedTier, u.billedTier),
        ...differs(at, 'total', xu.total, u.total),
        ...optional,
        ...(xu.lines === undefined ? [] : differs(at, 'lines', xu.lines, u.lines.map((l) => [l.kind, l.tier, l.amount]))),
      ];
    }),
  ];
};

const compareAccount = (x: ExpectedAccount, a: AccountStatement | undefined): string[] => {
  const where = `account statement ${x.accountId} ${x.month}`;
  if (a === undefined) return [`${where}: missing`];
  return [
    ...differs(where, 'total', x.total, a.total),
    ...(x.usersInSeveralProfiles === undefined
      ? []
      : differs(
          where,
          'usersInSeveralProfiles',
          Object.fromEntries(Object.entries(x.usersInSeveralProfiles).map(([u, ps]) => [u, [...ps].sort()]).sort()),
          Object.fromEntries(a.usersInSeveralProfiles.map((u) => [u.userId, u.profiles])),
        )),
  ];
};
