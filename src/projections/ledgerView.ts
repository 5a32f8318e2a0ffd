import { Catalog, emptyCatalog, withDefinition } from '../domain/catalog';
import { CreditIssued, ProfileEvent, Recorded } from '../domain/events';
import { Dec } from '../domain/money';
import { ProfileInfo, profileInfoOf } from '../domain/registryDecider';
import { tierVersionOf } from '../domain/tier';
import { Month, monthEnd, monthOf, nextMonth, toMillis } from '../domain/time';
import { StatementInput } from './monthlyStatement';
import { PAUSE_EVERY, Sliced, whole } from './slices';
import { StatementSeal } from './statementTypes';
import { later, UsageAggregate, UsageOfMonth } from './usageOfMonth';
import { ViewSnapshot } from './viewSnapshot';

interface ProfileRecord {
  readonly info: ProfileInfo;
  readonly lifecycle: Recorded<ProfileEvent>[];
  /** The profile's credit notes, in stream order (N3). */
  readonly credits: Recorded<CreditIssued>[];
}

/**
 * The read model every query uses: the log indexed by profile, account and month, kept current by
 * applying each event once, in global order. Statements are derived from it by the pure folds.
 */
export class LedgerView {
  private catalog: Catalog = emptyCatalog;
  private readonly profiles = new Map<string, ProfileRecord>();
  private readonly accounts = new Map<string, string[]>();
  /** `profileId/month` → userId → usage, summed as it arrives: the events stay in the log, cited by ranges. */
  private readonly usage = new Map<string, Map<string, UsageAggregate>>();
  /** Every event but usage, in log order: what a snapshot must hold to rebuild the view. */
  private readonly kept: Recorded[] = [];
  /** `profileId/month` → the month's seal (F2); the first one counts, a second is a break that verify reports. */
  private readonly seals = new Map<string, StatementSeal>();
  /**
   * `profileId/month` → the statement inputs being copied in slices from that month's usage: each keeps
   * the usage of a user as it was when its copy began, saved before the first change to it.
   */
  private readonly copies = new Map<string, Set<Map<string, UsageOfMonth>>>();
  private position = -1;
  private positionEventId = '';

  /** A view restored from a snapshot, to catch up from its checkpoint. */
  static restore(s: ViewSnapshot): LedgerView {
    const view = new LedgerView();
    for (const r of s.events) view.apply(r);
    for (const u of s.usage) {
      const key = `${u.profileId}/${u.month}`;
      const byUser = view.usage.get(key) ?? new Map<string, UsageAggregate>();
      view.usage.set(key, byUser.set(u.userId, UsageAggregate.restore({ credits: new Dec(u.credits), count: u.count, lastAt: u.lastAt, ranges: u.ranges })));
    }
    view.position = s.checkpoint;
    view.positionEventId = s.checkpointEventId;
    return view;
  }

  /**
   * The view as a snapshot's JSON text, in pieces made in slices: one JSON.stringify of a big view
   * (every lifecycle event kept, every user-month's usage) would hold the event loop for seconds.
   */
  *snapshotText(): Sliced<string[]> {
    const head: Omit<ViewSnapshot, 'events' | 'usage'> = { version: 2, checkpoint: this.position, checkpointEventId: this.positionEventId };
    const pieces = [`${JSON.stringify(head).slice(0, -1)},"events":`];
    yield* jsonArray(pieces, this.kept);
    pieces.push(',"usage":');
    yield* jsonArray(pieces, this.usageRows());
    pieces.push('}');
    return pieces;
  }

  private *usageRows(): Generator<ViewSnapshot['usage'][number]> {
    for (const [key, byUser] of this.usage) {
      const [profileId, month] = key.split('/') as [string, string];
      for (const [userId, aggregate] of byUser) {
        const u = aggregate.read();
        yield { profileId, month, userId, credits: u.credits.toFixed(), lastAt: u.lastAt, count: u.count, ranges: u.ranges };
      }
    }
  }

  /** Global position of the last event applied; -1 before any. */
  get checkpoint(): number {
    return this.position;
  }

