import * as E from 'fp-ts/Either';
import { CommandOf } from './commands';
import { Decider, Issued } from './decider';
import { domainError } from './errors';
import { ProfileCreated } from './events';
import { monthOpen } from './timeOrder';

export type CreateProfile = CommandOf<'CreateProfile'>;

export interface ProfileInfo {
  readonly profileId: string;
  readonly accountId: string;
  readonly region: string;
  readonly name: string | null;
  readonly createdAt: string;
}

/**
 * The registry stream holds every profile's creation, so that both keys of P1 — the profile id and
 * the (accountId, region) pair — are checked in one stream, without a cross-stream transaction.
 */
export interface Registry {
  readonly profiles: ReadonlyMap<string, ProfileInfo>;
  /** `accountId/region` → profileId */
  readonly byAccountRegion: ReadonlyMap<string, string>;
}

const accountRegion = (accountId: string, region: string) => `${accountId}/${region}`;

export const profileInfoOf = (e: ProfileCreated): ProfileInfo => ({
  profileId: e.data.profileId,
  accountId: e.data.accountId,
  region: e.data.region,
  name: e.data.name,
  createdAt: e.data.occurredAt,
});

export const evolveRegistry = (registry: Registry, e: ProfileCreated): Registry => ({
  profiles: new Map(registry.profiles).set(e.data.profileId, profileInfoOf(e)),
  byAccountRegion: new Map(registry.byAccountRegion).set(accountRegion(e.data.accountId, e.data.region), e.data.profileId),
});

export const emptyRegistry: Registry = { profiles: new Map(), byAccountRegion: new Map() };

/** T5: MONTH_CLOSED, then P1. Profiles are not ordered in time among themselves: each starts its own clock. */
export const registryDecider: Decider<Issued<CreateProfile>, ProfileCreated, Registry> = {
  decide: (c, registry) => {
    const closed = monthOpen(c.occurredAt, c.metadata.now);
    if (E.isLeft(closed)) return closed;
    if (registry.profiles.has(c.profileId)) {
      return E.left(domainError('PROFILE_EXISTS', `profile ${c.profileId} exists`));
    }
    const holder = registry.byAccountRegion.get(accountRegion(c.accountId, c.region));
    if (holder !== undefined) {
      return E.left(
        domainError('PROFILE_EXISTS', `account ${c.accountId} has a profile in ${c.region} already: ${holder}`),
      );
    }
    return E.right([
      {
        type: 'ProfileCreated',
        data: { accountId: c.accountId, name: c.name ?? null, occurredAt: c.occurredAt, profileId: c.profileId, region: c.region },
      },
    ]);
  },
  evolve: evolveRegistry,
  initialState: emptyRegistry,
};
