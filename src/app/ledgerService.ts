import * as E from 'fp-ts/Either';
import { CommandContext, CommandHandler, CommandOutcome, CommandFailure } from '../commands/commandHandler';
import { decodeOrThrow, refOf } from '../commands/decodeRecorded';
import { EventRef, isLedgerStream, Streams } from '../domain/events';
import { ProfileInfo } from '../domain/registryDecider';
import { Month } from '../domain/time';
import { accountStatement } from '../projections/accountStatement';
import { CatalogOffer, catalogOffer } from '../projections/catalogOffer';
import { LedgerView } from '../projections/ledgerView';
import { monthlyStatement, StatementInput } from '../projections/monthlyStatement';
import { ProfileNow, profileNow } from '../projections/profileNow';
import { AccountStatement, Statement, StatementLine, statusOf } from '../projections/statementTypes';
import { ViewSnapshot } from '../projections/viewSnapshot';
import { EventStore, RecordedEvent } from '../store/eventStore';
import { SnapshotStore } from './snapshotStore';

export interface LedgerServiceOptions {
  readonly clock?: () => Date;
  /** Called with (events read, head position) while catching up, for progress bars. */
  readonly onProgress?: (read: number, head: number) => void;
  /** Where the read model is saved with its checkpoint; without one, every start replays the log. */
  readonly snapshots?: SnapshotStore;
}

/**
 * The events a line cites, as refs: the one place that knows how a line cites them, so that a new way
 * of citing (usage ranges) changes this function alone.
 */
export const citedEvents = (line: StatementLine): ReadonlyArray<EventRef> => line.events;

/** Save the read model after catching up this many events, so a restart resumes near the head. */
const SNAPSHOT_EVERY = 100_000;
/** Statements kept for reuse, most recently asked first out last; a large profile's is a few MB. */
const STATEMENTS_KEPT = 32;

/**
 * The application: commands through the handler, queries from the read model, which catches up
 * from the global log before every query. Since a command's events are in the log when it answers,
 * a query that follows a command sees it (read-your-writes).
 */
export class LedgerService {
  readonly handler: CommandHandler;
  private view = new LedgerView();
  private sinceSnapshot = 0;
  /** Recent statements by `profileId/month`, with the version of the inputs they were folded from. */
  private readonly statements = new Map<string, { readonly version: string; readonly statement: Statement }>();
  private readonly clock: () => Date;
  private catchingUp: Promise<void> | undefined;

  constructor(
    readonly store: EventStore,
    private readonly options: LedgerServiceOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.handler = new CommandHandler({ store, clock: this.clock });
  }

  now(): string {
    return this.clock().toISOString();
  }

  /** Seeds the catalog of a fresh ledger and builds the read model: from its snapshot if one fits the log. */
  async open(): Promise<this> {
    await this.handler.initialize();
    const saved = await this.options.snapshots?.load();
    if (saved !== undefined) {
      const snapshot = ViewSnapshot.decode(JSON.parse(saved));
      if (E.isRight(snapshot) && (await this.inLog(snapshot.right.checkpoint, snapshot.right.checkpointEventId))) {
        this.view = LedgerView.restore(snapshot.right);
      }
    }
    await this.catchUp();
    return this;
  }

  /** Saves the read model (if a snapshot store was given) and closes the event store. */
  async close(): Promise<void> {
    await this.saveSnapshot();
    await this.store.close();
  }

  async saveSnapshot(): Promise<void> {
    if (this.options.snapshots === undefined || this.view.checkpoint < 0) return;
    await this.catchUp();
    await this.writeSnapshot(this.options.snapshots);
  }

  /** Not through saveSnapshot from inside a catch-up, which would wait for itself. */
  private async writeSnapshot(snapshots: SnapshotStore): Promise<void> {
    await snapshots.save(JSON.stringify(this.view.snapshot()));
    this.sinceSnapshot = 0;
  }

  private async inLog(position: number, eventId: string): Promise<boolean> {
    for await (const e of this.store.readAll({ after: position - 1, limit: 1 })) return e.globalPosition === position && e.eventId === eventId;
    return false;
  }

  execute(input: unknown, context: CommandContext = {}): Promise<E.Either<CommandFailure, CommandOutcome>> {
    return this.handler.execute(input, context);
  }

  /** Applies every event after the view's checkpoint. Concurrent callers share one pass. */
  catchUp(): Promise<void> {
    if (this.catchingUp === undefined) {
      this.catchingUp = this.readForward().finally(() => {
        this.catchingUp = undefined;
      });
    }
    return this.catchingUp;
  }

  /** Events read since the view was created. */
  get eventsApplied(): number {
    return this.view.checkpoint + 1;
  }

  private async readForward(): Promise<void> {
    const head = this.options.onProgress === undefined ? 0 : await this.store.headPosition();
    let read = 0;
    for await (const e of this.store.readAll({ after: this.view.checkpoint })) {
      if (isLedgerStream(e.streamId)) this.view.apply(decodeOrThrow(e));
      else this.view.skip(e.globalPosition, e.eventId);
      read += 1;
      if (this.options.onProgress !== undefined && read % 10_000 === 0) this.options.onProgress(read, head);
    }
    this.options.onProgress?.(read, head);
    this.sinceSnapshot += read;
    if (this.sinceSnapshot >= SNAPSHOT_EVERY && this.options.snapshots !== undefined) await this.writeSnapshot(this.options.snapshots);
  }