  apply(r: Recorded): void {
    const e = r.event;
    if (e.type !== 'CreditsConsumed') this.kept.push(r);
    switch (e.type) {
      case 'TierDefined':
        this.catalog = withDefinition(this.catalog, tierVersionOf(e, r.ref));
        break;
      case 'ProfileCreated':
        this.profiles.set(e.data.profileId, { info: profileInfoOf(e), lifecycle: [], credits: [] });
        this.accounts.set(e.data.accountId, [...(this.accounts.get(e.data.accountId) ?? []), e.data.profileId]);
        break;
      case 'StatementSealed': {
        const key = `${e.data.profileId}/${e.data.month}`;
        if (!this.seals.has(key)) {
          const { sha256, logPosition, chainHash, occurredAt } = e.data;
          this.seals.set(key, { eventId: r.ref.eventId, sha256, logPosition, chainHash, sealedAt: occurredAt });
        }
        break;
      }
      case 'CreditsConsumed': {
        const key = `${e.data.profileId}/${monthOf(e.data.occurredAt)}`;
        const byUser = this.usage.get(key) ?? new Map<string, UsageAggregate>();
        this.usage.set(key, byUser);
        const acc = byUser.get(e.data.userId);
        if (acc === undefined) byUser.set(e.data.userId, UsageAggregate.of(r.ref, new Dec(e.data.credits), e.data.occurredAt));
        else {
          if (this.copies.size > 0) for (const before of this.copies.get(key) ?? []) if (!before.has(e.data.userId)) before.set(e.data.userId, acc.read());
          acc.add(r.ref, new Dec(e.data.credits), e.data.occurredAt);
        }
        break;
      }
      case 'CreditIssued':
        this.profiles.get(e.data.profileId)?.credits.push(r as Recorded<CreditIssued>);
        break;
      default:
        this.profiles.get(e.data.profileId)?.lifecycle.push(r as Recorded<ProfileEvent>);
    }
    this.position = r.globalPosition;
    this.positionEventId = r.ref.eventId;
  }

  /** Moves the checkpoint past an event that is not the view's concern. */
  skip(globalPosition: number, eventId: string): void {
    this.position = globalPosition;
    this.positionEventId = eventId;
  }

  /** The month's seal, if the statement was sealed. */
  sealOf(profileId: string, month: Month): StatementSeal | undefined {
    return this.seals.get(`${profileId}/${month}`);
  }

  /**
   * The statements due a seal up to `last` and not sealed yet, oldest month first: every month of every
   * profile from the month it was created in (a profile that existed before the month's end).
   */
  unsealed(last: Month): ReadonlyArray<{ readonly profileId: string; readonly month: Month }> {
    const due: { profileId: string; month: Month }[] = [];
    for (const [profileId, p] of this.profiles) {
      for (let month = monthOf(p.info.createdAt); month <= last; month = nextMonth(month)) {
        if (!this.seals.has(`${profileId}/${month}`)) due.push({ profileId, month });
      }
    }
    return due.sort((a, b) => (a.month === b.month ? (a.profileId < b.profileId ? -1 : 1) : a.month < b.month ? -1 : 1));
  }

  profile(profileId: string): ProfileInfo | undefined {
    return this.profiles.get(profileId)?.info;
  }

  /** Every tier definition so far, in log order. */
  catalogSoFar(): Catalog {
    return this.catalog;
  }

  /** The profile's lifecycle events (not usage), in log order. */
  lifecycleOf(profileId: string): ReadonlyArray<Recorded<ProfileEvent>> | undefined {
    return this.profiles.get(profileId)?.lifecycle;
  }

  /** The profile's credit notes, in stream order. */
  creditsOf(profileId: string): ReadonlyArray<Recorded<CreditIssued>> | undefined {
    return this.profiles.get(profileId)?.credits;
  }

  /** Every account with a profile, sorted. */
  accountIds(): ReadonlyArray<string> {
    return [...this.accounts.keys()].sort();
  }

  profilesOfAccount(accountId: string): ReadonlyArray<ProfileInfo> {
    return (this.accounts.get(accountId) ?? []).map((id) => (this.profiles.get(id) as ProfileRecord).info);
  }

  /** What the statement fold needs, at once (readStatementInput). */
  statementInput(profileId: string, month: Month, now: string, pending: ReadonlyArray<Recorded> = []): StatementInput | undefined {
    return whole(this.readStatementInput(profileId, month, now, pending));
  }

