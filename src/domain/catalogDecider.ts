import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { Catalog, emptyCatalog, withDefinition } from './catalog';
import { CommandOf } from './commands';
import { Decider, Issued } from './decider';
import { domainError } from './errors';
import { TierDefined } from './events';
import { tierVersionOf } from './tier';
import { monthOf } from './time';
import { Checked, monthOpen, notBefore, startedMonth } from './timeOrder';

export type DefineTier = CommandOf<'DefineTier'>;

export const evolveCatalog = (catalog: Catalog, e: TierDefined): Catalog => withDefinition(catalog, tierVersionOf(e));

/** The latest definition: the catalog is ordered in time, so "the later definition stands" has one meaning. */
export const catalogChecked = (catalog: Catalog): Checked | undefined => {
  const last = catalog[catalog.length - 1];
  return last === undefined ? undefined : { at: last.definedAt, what: `the catalog's latest definition (${last.tier})` };
};

/**
 * The catalog stream (C3). T5: VALIDATION (before it), MONTH_CLOSED, OUT_OF_ORDER, then
 * PERIOD_STARTED: a started month, by the command's date or by the clock plus 5 minutes, is never
 * re-priced (in a month's last 5 minutes, commands dated in the next may already be accepted).
 */
export const catalogDecider: Decider<Issued<DefineTier>, TierDefined, Catalog> = {
  decide: ({ metadata: { now }, ...c }, catalog) =>
    pipe(
      monthOpen(c.occurredAt, now),
      E.chain(() => notBefore(c.occurredAt, catalogChecked(catalog))),
      E.chain(() => {
        const startedByClock = startedMonth(now);
        const started = [monthOf(c.occurredAt), startedByClock].sort().reverse()[0] as string;
        if (c.fromMonth <= started) {
          return E.left(
            domainError(
              'PERIOD_STARTED',
              `fromMonth ${c.fromMonth} has started (the command is dated ${c.occurredAt}; by the clock, ${now}, and its 5 minutes' lead, ${startedByClock} has): a catalog change takes effect from a later month`,
            ),
          );
        }
        const { type: _type, ...data } = c;
        return E.right([{ type: 'TierDefined' as const, data }]);
      }),
    ),
  evolve: evolveCatalog,
  initialState: emptyCatalog,
};
