import { Catalog, emptyCatalog, genesisCatalog } from '../../src/domain/catalog';
import { evolveCatalog } from '../../src/domain/catalogDecider';
import { ProfileCreated, TierDefined } from '../../src/domain/events';

export const genesis: Catalog = genesisCatalog.reduce(evolveCatalog, emptyCatalog);

export const catalogWith = (...extra: ReadonlyArray<TierDefined>): Catalog => extra.reduce(evolveCatalog, genesis);

export const tierDefined = (tier: string, price: string, credits: string, fromMonth: string, occurredAt: string): TierDefined => ({
  type: 'TierDefined',
  data: { tier, name: tier, credits, price, fromMonth, occurredAt },
});

export const profileCreated = (profileId = 'p-1', occurredAt = '2026-03-01T09:00:00.000Z'): ProfileCreated => ({
  type: 'ProfileCreated',
  data: { profileId, accountId: '111122223333', region: 'us-east-1', name: null, occurredAt },
});