  async statement(profileId: string, month: Month): Promise<Statement | undefined> {
    await this.catchUp();
    return this.profileStatement(profileId, month, this.now());
  }

  async accountStatement(accountId: string, month: Month): Promise<AccountStatement> {
    await this.catchUp();
    const now = this.now();
    const statements = await Promise.all(
      this.view.profilesBilledIn(accountId, month).map((p) => this.profileStatement(p.profileId, month, now) as Promise<Statement>),
    );
    return accountStatement(accountId, month, now, statements);
  }

  /** The profile's events (lifecycle and usage) in global order, after a global position. */
  async profileEvents(profileId: string, after: number | undefined, limit: number): Promise<ReadonlyArray<RecordedEvent> | undefined> {
    await this.catchUp();
    if (this.view.profile(profileId) === undefined) return undefined;
    const events: RecordedEvent[] = [];
    for await (const e of this.store.readAll({ streamPrefix: Streams.ofProfile(profileId), limit, ...(after === undefined ? {} : { after }) })) events.push(e);
    return events;
  }

  async accountIds(): Promise<ReadonlyArray<string>> {
    await this.catchUp();
    return this.view.accountIds();
  }

  profileInfo(profileId: string) {
    return this.view.profile(profileId);
  }

  /** The accounts `visible` admits, each with its profiles (created so far), sorted by id. */
  async accounts(visible: (accountId: string) => boolean): Promise<ReadonlyArray<{ readonly accountId: string; readonly profiles: ReadonlyArray<ProfileInfo> }>> {
    await this.catchUp();
    return this.view
      .accountIds()
      .filter(visible)
      .map((accountId) => ({ accountId, profiles: [...this.view.profilesOfAccount(accountId)].sort((a, b) => (a.profileId < b.profileId ? -1 : 1)) }));
  }

  /** The profile as it stands on the clock's instant: overage switch, active assignments, effective tiers. */
  async profile(profileId: string): Promise<ProfileNow | undefined> {
    await this.catchUp();
    const info = this.view.profile(profileId);
    const lifecycle = this.view.lifecycleOf(profileId);
    return info === undefined || lifecycle === undefined ? undefined : profileNow(info, lifecycle, this.view.catalogSoFar(), this.now());
  }

  async catalog(month: Month): Promise<CatalogOffer> {
    await this.catchUp();
    return catalogOffer(this.view.catalogSoFar(), month);
  }

  /** The events a statement line cites, in log order, those after a global position, at most `limit`. */
  async lineEvents(line: StatementLine, after: number | undefined, limit: number): Promise<ReadonlyArray<RecordedEvent>> {
    const cited = await this.readEvents(citedEvents(line));
    return [...cited]
      .sort((a, b) => a.globalPosition - b.globalPosition)
      .filter((e) => after === undefined || e.globalPosition > after)
      .slice(0, limit);
  }

  /** The events behind refs, in the refs' order: one range read per stream, since a line can cite a month of usage. */
  async readEvents(refs: ReadonlyArray<EventRef>): Promise<ReadonlyArray<RecordedEvent>> {
    const byStream = new Map<string, { from: number; to: number }>();
    for (const r of refs) {
      const range = byStream.get(r.streamId);
      byStream.set(r.streamId, range === undefined ? { from: r.position, to: r.position } : { from: Math.min(range.from, r.position), to: Math.max(range.to, r.position) });
    }
    const found = new Map<string, RecordedEvent>();
    for (const [streamId, { from, to }] of byStream) {
      for (const e of await this.store.readStream(streamId, { fromRevision: from, limit: to - from + 1 })) found.set(`${e.streamId}@${e.position}`, e);
    }
    return refs.map((r) => {
      const e = found.get(`${r.streamId}@${r.position}`);
      if (e === undefined) throw new Error(`a statement cites ${r.streamId}@${r.position}, which is not in the store`);
      return e;
    });
  }

  /**
   * A statement is folded again only when the view's inputs to it changed (or its status did): a
   * past month's rarely do (T3), so its statement, a thousand users' worth, is not refolded per request.
   */
  private async profileStatement(profileId: string, month: Month, now: string): Promise<Statement | undefined> {
    const inputs = this.view.statementVersion(profileId, month);
    if (inputs === undefined) return undefined;
    const key = `${profileId}/${month}`;
    const version = `${inputs}/${statusOf(month, now)}`;
    const cached = this.statements.get(key);
    this.statements.delete(key);
    const statement = cached?.version === version ? cached.statement : await this.withUsageEvents(this.view.statementInput(profileId, month, now) as StatementInput);
    this.statements.set(key, { version, statement });
    const oldest = this.statements.keys().next();
    if (this.statements.size > STATEMENTS_KEPT && !oldest.done) this.statements.delete(oldest.value);
    return statement;
  }

  /** L4 for OVERAGE lines: the usage events are read from their stream only for users who have one. */
  private async withUsageEvents(input: StatementInput): Promise<Statement> {
    const draft = monthlyStatement(input);
    const over = draft.users.filter((u) => u.lines.some((l) => l.kind === 'OVERAGE'));
    if (over.length === 0) return draft;
    const usage = new Map(input.usage);
    for (const u of over) {
      const recorded = await this.store.readStream(Streams.usage(input.profile.profileId, u.userId, input.month));
      const current = usage.get(u.userId);
      if (current !== undefined) usage.set(u.userId, { ...current, events: recorded.map((e) => refOf(e)) });
    }
    return monthlyStatement({ ...input, usage });
  }
}
