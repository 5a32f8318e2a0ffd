import { Line, Statement } from '../codecs';

/** A line a command adds to a statement, or one it takes away (an OVERAGE line an upgrade absorbs, or one whose amount changes). */
export interface LineChange {
  readonly userId: string;
  readonly change: 'added' | 'gone';
  readonly line: Line;
}

/**
 * Lines are compared by what they say, not by id: an id counts the user's lines (`…~{n}`), and the
 * OVERAGE line, last among a user's charges (L3), is renumbered when a REFUND and a CHARGE come before it.
 */
const contentOf = (l: Line): string => JSON.stringify([l.kind, l.tier, l.amount, l.description, l.at, l.reverses === undefined, l.credits ?? null]);

/** What is in `from` and not in `other`, counting repeats (two equal lines are two lines). */
const missingFrom = (from: ReadonlyArray<Line>, other: ReadonlyArray<Line>): ReadonlyArray<Line> => {
  const left = new Map<string, number>();
  for (const l of other) left.set(contentOf(l), (left.get(contentOf(l)) ?? 0) + 1);
  return from.filter((l) => {
    const n = left.get(contentOf(l)) ?? 0;
    if (n > 0) left.set(contentOf(l), n - 1);
    return n === 0;
  });
};

/** Every user's lines that the previewed statement adds or no longer has, user by user in id order. */
export const lineChanges = (before: Statement | undefined, after: Statement): ReadonlyArray<LineChange> => {
  const linesBefore = new Map((before?.users ?? []).map((u) => [u.userId, u.lines]));
  const linesAfter = new Map(after.users.map((u) => [u.userId, u.lines]));
  const users = [...new Set([...linesBefore.keys(), ...linesAfter.keys()])].sort();
  return users.flatMap((userId) => {
    const was = linesBefore.get(userId) ?? [];
    const will = linesAfter.get(userId) ?? [];
    return [
      ...missingFrom(will, was).map((line) => ({ userId, change: 'added' as const, line })),
      ...missingFrom(was, will).map((line) => ({ userId, change: 'gone' as const, line })),
    ];
  });
};

/** A total before and after; null: not on the statement (a user not billed that month). */
export interface TotalChange {
  readonly label: string;
  readonly before: string | null;
  readonly after: string | null;
}

const userTotal = (s: Statement | undefined, userId: string): string | null => s?.users.find((u) => u.userId === userId)?.total ?? null;

/** The totals of the users named (the command's user, every user a line changes for), then the profile's. */
export const totalChanges = (before: Statement | undefined, after: Statement, userIds: ReadonlyArray<string>): ReadonlyArray<TotalChange> => [
  ...[...new Set(userIds)].map((userId) => ({ label: userId, before: userTotal(before, userId), after: userTotal(after, userId) })),
  { label: `Profile ${after.profileId}`, before: before?.total ?? null, after: after.total },
];
