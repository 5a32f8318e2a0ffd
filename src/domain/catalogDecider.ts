import * as E from 'fp-ts/Either';
import { Catalog, emptyCatalog, withDefinition } from './catalog';
import { CommandOf } from './commands';
import { Decider } from './decider';
import { domainError } from './errors';
import { TierDefined } from './events';
import { tierVersionOf } from './tier';
import { monthOf } from './time';

export type DefineTier = CommandOf<'DefineTier'>;

/** The catalog stream (C3): a started month is never re-priced. */
export const catalogDecider: Decider<DefineTier, TierDefined, Catalog> = {
  decide: (c) => {
    const month = monthOf(c.occurredAt);
    if (c.fromMonth <= month) {
      return E.left(
        domainError(
          'PERIOD_STARTED',
          `fromMonth ${c.fromMonth} has started (the command is dated ${c.occurredAt}): a catalog change takes effect from a later month`,
        ),
      );
    }
    const { type: _type, ...data } = c;
    return E.right([{ type: 'TierDefined', data }]);
  },
  evolve: (catalog, e) => withDefinition(catalog, tierVersionOf(e)),
  initialState: emptyCatalog,
};
