import { Statement, UserStatement } from './statementTypes';

/**
 * A page of a statement's users (api.md: `?after=USER&limit=N`): the users after `after` in the
 * statement's userId order, at most `limit` of them, with everything else of the statement whole
 * (its total is the profile's, never the page's). `next` is the `after` of the following page,
 * null on the last; `userCount` counts every billed user, so that a reader can say "page 3 of 50".
 */
export interface StatementPage extends Statement {
  readonly userCount: number;
  readonly next: string | null;
}

/** Index of the first user whose id is above `after` (users are sorted by userId, api.md). */
const firstAfter = (users: ReadonlyArray<UserStatement>, after: string): number => {
  let low = 0;
  let high = users.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((users[mid] as UserStatement).userId <= after) low = mid + 1;
    else high = mid;
  }
  return low;
};

export const statementPage = (statement: Statement, after: string | undefined, limit: number): StatementPage => {
  const from = after === undefined ? 0 : firstAfter(statement.users, after);
  const users = statement.users.slice(from, from + limit);
  const more = from + users.length < statement.users.length;
  return { ...statement, users, userCount: statement.users.length, next: more ? ((users[users.length - 1] as UserStatement | undefined)?.userId ?? null) : null };
};
