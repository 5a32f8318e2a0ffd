import * as E from 'fp-ts/Either';
import { DomainError, domainError } from './errors';
import { monthOf } from './time';

/**
 * T2 and T4, the rules of time every command meets before its own: a closed month is final, and a
 * command is never dated before the events it is checked against. Pure: the shell passes the clock.
 */

/** T2: a command may be dated up to 5 minutes ahead of the clock; no bill is written further in advance. */
export const CLOCK_LEAD_MS = 5 * 60 * 1000;

/** C3: the latest month that has started by the clock `now`: in a month's last 5 minutes, the next one. */
export const startedMonth = (now: string): string => monthOf(new Date(Date.parse(now) + CLOCK_LEAD_MS).toISOString());

/** The latest event a command is checked against (T2), and how to name it in an error. */
export interface Checked {
  readonly at: string;
  readonly what: string;
}

/** The later of some checked events; undefined when there are none. */
export const latestOf = (...candidates: ReadonlyArray<Checked | undefined>): Checked | undefined =>
  candidates.reduce<Checked | undefined>(
    (a, b) => (b === undefined ? a : a === undefined || Date.parse(b.at) > Date.parse(a.at) ? b : a),
    undefined,
  );

export const checked = (at: string | null | undefined, what: string): Checked | undefined =>
  at === null || at === undefined ? undefined : { at, what };

/** T4: month M is closed once the clock has passed its end. */
export const monthOpen = (occurredAt: string, now: string): E.Either<DomainError, void> => {
  const month = monthOf(occurredAt);
  const current = monthOf(now);
  return month < current
    ? E.left(domainError('MONTH_CLOSED', `occurredAt ${occurredAt} is in ${month}, which closed when ${current} began: its bill is final`))
    : E.right(undefined);
};

/** T2: a command dated before what it is checked against is out of order; equal instants are in order. */
export const notBefore = (occurredAt: string, against: Checked | undefined): E.Either<DomainError, void> =>
  against !== undefined && Date.parse(occurredAt) < Date.parse(against.at)
    ? E.left(domainError('OUT_OF_ORDER', `occurredAt ${occurredAt} is before ${against.what} at ${against.at}`))
    : E.right(undefined);

/**
 * The instant of a command the server dates itself: when it has its turn, and never earlier than
 * what it is checked against (written by whichever process), so that it is never OUT_OF_ORDER.
 */
export const serverInstant = (now: string, against: Checked | undefined): string =>
  against !== undefined && Date.parse(against.at) > Date.parse(now) ? new Date(against.at).toISOString() : now;
