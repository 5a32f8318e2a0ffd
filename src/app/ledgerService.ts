import * as E from 'fp-ts/Either';
import { CommandContext, CommandHandler, CommandHandlerDeps, CommandOutcome, CommandFailure, Previewed } from '../commands/commandHandler';
import { decideBatch } from './usageBatch';
import { decodeOrThrow } from '../commands/decodeRecorded';
import { consumptionBy } from '../commands/latestConsumptions';
import { Checked } from '../domain/timeOrder';
import { CreditIssued, isLedgerStream, Recorded, Streams } from '../domain/events';
import { decode } from '../domain/validation';
import { ProfileInfo } from '../domain/registryDecider';
import { Month, monthOf } from '../domain/time';
import { accountStatement } from '../projections/accountStatement';
import { CatalogOffer, catalogOffer } from '../projections/catalogOffer';
import { LedgerView } from '../projections/ledgerView';
import { statementFold, StatementInput } from '../projections/monthlyStatement';
import { inSlices, SliceClock } from '../projections/slices';
import { ProfileNow, profileNowFold } from '../projections/profileNow';
import { AccountStatement, Statement, statusOf } from '../projections/statementTypes';
import { ViewSnapshot } from '../projections/viewSnapshot';
import { EventStore, RecordedEvent } from '../store/eventStore';
import { SealKey, seal, snapshotKey, snapshotKeyForSaving, unseal } from './snapshotSeal';
import { appendSeal, lastSealableMonth, sealEvent } from './sealing';
import { LogHead } from '../store/chain';
import { SnapshotStore } from './snapshotStore';

export interface LedgerServiceOptions {
  readonly clock?: () => Date;
  /** The command handler's pause between conflicting attempts (its default: random, growing). */
  readonly backoff?: CommandHandlerDeps['backoff'];
  /** Called with (events read, head position) while catching up, for progress bars. */
  readonly onProgress?: (read: number, head: number) => void;
  /** Where the read model is saved with its checkpoint; without one, every start replays the log. */
  readonly snapshots?: SnapshotStore;
  /** Told, once, when a saved snapshot is discarded (default: standard error). */
  readonly warn?: (message: string) => void;
}

