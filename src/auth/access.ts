import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { CommandType } from '../domain/commands';
import { Action, authorize, Denial, Principal } from './authorize';

/** DefineTier changes the prices of every account, and IssueCredit gives money back: each is an action of its own. */
export const commandAction = (type: CommandType): Action => (type === 'DefineTier' ? 'defineTier' : type === 'IssueCredit' ? 'issueCredit' : 'command');

/**
 * A decoded command's access. DefineTier concerns every account and CreateProfile the account it
 * names: both are decided here. The others reach an account through their profile, which only the
 * command handler reads; it gets the predicate returned, to handle a profile outside the principal's
 * accounts as a missing one.
 */
export const commandAccess = (principal: Principal, command: { readonly type: CommandType; readonly accountId?: string }): E.Either<Denial, (accountId: string) => boolean> => {
  const mayActOn = (accountId: string) => E.isRight(authorize(principal, commandAction(command.type), accountId));
  if (command.type === 'DefineTier' || command.type === 'CreateProfile') {
    return pipe(
      authorize(principal, commandAction(command.type), command.accountId),
      E.map(() => mayActOn),
    );
  }
  return E.right(mayActOn);
};

/** What a decoded query reads, from its fields: a profile, an account in a month, or every account. */
export type QueryTarget =
  | { readonly kind: 'profile'; readonly profileId: string }
  | { readonly kind: 'account'; readonly accountId: string; readonly month: string }
  | { readonly kind: 'everyAccount' };

/** A query that names neither a profile nor an account reads every account: safe by default for new routes. */
export const queryTarget = (fields: { readonly profileId?: unknown; readonly accountId?: unknown; readonly month?: unknown }): QueryTarget => {
  if (typeof fields.profileId === 'string') return { kind: 'profile', profileId: fields.profileId };
  if (typeof fields.accountId === 'string' && typeof fields.month === 'string') return { kind: 'account', accountId: fields.accountId, month: fields.month };
  return { kind: 'everyAccount' };
};