  /**
   * What the statement fold needs, as the view stands when the first slice runs: its cost grows with
   * the profile's users, not with their requests. The users' usage is copied in slices (a profile of
   * 50,000 users must not hold the event loop), and the view may apply events between two slices:
   * users added since are left out, and a user changed since is copied as saved before the change.
   * `pending`: events not in the log (a preview's), taken as if applied after everything applied.
   */
  *readStatementInput(profileId: string, month: Month, now: string, pending: ReadonlyArray<Recorded> = []): Sliced<StatementInput | undefined> {
    const p = this.profiles.get(profileId);
    if (p === undefined) return undefined;
    let catalog = this.catalog;
    const lifecycle: Recorded<ProfileEvent>[] = [...p.lifecycle];
    const credits: Recorded<CreditIssued>[] = [...p.credits];
    const key = `${profileId}/${month}`;
    const usage = new Map<string, UsageOfMonth>();
    const aggregates = this.usage.get(key);
    if (aggregates !== undefined) {
      const users = aggregates.size;
      const before = new Map<string, UsageOfMonth>();
      const copying = this.copies.get(key) ?? new Set<Map<string, UsageOfMonth>>();
      this.copies.set(key, copying.add(before));
      try {
        for (const [userId, u] of aggregates) {
          if (usage.size === users) break;
          usage.set(userId, before.get(userId) ?? u.read());
          if (usage.size % PAUSE_EVERY === 0) yield;
        }
      } finally {
        copying.delete(before);
        if (copying.size === 0) this.copies.delete(key);
      }
    }
    for (const r of pending) {
      const e = r.event;
      if (e.type === 'TierDefined') catalog = withDefinition(catalog, tierVersionOf(e, r.ref));
      else if (e.type === 'ProfileCreated' || e.type === 'StatementSealed' || e.data.profileId !== profileId) continue;
      else if (e.type === 'CreditIssued') credits.push(r as Recorded<CreditIssued>);
      else if (e.type !== 'CreditsConsumed') lifecycle.push(r as Recorded<ProfileEvent>);
      else if (monthOf(e.data.occurredAt) === month) {
        // A copy of the user's aggregate: the view's own is not touched by what is not in the log.
        const before = usage.get(e.data.userId);
        const aggregate = before === undefined ? UsageAggregate.of(r.ref, new Dec(e.data.credits), e.data.occurredAt) : UsageAggregate.restore(before);
        if (before !== undefined) aggregate.add(r.ref, new Dec(e.data.credits), e.data.occurredAt);
        usage.set(e.data.userId, aggregate.read());
      }
    }
    return { profile: p.info, catalog, lifecycle, usage, credits, month, now };
  }

  /**
   * Changes whenever an input of the month's statement may have: the catalog, the profile's
   * lifecycle and credit notes only grow, and the month's usage only adds events. Equal versions, equal statements.
   */
  statementVersion(profileId: string, month: Month): string | undefined {
    const p = this.profiles.get(profileId);
    if (p === undefined) return undefined;
    let usageEvents = 0;
    for (const u of this.usage.get(`${profileId}/${month}`)?.values() ?? []) usageEvents += u.size;
    return `${this.catalog.length}/${p.lifecycle.length}/${p.credits.length}/${usageEvents}`;
  }

  /**
   * A user-month's consumption as the view summed it, at the revision of its usage stream it has
   * read to: what the command handler would fold from the stream's first event (K4 needs the sum),
   * so that a heavy user's first command after a start does not read the whole month.
   */
  usageSoFar(profileId: string, userId: string, month: Month, streamId: string): { readonly credits: Dec; readonly lastAt: string; readonly revision: number } | undefined {
    const u = this.usage.get(`${profileId}/${month}`)?.get(userId);
    const revision = u?.revisionOf(streamId);
    return u === undefined || revision === undefined ? undefined : { ...u.total, revision };
  }

  /**
   * The profile's latest consumption in each month, and whose, as of the checkpoint: what a SetOverage
   * is checked against (T2), so that the first one after a start looks at the view's sums rather than
   * reading every consumption of the profile. A look costs one step per user-month of the profile.
   */
  latestConsumptions(profileId: string): ReadonlyMap<Month, { readonly at: string; readonly userId: string }> {
    const latest = new Map<Month, { readonly at: string; readonly userId: string }>();
    const prefix = `${profileId}/`;
    for (const [key, byUser] of this.usage) {
      if (!key.startsWith(prefix)) continue;
      let found: { at: string; userId: string } | undefined;
      for (const [userId, u] of byUser) {
        const { lastAt } = u.total;
        if (found === undefined || later(lastAt, found.at) !== found.at) found = { at: lastAt, userId };
      }
      if (found !== undefined) latest.set(key.slice(prefix.length), found);
    }
    return latest;
  }

  /** Profiles created before the month's end, since a later one cannot be on its statement (T3). */
  profilesBilledIn(accountId: string, month: Month): ReadonlyArray<ProfileInfo> {
    return this.profilesOfAccount(accountId).filter((p) => toMillis(p.createdAt) < toMillis(monthEnd(month)));
  }
}

/** `items` as a JSON array appended to `pieces`, a piece of PAUSE_EVERY items between two pauses. */
function* jsonArray(pieces: string[], items: Iterable<unknown>): Sliced<void> {
  let batch: string[] = [];
  let first = true;
  const flush = () => {
    pieces.push(`${first ? '[' : ','}${batch.join(',')}`);
    first = false;
    batch = [];
  };
  for (const item of items) {
    batch.push(JSON.stringify(item));
    if (batch.length === PAUSE_EVERY) {
      flush();
      yield;
    }
  }
  if (batch.length > 0 || first) flush();
  pieces.push(']');
}
