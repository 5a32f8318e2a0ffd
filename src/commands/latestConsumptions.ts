import { CreditsConsumed, LedgerEvent, Streams } from '../domain/events';
import { Checked, latestOf } from '../domain/timeOrder';
import { SliceClock } from '../projections/slices';
import { EventStore, PrefixGuard, RecordedEvent } from '../store/eventStore';

/** A profile's latest consumption in each month, as of a global position: nothing under its usage streams above it was left out. */
export interface ProfileConsumptions {
  readonly position: number;
  readonly latestIn: (month: string) => Checked | undefined;
  /** The guard that keeps a decision on these true: no consumption of the profile after `position` (T2 across processes). */
  readonly guard: PrefixGuard;
}

/** A profile's latest consumption in each month, as of a global position. */
export interface ConsumptionsSoFar {
  readonly position: number;
  readonly byMonth: ReadonlyMap<string, Checked>;
}

/** How a consumption is named in an OUT_OF_ORDER refusal. */
export const consumptionBy = (userId: string, at: string): Checked => ({ at, what: `the latest consumption of user ${userId}` });

/**
 * The latest consumption of each profile and month, kept as a running maximum over the consumptions
 * read so far: a SetOverage is checked against the latest consumption of any of the profile's users
 * (T2), and finding it costs one read of the profile's usage events since the last look, never one
 * read per user. A profile not looked at yet starts from what the read model knows, if given; else,
 * like a forgotten one (the map is bounded), from the log's start.
 */
export class LatestConsumptions {
  private readonly entries = new Map<string, ConsumptionsSoFar>();

  constructor(
    private readonly store: EventStore,
    private readonly decode: (e: RecordedEvent) => LedgerEvent,
    private readonly capacity = 10_000,
    /** What a reader of the log already knows of a profile (the read model), read from where it stopped. */
    private readonly known: (profileId: string) => ConsumptionsSoFar | undefined = () => undefined,
  ) {}

  async of(profileId: string): Promise<ProfileConsumptions> {
    const prefix = `${Streams.ofProfile(profileId)}usage/`;
    const from = this.entries.get(profileId) ?? this.known(profileId) ?? { position: -1, byMonth: new Map<string, Checked>() };
    // Every event at or below the head is visible to the read that follows: none is missed below it.
    const head = await this.store.headPosition();
    const byMonth = new Map(from.byMonth);
    let position = Math.max(from.position, head);
    // A first look with nothing known reads every consumption of the profile: others are answered meanwhile.
    const clock = new SliceClock();
    for await (const e of this.store.readAll({ after: from.position, streamPrefix: prefix })) {
      const event = this.decode(e) as CreditsConsumed;
      const rest = e.streamId.slice(prefix.length);
      const split = rest.lastIndexOf('/');
      const [userId, month] = [rest.slice(0, split), rest.slice(split + 1)];
      const latest = latestOf(byMonth.get(month), consumptionBy(userId, event.data.occurredAt));
      if (latest !== undefined) byMonth.set(month, latest);
      position = Math.max(position, e.globalPosition);
      if (clock.due()) await clock.pause();
    }
    const entry = { position, byMonth };
    this.remember(profileId, entry);
    return { position, latestIn: (month) => byMonth.get(month), guard: PrefixGuard.quietAfter(prefix, position) };
  }

  private remember(profileId: string, entry: ConsumptionsSoFar): void {
    const cached = this.entries.get(profileId);
    if (cached !== undefined && cached.position > entry.position) return;
    this.entries.delete(profileId);
    this.entries.set(profileId, entry);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