/** Save the read model after catching up this many events, so a restart resumes near the head. */
const SNAPSHOT_EVERY = 100_000;
/** Events applied between two looks at the clock while catching up. */
const CATCH_UP_CHECK = 100;
/** Events read per call while catching up: the SQLite store's own pages are 1,000 rows, tens of ms on a loaded machine. */
const CATCH_UP_PAGE = 200;
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
  private readonly statements = new Map<string, { readonly version: string; readonly statement: Promise<Statement> }>();
  private readonly clock: () => Date;
  private catchingUp: Promise<void> | undefined;
  /**
   * The view's writers, one after another: catch-up passes and snapshot saves. A save makes the
   * view's text in slices, so no pass may change the view until it is done.
   */
  private viewWork: Promise<void> = Promise.resolve();

  constructor(
    readonly store: EventStore,
    private readonly options: LedgerServiceOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.handler = new CommandHandler({
      store,
      clock: this.clock,
      // A heavy user's first consumption after a start: the read model's running sum, not the month's stream.
      usageSoFar: (profileId, userId, month, streamId) => {
        const known = this.view.usageSoFar(profileId, userId, month, streamId);
        return known === undefined ? undefined : { state: { consumed: known.credits, lastAt: known.lastAt }, revision: known.revision };
      },
      // A big profile's first SetOverage after a start: the view's latest consumptions, not every consumption read.
      consumptionsSoFar: (profileId) => {
        const byMonth = new Map<string, Checked>();
        for (const [month, c] of this.view.latestConsumptions(profileId)) byMonth.set(month, consumptionBy(c.userId, c.at));
        return { position: this.view.checkpoint, byMonth };
      },
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    });
  }

  now(): string {
    return this.clock().toISOString();
  }

  /**
   * Seeds the catalog of a fresh ledger and builds the read model: from its snapshot if that verifies
   * against the log, else from the log, saving a good snapshot in place of the one discarded.
   */
  async open(): Promise<this> {
    await this.handler.initialize();
    const snapshots = this.options.snapshots;
    const restored = snapshots === undefined ? E.right(undefined) : await this.restore(snapshots);
    if (E.isRight(restored) && restored.right !== undefined) this.view = restored.right;
    await this.catchUp();
    if (E.isLeft(restored) && snapshots !== undefined) {
      (this.options.warn ?? ((m: string) => process.stderr.write(`${m}\n`)))(`${snapshots.name}: ${restored.left}; discarded, the read model is rebuilt from the log`);
      await this.saveSnapshot();
    }
    return this;
  }

  /** The saved view if there is one and it is sealed by this log's key, parses, and its checkpoint is in the log; else why not. */
  private async restore(snapshots: SnapshotStore): Promise<E.Either<string, LedgerView | undefined>> {
    let saved: string | undefined;
    try {
      saved = await snapshots.load();
    } catch (e) {
      return E.left(`cannot be read (${(e as Error).message})`);
    }
    if (saved === undefined) return E.right(undefined);
    const body = unseal(await snapshotKey(this.store), saved);
    if (E.isLeft(body)) return body;
    let json: unknown;
    try {
      json = JSON.parse(body.right);
    } catch (e) {
      return E.left(`not JSON (${(e as Error).message})`);
    }
    const snapshot = decode(ViewSnapshot, json);
    if (E.isLeft(snapshot)) return E.left(`not a read-model snapshot (${snapshot.left.message})`);
    const { checkpoint, checkpointEventId } = snapshot.right;
    if (!(await this.inLog(checkpoint, checkpointEventId))) return E.left(`its checkpoint (event ${checkpointEventId} at ${checkpoint}) is not in the log`);
    try {
      return E.right(LedgerView.restore(snapshot.right));
    } catch (e) {
      return E.left(`its events do not fold (${(e as Error).message})`);
    }
  }

  /** Saves the read model (if a snapshot store was given) and closes the event store. */
  async close(): Promise<void> {
    await this.saveSnapshot();
    await this.store.close();
  }

  async saveSnapshot(): Promise<void> {
    if (this.options.snapshots === undefined || this.view.checkpoint < 0) return;
    // The key first: created by this save, its event is then inside the checkpoint, not read again on the next start.
    const key = await snapshotKeyForSaving(this.store);
    await this.catchUp();
    const snapshots = this.options.snapshots;
    const save = this.viewWork.then(() => this.writeSnapshot(snapshots, key));
    this.viewWork = save.catch(() => undefined);
    await save;
  }

  /** Not through saveSnapshot from inside a catch-up, which would wait for itself. */
  private async writeSnapshot(snapshots: SnapshotStore, key: SealKey): Promise<void> {
    await snapshots.save(await inSlices(seal(key, await inSlices(this.view.snapshotText()))));
    this.sinceSnapshot = 0;
  }

  private async inLog(position: number, eventId: string): Promise<boolean> {
    for await (const e of this.store.readAll({ after: position - 1, limit: 1 })) return e.globalPosition === position && e.eventId === eventId;
    return false;
  }

  execute(input: unknown, context: CommandContext = {}): Promise<E.Either<CommandFailure, CommandOutcome>> {
    return this.handler.execute(input, context);
  }

  /**
   * A command decided as it would be now and not appended (api.md "Previews"): the events it would
   * append, and the statement of the month it is dated in as it would then read, folded by the same
   * fold as every statement from the read model and those events. Null: a command of no profile
   * (DefineTier, CreateProfile), which changes no statement until a profile subscribes.
   */
  async preview(
    input: unknown,
    context: CommandContext = {},
    clock: () => Date = this.clock,
  ): Promise<E.Either<CommandFailure, { readonly events: ReadonlyArray<Recorded>; readonly statement: Statement | null }>> {
    const previewed = await this.handler.preview(input, context, clock);
    if (E.isLeft(previewed)) return previewed;
    const { events, month, profileId } = previewed.right;
    if (profileId === undefined) return E.right({ events, statement: null });
    // Caught up to at least what the decision read, so the fold sees the same history.
    await this.catchUp();
    return E.right({ events, statement: (await this.profileStatement(profileId, month, clock().toISOString(), events)) ?? null });
  }

  /**
   * Batch usage previewed (api.md "Previews"): each item's result as the batch would decide it now,
   * nothing appended, and the statement of each month the accepted items are dated in, as it would
   * read with all of them (month order; none when no item would append anything).
   */
  async previewBatch(
    profileId: string,
    requests: ReadonlyArray<unknown>,
    context: CommandContext = {},
    clock: () => Date = this.clock,
  ): Promise<{ readonly results: ReadonlyArray<E.Either<CommandFailure, Previewed>>; readonly statements: ReadonlyArray<Statement> }> {
    const results = await decideBatch(profileId, requests, (commands) => this.handler.previewConsumptions(commands, context, clock));
    const events = results.flatMap((r) => (E.isRight(r) ? r.right.events : []));
    const months = [...new Set(events.map((e) => monthOf(e.event.data.occurredAt)))].sort();
    await this.catchUp();
    const now = clock().toISOString();
    const statements = await Promise.all(months.map((m) => this.profileStatement(profileId, m, now, events)));
    return { results, statements: statements.filter((s): s is Statement => s !== undefined) };
  }

  /** Applies every event after the view's checkpoint. Concurrent callers share one pass. */
  catchUp(): Promise<void> {
    if (this.catchingUp === undefined) {
      const pass = this.viewWork.then(() => this.readForward()).finally(() => {
        this.catchingUp = undefined;
      });
      this.catchingUp = pass;
      this.viewWork = pass.catch(() => undefined);
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
    // A long catch-up (a burst of writes, another process's) lets other requests in every few ms.
    const clock = new SliceClock(CATCH_UP_CHECK);
    // Pages of CATCH_UP_PAGE: a store reads a page in one synchronous call (SQLite), which must stay short.
    for (let page = CATCH_UP_PAGE; page === CATCH_UP_PAGE; ) {
      page = 0;
      for await (const e of this.store.readAll({ after: this.view.checkpoint, limit: CATCH_UP_PAGE })) {
        if (isLedgerStream(e.streamId)) this.view.apply(decodeOrThrow(e));
        else this.view.skip(e.globalPosition, e.eventId);
        read += 1;
        page += 1;
        if (this.options.onProgress !== undefined && read % 10_000 === 0) this.options.onProgress(read, head);
        if (clock.due()) await clock.pause();
      }
    }
    this.options.onProgress?.(read, head);
    this.sinceSnapshot += read;
    if (this.sinceSnapshot >= SNAPSHOT_EVERY && this.options.snapshots !== undefined) await this.writeSnapshot(this.options.snapshots, await snapshotKeyForSaving(this.store));
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
    return info === undefined || lifecycle === undefined ? undefined : inSlices(profileNowFold(info, lifecycle.slice(), this.view.catalogSoFar(), this.now()));
  }

  /** The credit notes of one line, in log order (N4); undefined: no such profile. */
  async creditsOfLine(profileId: string, lineId: string): Promise<ReadonlyArray<Recorded<CreditIssued>> | undefined> {
    await this.catchUp();
    return this.view.creditsOf(profileId)?.filter((r) => r.event.data.lineId === lineId);
  }

  /**
   * The catalog is one stream: when it holds nothing the view lacks, the view's catalog is the
   * current one, and the answer need not wait for the view to catch up on every other stream (a
   * burst of another process's usage: ~1 s at 50,000 users).
   */
  async catalog(month: Month): Promise<CatalogOffer> {
    const newer = await this.store.readStream(Streams.catalog, { fromRevision: this.view.catalogSoFar().length, limit: 1 });
    if (newer.length > 0) await this.catchUp();
    return catalogOffer(this.view.catalogSoFar(), month);
  }

  /**
   * A statement is folded again only when the view's inputs to it changed (or its status did): a
   * past month's rarely do (T3), so its statement, a thousand users' worth, is not refolded per request.
   */
  private profileStatement(profileId: string, month: Month, now: string, pending: ReadonlyArray<Recorded> = []): Promise<Statement | undefined> {
    const inputs = this.view.statementVersion(profileId, month);
    if (inputs === undefined) return Promise.resolve(undefined);
    // A preview's statement (pending events) is folded for that request alone, never cached.
    const statement = pending.length > 0 ? this.foldStatement(profileId, month, now, pending) : this.cachedStatement(profileId, month, now, inputs);
    const seal = this.view.sealOf(profileId, month);
    return seal === undefined ? statement : statement.then((s) => (s.status !== 'final' ? s : { ...s, seal }));
  }

  /**
   * The statement folded from the view as it stands now (its input taken in the first slice), in
   * slices: a profile of 50,000 users does not hold other requests for its whole fold.
   */
  private foldStatement(profileId: string, month: Month, now: string, pending: ReadonlyArray<Recorded> = []): Promise<Statement> {
    const view = this.view;
    return inSlices(
      (function* () {
        return yield* statementFold((yield* view.readStatementInput(profileId, month, now, pending)) as StatementInput);
      })(),
    );
  }

  private cachedStatement(profileId: string, month: Month, now: string, inputs: string): Promise<Statement> {
    const key = `${profileId}/${month}`;
    const version = `${inputs}/${statusOf(month, now)}`;
    const cached = this.statements.get(key);
    this.statements.delete(key);
    // Requests arriving meanwhile share the fold in flight. The input is taken now: the view may
    // move on while the fold runs, and the version names this input.
    const statement = cached?.version === version ? cached.statement : this.foldStatement(profileId, month, now);
    this.statements.set(key, { version, statement });
    // A failed fold (a broken invariant) is not kept for the next request.
    statement.catch(() => {
      if (this.statements.get(key)?.statement === statement) this.statements.delete(key);
    });
    const oldest = this.statements.keys().next();
    if (this.statements.size > STATEMENTS_KEPT && !oldest.done) this.statements.delete(oldest.value);
    return statement;
  }

  /**
   * Seals every statement due (billing-rules F2) that has no seal yet, oldest month first, each from
   * the read model as of one log head; a seal another node wrote first is left as it is. Answers how
   * many this call wrote and how many it found written.
   */
  async sealDue(delayMs: number): Promise<{ readonly sealed: number; readonly sealedElsewhere: number }> {
    await this.catchUp();
    const now = this.now();
    const due = this.view.unsealed(lastSealableMonth(now, delayMs));
    let sealed = 0;
    if (due.length === 0) return { sealed, sealedElsewhere: 0 };
    const head = await this.headAt(this.view.checkpoint);
    for (const { profileId, month } of due) {
      if (await appendSeal(this.store, sealEvent((await this.profileStatement(profileId, month, now)) as Statement, head, now))) sealed += 1;
    }
    await this.catchUp();
    return { sealed, sealedElsewhere: due.length - sealed };
  }

  /** The log's head at a position the read model reached: that event and its chain hash. */
  private async headAt(position: number): Promise<LogHead> {
    for await (const e of this.store.readAll({ after: position - 1, limit: 1 })) {
      if (e.globalPosition === position && e.chainHash !== undefined) return { position, chainHash: e.chainHash };
    }
    // A store that keeps no chain (EventStoreDB) computes it on read, to its head.
    return this.store.logHead();
  }
}
