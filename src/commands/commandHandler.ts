import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { Catalog, emptyCatalog, genesisCatalog } from '../domain/catalog';
import { catalogChecked, catalogDecider, evolveCatalog } from '../domain/catalogDecider';
import { Command, CommandInput, CommandOf } from '../domain/commands';
import { Decider, issued } from '../domain/decider';
import { DomainError, domainError } from '../domain/errors';
import { creditChecked, creditDecider, CreditState, evolveCredits, initialCreditsState, IssueCredit, monthsRead } from '../domain/creditDecider';
import { CreditIssued, CreditsConsumed, LedgerEvent, ProfileEvent, Recorded, SCHEMA_VERSION, Streams } from '../domain/events';
import { statementOfLine } from '../domain/lineId';
import { InvariantViolation } from '../domain/invariant';
import {
  consumptionChecked,
  evolveProfile,
  initialProfileState,
  lifecycleChecked,
  LifecycleState,
  ProfileCommand,
  profileDecider,
  profileNotFound,
  ProfileState,
} from '../domain/profileDecider';
import { emptyRegistry, evolveRegistry, ProfileInfo, registryDecider } from '../domain/registryDecider';
import { canonicalInstant, Month, monthOf } from '../domain/time';
import { Checked, CLOCK_LEAD_MS, latestOf, serverInstant } from '../domain/timeOrder';
import { catalogReads, consumeCommandId, consumptionReads, creditReads, guardedStreams, lifecycleReads, Reads, ReadsOf, registryReads } from '../domain/reads';
import { ConsumptionState, evolveUsage, initialUsageState, usageDecider, UsageState } from '../domain/usageDecider';
import { decode } from '../domain/validation';
import { userStatementOf } from '../projections/monthlyStatement';
import { usageOfStream } from '../projections/usageOfMonth';
import { AppendResult, EventMetadata, EventStore, ExpectedRevision, Guard, PrefixGuard, RecordedEvent } from '../store/eventStore';
import { decodeOrThrow } from './decodeRecorded';
import { KeyedMutex } from './keyedMutex';
import { consumptionBy, ConsumptionsSoFar, LatestConsumptions } from './latestConsumptions';
import { Loaded, StreamStateCache } from './streamStateCache';

/** Who sent a command and under which ids; written into every event's metadata. */
export interface CommandContext {
  readonly actor?: string;
  /** An id a retry of the same request repeats (the API's Idempotency-Key): the command takes effect once under it. */
  readonly commandId?: string;
  readonly idempotencyKey?: string;
  readonly correlationId?: string;
  readonly requestHash?: string;
  /**
   * The accounts the sender may act on (every account when absent); not metadata. A profile outside
   * them is handled exactly as a missing one, so that no answer tells whether it exists.
   */
  readonly mayActOn?: (accountId: string) => boolean;
}

export type CommandFailure = DomainError | { readonly code: 'CONFLICT'; readonly message: string };

export interface CommandOutcome {
  readonly events: ReadonlyArray<RecordedEvent>;
  /** True when nothing was appended because the command had been applied before. */
  readonly duplicate: boolean;
}

/**
 * What a command would append if it were executed now, with nothing in between: its events in the
 * places they would take in their stream, under ids of their own (`preview-1`, …: none is assigned
 * until an append), outside the log (global position -1); none for a retry that would change nothing
 * (K2). `month`: the month the command is dated in; `profileId`: the profile it concerns, if one.
 */
export interface Previewed {
  readonly events: ReadonlyArray<Recorded>;
  readonly month: Month;
  readonly profileId: string | undefined;
}

/**
 * What the decisions before this one in a group (decideInOrder) or a batch preview decided, standing
 * in for appends not committed (or never to be made): the state each written stream would have, and
 * the requestIds claimed. Seen by the group's own decisions only: a decision of another stream (a
 * lifecycle command reading a user's usage, a consumption reading the lifecycle) reads what is
 * committed, so that none rests on an append that may still be refused, whose revision another
 * process's event could then take (its guard would hold against a state that never was).
 */
interface Pending {
  readonly states: Map<string, Loaded<unknown>>;
  readonly claimed: Map<string, CreditsConsumed>;
}

const noPending = (): Pending => ({ states: new Map(), claimed: new Map() });

export interface CommandHandlerDeps {
  readonly store: EventStore;
  /** The server clock, or a scenario's clock (T2, T4). */
  readonly clock: () => Date;
  readonly newId?: () => string;
  /** Re-reads and re-decisions after a concurrency conflict before answering CONFLICT. */
  readonly maxAttempts?: number;
  /** Waits before the next attempt after a conflict (default: a random pause growing with the attempts). */
  readonly backoff?: (attempt: number) => Promise<void>;
  /**
   * A usage stream's state as a reader of the log already summed it (the read model), with the
   * revision it summed to; the handler then reads only what follows instead of the whole month.
   */
  readonly usageSoFar?: (profileId: string, userId: string, month: string, streamId: string) => Loaded<UsageState> | undefined;
  /** A profile's latest consumption in each month as such a reader knows it: the first SetOverage reads only what follows. */
  readonly consumptionsSoFar?: (profileId: string) => ConsumptionsSoFar | undefined;
}

/**
 * Two processes that keep reading the same revision keep colliding; a random pause, growing with the
 * attempts, lets one of them finish first (the usual cure for livelock under optimistic concurrency).
 * The node that wrote last knows its stream without a read and tends to win again: pauses up to
 * 250 ms and 20 attempts (about 2.5 s at most on average) keep the other from losing every round,
 * which 10 attempts of at most 100 ms did not under CI's load (postgresOutage: one CONFLICT).
 */
export const DEFAULT_MAX_ATTEMPTS = 20;

const jitteredBackoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(250, 5 * 2 ** attempt)));

const ASSIGNMENT_COMMANDS: ReadonlySet<string> = new Set(['Subscribe', 'Unsubscribe', 'Upgrade', 'Downgrade']);


type Result = E.Either<CommandFailure, CommandOutcome>;

/** A command ready to decide; `serverDated` ones take their instant when they have their turn (T2). */
interface Resolved {
  readonly command: Command;
  readonly serverDated: boolean;
}

/**
 * One decision, ready to append: the stream it writes at the revision it read, the other streams it
 * read (guards, checked atomically with the append), and the ids it claims.
 */
interface Plan {
  readonly streamId: string;
  readonly revision: number;
  readonly events: ReadonlyArray<LedgerEvent>;
  readonly guards: ReadonlyArray<Guard>;
  /** Prefixes the decision read as of a global position (a profile's consumptions), checked likewise. */
  readonly prefixGuards?: ReadonlyArray<PrefixGuard>;
  readonly commandIds: ReadonlyArray<string>;
  /** Folds the appended events into the cached state of the written stream. */
  readonly remember: () => void;
  /** The written stream's state with the events in, for the decisions after this one in a group; undefined: not cached. */
  readonly leaves: () => Loaded<unknown> | undefined;
}

/**
 * How a decision reads: `claimSeen`, the ids it claims are looked up first (one was found claimed);
 * `fresh`, the store is asked first whether anyone else wrote the streams this process knows;
 * `pending`, what the earlier decisions of a group (decideInOrder) or of a batch preview
 * (previewConsumptions) would have appended.
 */
interface Reading {
  readonly claimSeen: boolean;
  readonly fresh: boolean;
  readonly pending?: Pending;
}

/** A command decided in a group under its stream's lock (a batch's items, or single requests that arrived together), with its sender. */
interface Grouped {
  readonly resolved: Resolved;
  readonly context: CommandContext;
}

/** What became of one command of a group: its result, or what was thrown for it alone. */
type Settled = { readonly ok: true; readonly result: Result } | { readonly ok: false; readonly error: unknown };

/** A single request's command waiting for its stream's lock, and its caller's promise. */
interface Waiting extends Grouped {
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

/** Dates a server-dated command at its turn, never before what it is checked against; a client's date stands. */
type Dating = <C extends Command>(command: C, against: Checked | undefined) => C;

/** What deciding came to: a rule violation, a retry that changes nothing (K2), or a plan. */
type Decided = E.Either<CommandFailure, Plan | { readonly applied: ReadonlyArray<RecordedEvent> }>;

/**
 * The imperative shell around the deciders: decode, load what the command reads, date it if the
 * sender did not, decide, and append with the expected revision and a guard on every other stream the
 * decision read. A conflict means something the decision read has moved: read again and decide again,
 * a bounded number of times.
 */
export class CommandHandler {
  private readonly cache: StreamStateCache<LedgerEvent>;
  private readonly consumptions: LatestConsumptions;
  private readonly mutex = new KeyedMutex();
  /** By lock: the single consumptions that arrived while the lock was held; they are decided together when it is free. */
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly newId: () => string;
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private catalogSeeded = false;

  constructor(private readonly deps: CommandHandlerDeps) {
    this.cache = new StreamStateCache(deps.store, (e) => decodeOrThrow(e).event);
    this.consumptions = new LatestConsumptions(deps.store, (e) => decodeOrThrow(e).event, undefined, deps.consumptionsSoFar);
    this.newId = deps.newId ?? randomUUID;
    this.maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.backoff = deps.backoff ?? jitteredBackoff;
  }

  /** Validates raw input (VALIDATION on anything malformed), then executes it. */
  async execute(input: unknown, context: CommandContext = {}): Promise<Result> {
    const decoded = decode(CommandInput, input);
    if (E.isLeft(decoded)) return decoded;
    const resolved = this.resolve(decoded.right);
    if (E.isLeft(resolved)) return resolved;
    return this.run(resolved.right, context);
  }

  /**
   * Decides raw input exactly as `execute` would now (same decoding, dating, reads and rules, the
   * requestId index read, not claimed) and stops before the append: nothing is written, no id is
   * claimed. `context.commandId` is not looked up: a preview neither claims nor replays a key.
   * `clock`: a test clock's instant as the command would move it, without moving it.
   */
  async preview(input: unknown, context: CommandContext = {}, clock: () => Date = this.deps.clock): Promise<E.Either<CommandFailure, Previewed>> {
    const decoded = decode(CommandInput, input);
    if (E.isLeft(decoded)) return decoded;
    const resolved = this.resolve(decoded.right, clock());
    if (E.isLeft(resolved)) return resolved;
    const { command } = resolved.right;
    // The catalog of a fresh ledger is its creation, not the command's effect (a served ledger has it already).
    await this.initialize();
    // `claimSeen`: the requestId index is read first, as the real command's second round would (K2).
    const decided = await this.mutex.run(this.lockOf(command), () => this.decide(resolved.right, context, clock().toISOString(), { claimSeen: true, fresh: true }));
    if (E.isLeft(decided)) return decided;
    const events = 'applied' in decided.right ? [] : wouldAppend(decided.right);
    const month = monthOf(events[0]?.event.data.occurredAt ?? command.occurredAt);
    return E.right({ events, month, profileId: 'profileId' in command && command.type !== 'CreateProfile' ? command.profileId : undefined });
  }

  /**
   * Batch usage previewed (api.md "Previews"): each input decided as `preview` decides one
   * ConsumeCredits, in the order given, on the state the items before it would leave (their
   * consumptions in the user's usage stream, their requestIds claimed: a later item with the same
   * requestId is its retry, or REQUEST_ID_REUSED), held here and never in the shared stream cache.
   * Event ids run across the batch (`preview-1`, `preview-2`, …).
   */
  async previewConsumptions(inputs: ReadonlyArray<unknown>, context: CommandContext = {}, clock: () => Date = this.deps.clock): Promise<ReadonlyArray<E.Either<CommandFailure, Previewed>>> {
    await this.initialize();
    const pending = noPending();
    const results: E.Either<CommandFailure, Previewed>[] = [];
    let ids = 0;
    for (const input of inputs) {
      const resolved = pipe(
        decode(CommandInput, input),
        E.chainW((c) => (c.type === 'ConsumeCredits' ? this.resolve(c, clock()) : E.left(domainError('VALIDATION', `type: must be ConsumeCredits, got ${c.type}`)))),
      );
      if (E.isLeft(resolved)) {
        results.push(resolved);
        continue;
      }
      const command = resolved.right.command as CommandOf<'ConsumeCredits'>;
      const decided = await this.mutex.run(this.lockOf(command), () => this.decide(resolved.right, context, clock().toISOString(), { claimSeen: true, fresh: true, pending }));
      if (E.isLeft(decided)) {
        results.push(decided);
        continue;
      }
      const plan = 'applied' in decided.right ? undefined : decided.right;
      const events = plan === undefined ? [] : wouldAppend(plan).map((r) => ({ ...r, ref: { ...r.ref, eventId: `preview-${++ids}` } }));
      if (plan !== undefined) aheadOf(pending, plan);
      results.push(E.right({ events, month: monthOf(events[0]?.event.data.occurredAt ?? command.occurredAt), profileId: command.profileId }));
    }
    return results;
  }

  private resolve(input: CommandInput, now: Date = this.deps.clock()): E.Either<DomainError, Resolved> {
    const occurredAt = canonicalInstant(input.occurredAt ?? now.toISOString());
    if (Date.parse(occurredAt) > now.getTime() + CLOCK_LEAD_MS) {
      return E.left(domainError('VALIDATION', `occurredAt: must not be more than 5 minutes after the server clock (${now.toISOString()}), got "${input.occurredAt}"`));
    }
    // "No group" is an assignment of its own (P2): made explicit so that deciders never see undefined.
    const group = ASSIGNMENT_COMMANDS.has(input.type) ? { groupId: ('groupId' in input ? input.groupId : undefined) ?? null } : {};
    return E.right({ command: { ...input, ...group, occurredAt } as Command, serverDated: input.occurredAt === undefined });
  }

  private async run(resolved: Resolved, context: CommandContext): Promise<Result> {
    const previous = await this.appliedUnder(context);
    if (previous !== undefined) return E.right({ events: previous, duplicate: true });
    await this.initialize();
    if (this.deps.store.appliesAppendsInOrder === true) return this.together(resolved, context);
    return this.mutex.run(this.lockOf(resolved.command), () => this.attempts(resolved, context));
  }

  /**
   * Hot streams (issue 18): commands on one stream (a hot user's consumptions, a profile's
   * subscriptions) that arrive while its lock is held (by the commit of the ones before) wait
   * together, and once the lock is theirs are decided one after another on the state each leaves,
   * their appends committed together, as a batch's items are (decideInOrder): one commit for all
   * instead of one each, and still one decision at a time per stream.
   */
  private together(resolved: Resolved, context: CommandContext): Promise<Result> {
    const lock = this.lockOf(resolved.command);
    // Alone (the lock free, nobody waiting): decided and appended as any single command, which
    // costs less than a group of one (the bench's mixed HTTP commands: 1,480–1,610 /s as groups of one, 2,020 alone).
    if (this.mutex.isFree(lock)) return this.mutex.run(lock, () => this.attempts(resolved, context));
    return new Promise((resolve, reject) => {
      const waiting = this.waiting.get(lock);
      if (waiting !== undefined) {
        waiting.push({ resolved, context, resolve, reject });
        return;
      }
      const group: Waiting[] = [{ resolved, context, resolve, reject }];
      this.waiting.set(lock, group);
      void this.mutex
        .run(lock, () => {
          // From now on, arrivals wait for the next turn of the lock.
          this.waiting.delete(lock);
          return this.decideInOrder(group, false);
        })
        .then(
          (settled) =>
            group.forEach((w, i) => {
              const s = settled[i];
              if (s === undefined) w.reject(new InvariantViolation('group', `command ${i} of ${group.length} of ${lock} was left without an answer`));
              else if (s.ok) w.resolve(s.result);
              else w.reject(s.error);
            }),
          (error: unknown) => group.forEach((w) => w.reject(error)),
        );
    });
  }

  /** What was appended under the request's Idempotency-Key, if anything. */
  private async appliedUnder(context: CommandContext): Promise<ReadonlyArray<RecordedEvent> | undefined> {
    return context.commandId === undefined ? undefined : this.deps.store.readCommand(context.commandId);
  }

  /**
   * Batch usage (api.md): each input decided as its own ConsumeCredits with every rule, results in
   * input order. The items of one user are decided in order under the user's lock (decideInOrder:
   * on a group-commit store, every accepted item of the batch in one commit). Users run side by side.
   */
  async executeConsumptions(inputs: ReadonlyArray<unknown>, context: CommandContext = {}): Promise<ReadonlyArray<Result>> {
    const results: Result[] = new Array<Result>(inputs.length);
    const byUser = new Map<string, { index: number; resolved: Resolved; context: CommandContext }[]>();
    for (const [index, input] of inputs.entries()) {
      const resolved = pipe(decode(CommandInput, input), E.chainW((c) => (c.type === 'ConsumeCredits' ? this.resolve(c) : E.left(domainError('VALIDATION', `type: must be ConsumeCredits, got ${c.type}`)))));
      if (E.isLeft(resolved)) results[index] = resolved;
      else {
        const lock = this.lockOf(resolved.right.command);
        byUser.set(lock, [...(byUser.get(lock) ?? []), { index, resolved: resolved.right, context }]);
      }
    }
    await this.initialize();
    await Promise.all(
      [...byUser].map(([lock, items]) =>
        this.mutex.run(lock, async () => {
          // Each requestId looked up first (claimSeen): a retried batch, the usual way a client recovers,
          // then finds its items applied instead of having every append refused and decided again.
          const settled = await this.decideInOrder(items, true);
          items.forEach(({ index }, i) => {
            const s = settled[i];
            if (s === undefined) throw new InvariantViolation('group', `batch item ${index} of ${lock} was left without an answer`);
            if (!s.ok) throw s.error;
            results[index] = s.result;
          });
        }),
      ),
    );
    return results;
  }

  /**
   * Commands on one stream (one user's consumptions, a profile's commands), under its lock, in order.
   * On a store that applies appends in order (a group commit), each is decided on the state the ones
   * before it leave (held for the group alone, `Pending`) and their appends are issued without
   * waiting for each other, so that every accepted one is in one commit. Should
   * an append be refused (another process moved a stream, a requestId claimed twice), the state it
   * was decided on was wrong, and so may be every later decision: those are decided again, one at a
   * time, as single commands. What is thrown for one (a store fault) is that one's alone.
   * `claimSeen`: each requestId is looked up before deciding, rather than only after a refusal.
   */
  private async decideInOrder(items: ReadonlyArray<Grouped>, claimSeen: boolean): Promise<ReadonlyArray<Settled>> {
    const settled = new Array<Settled>(items.length);
    const attempt = async (i: number, claimsLost = 0) => {
      const { resolved, context } = items[i] as Grouped;
      try {
        settled[i] = { ok: true, result: await this.attempts(resolved, context, claimsLost) };
      } catch (error) {
        settled[i] = { ok: false, error };
      }
    };
    // A store that may apply appends out of order: each as a single command, after the one before.
    if (this.deps.store.appliesAppendsInOrder !== true) {
      for (const i of items.keys()) await attempt(i);
      return settled;
    }
    const pending: { i: number; streamId: string; appended: Promise<AppendResult> }[] = [];
    // The requestIds the appends issued claim, and by which one: a later one with the same id is its
    // retry or REQUEST_ID_REUSED (K2, before the user's state), although nothing is committed yet.
    const ahead = noPending();
    const claimer = new Map<string, number>();
    const retries: { i: number; of: number }[] = [];
    for (const [i, { resolved, context }] of items.entries()) {
      try {
        // One look for the group, before its first decision: every one of its commands had arrived by
        // then, so a refusal decided on it is a refusal as of an instant within each one's request (and one
        // resting on an earlier item that does not land is decided again below). On PostgreSQL a look is a
        // round trip: with one a decision, a profile's Subscribes from 32 callers ran 1.4 times as fast as
        // with a commit each; with one a group, 1.9 times.
        const decision = await this.decide(resolved, context, this.deps.clock().toISOString(), { claimSeen, fresh: i === 0, pending: ahead });
        if (E.isLeft(decision)) settled[i] = { ok: true, result: decision };
        else if ('applied' in decision.right) {
          const c = resolved.command;
          const of = c.type === 'ConsumeCredits' ? claimer.get(consumeCommandId(c.profileId, c.requestId)) : undefined;
          if (decision.right.applied.length === 0 && of !== undefined) retries.push({ i, of });
          else settled[i] = { ok: true, result: E.right({ events: decision.right.applied, duplicate: true }) };
        } else {
          const plan = decision.right;
          const appended = this.append(plan, context);
          // Awaited below, after the others are issued; a rejection is handled there.
          appended.catch(() => undefined);
          // The next one is decided as if this one were in; if it is not, the next one's expected revision fails too.
          aheadOf(ahead, plan);
          pending.push({ i, streamId: plan.streamId, appended });
          for (const id of plan.commandIds) claimer.set(id, i);
        }
      } catch (error) {
        settled[i] = { ok: false, error };
      }
    }
    let wrongFrom = Infinity;
    /** Appends that landed, or failed with a fault that is their answer. */
    const done = new Set<number>();
    const lostClaims = new Set<number>();
    for (const { i, streamId, appended } of pending) {
      try {
        const outcome = await appended;
        if (outcome.kind === 'appended') {
          settled[i] = { ok: true, result: E.right({ events: outcome.events, duplicate: false }) };
          done.add(i);
        } else {
          if (outcome.kind === 'duplicate') lostClaims.add(i);
          this.cache.forget(streamId);
          wrongFrom = Math.min(wrongFrom, i);
        }
      } catch (error) {
        // Not written: the state remembered with it is not the stream's.
        this.cache.forget(streamId);
        settled[i] = { ok: false, error };
        done.add(i);
        wrongFrom = Math.min(wrongFrom, i);
      }
    }
    // A retry of one that landed answers its events.
    for (const { i, of } of retries) {
      const original = settled[of];
      if (done.has(of) && original?.ok === true && E.isRight(original.result)) {
        settled[i] = { ok: true, result: E.right({ events: original.result.right.events, duplicate: true }) };
        done.add(i);
      }
    }
    // From the first refused append on, what was decided may rest on a state that never was: decided
    // again (one whose id another claimed looks it up first, as a single command's second try does).
    for (const i of items.keys()) if (i >= wrongFrom && !done.has(i)) await attempt(i, lostClaims.has(i) ? 1 : 0);
    return settled;
  }

  /**
   * Decide and append until the append lands: after a Conflict (something read has moved), read and
   * decide again, a bounded number of times; after a Duplicate (a concurrent command claimed an id
   * this one claims), decide again with the ids looked up first, and so see it (K2, Idempotency-Key).
   *
   * The first decision trusts what this process knows of the streams it reads without asking the
   * store whether anyone else wrote (on PostgreSQL a round trip per command): an acceptance is checked
   * by its append anyway, every stream it read being guarded. A refusal is checked by nothing, so it
   * is answered only from a fresh look at the log.
   */
  private async attempts(resolved: Resolved, context: CommandContext, claimsLost = 0): Promise<Result> {
    let fresh = false;
    for (let attempt = 1; ; ) {
      if (claimsLost > 0) {
        const previous = await this.appliedUnder(context);
        if (previous !== undefined) return E.right({ events: previous, duplicate: true });
      }
      const decided = await this.decide(resolved, context, this.deps.clock().toISOString(), { claimSeen: claimsLost > 0, fresh });
      if (E.isLeft(decided) && !fresh) {
        fresh = true;
        continue;
      }
      if (E.isLeft(decided)) return decided;
      if ('applied' in decided.right) return E.right({ events: decided.right.applied, duplicate: true });
      const result = await this.append(decided.right, context);
      switch (result.kind) {
        case 'appended':
          return E.right({ events: result.events, duplicate: false });
        case 'duplicate':
          // Ids looked up and found free, then claimed before the append, twice over: no store does that.
          if (++claimsLost > 2) throw new InvariantViolation('K2', `a command kept losing its ids to others: ${JSON.stringify(resolved.command)}`);
          fresh = true;
          break;
        case 'conflict':
          if (attempt >= this.maxAttempts) return E.left({ code: 'CONFLICT' as const, message: `${result.message}; gave up after ${attempt} attempts` });
          // Only the stream the conflict names is read again: a retry that had to look at every stream
          // took several round trips to the other node's one, and kept losing to it (postgresOutage).
          this.cache.markMoved(result.streamId);
          await this.backoff(attempt++);
      }
    }
  }

  /** Commands on one stream take turns in this process, so the optimistic check mostly fires between processes. */
  private lockOf(c: Command): string {
    switch (c.type) {
      case 'DefineTier':
        return Streams.catalog;
      case 'CreateProfile':
        return Streams.registry;
      case 'ConsumeCredits':
        return `${Streams.ofProfile(c.profileId)}usage/${c.userId}`;
      default:
        return Streams.profile(c.profileId);
    }
  }

  /**
   * Loads what the command reads, as its decider declares it (domain/reads.ts), into the decider's
   * one state, dates the command if the server dates it, and decides. The plan appends to the
   * stream read at the revision read and guards every other stream read, as read.
   */
  private async decide(resolved: Resolved, context: CommandContext, now: string, { claimSeen, fresh, pending }: Reading): Promise<Decided> {
    if (fresh) await this.cache.refresh();
    const { command: c } = resolved;
    const dated: Dating = (command, against) => (resolved.serverDated ? { ...command, occurredAt: serverInstant(now, against) } : command);
    switch (c.type) {
      case 'DefineTier': {
        const catalog = await this.catalog(pending);
        return this.plan(catalogReads, catalog, catalog.state, catalogDecider, issued(dated(c, catalogChecked(catalog.state)), now), evolveCatalog, new Map());
      }
      case 'CreateProfile': {
        const registry = await this.load(registryReads.writes, evolveRegistry, emptyRegistry, pending);
        return this.plan(registryReads, registry, registry.state, registryDecider, issued(dated(c, undefined), now), evolveRegistry, new Map());
      }
      case 'ConsumeCredits':
        return this.decideConsumption(c, dated, context, now, claimSeen, pending);
      case 'IssueCredit':
        return this.decideCredit(c, creditReads(c), dated, context, now);
      default:
        // The months of the date the command carries, or for one the server dates, of its clock's
        // instant: its dating may move it into the next month, which the reads cover.
        return this.decideLifecycle(c, lifecycleReads(dated(c, undefined)), dated, context, now, pending);
    }
  }

  /**
   * Reads: the lifecycle and the catalog, and the consumptions the command is checked against in
   * the command's month and the next (T2 looks no further, since nothing is appended to a closed
   * month and nothing is dated more than 5 minutes ahead): the user's two usage streams, or for
   * SetOverage the profile's latest consumption, one value kept as of a global position P and
   * guarded by "no consumption of the profile after P" (a consumption committed elsewhere since
   * makes the append conflict, and the next attempt sees it). K4 needs no such guard: every
   * consumption guards the lifecycle stream.
   */
  private async decideLifecycle(c: ProfileCommand, reads: ReadsOf<'lifecycle'>, dated: Dating, context: CommandContext, now: string, pending: Pending | undefined): Promise<Decided> {
    const lifecycle = await this.profile(c.profileId, context, pending);
    if (lifecycle === undefined) return E.left(profileNotFound(c.profileId));
    const catalog = await this.catalog();
    const read = new Map([[reads.catalog, catalog.revision]]);
    let consumption: Checked | undefined;
    let prefixGuards: ReadonlyArray<PrefixGuard> = [];
    if (reads.consumptions.of === 'profile') {
      const consumptions = await this.consumptions.of(reads.consumptions.profileId);
      consumption = latestOf(...reads.consumptions.months.map(consumptions.latestIn));
      prefixGuards = [consumptions.guard];
    } else {
      const { userId } = reads.consumptions;
      const usage = await Promise.all(reads.consumptions.usage.map(async (streamId) => ({ streamId, loaded: await this.cache.load(streamId, evolveUsage, initialUsageState) })));
      consumption = latestOf(...usage.map(({ loaded: { state } }) => (state.lastAt === null ? undefined : consumptionBy(userId, state.lastAt))));
      for (const u of usage) read.set(u.streamId, u.loaded.revision);
    }
    const state: LifecycleState = { lifecycle: lifecycle.state, catalog: catalog.state, consumption };
    return this.plan(reads, lifecycle, state, profileDecider, issued(dated(c, lifecycleChecked(lifecycle.state, consumption)), now), evolveProfile, read, [], prefixGuards);
  }

  /**
   * Reads: the usage stream of the command's month, the catalog and the lifecycle (guarded: a
   * concurrent SetOverage or subscription change makes the append fail and the request be decided
   * again, so the log order agrees with the decision, K4), and the requestId index (claimed with the
   * append, K2).
   *
   * A requestId is almost always new, and the append claims it atomically: so it is looked up only
   * when that claim failed before (`claimSeen`), or when the decision without it is a refusal, which
   * must first rule out being the retry of an applied request (K2 comes first, T5). A retry that
   * is accepted again finds its id claimed at the append, writes nothing, and is decided again with
   * what was recorded under it.
   */
  private async decideConsumption(
    c: CommandOf<'ConsumeCredits'>,
    dated: Dating,
    context: CommandContext,
    now: string,
    claimSeen: boolean,
    pending?: Pending,
  ): Promise<Decided> {
    const lifecycle = await this.profile(c.profileId, context);
    if (lifecycle === undefined) return E.left(profileNotFound(c.profileId));
    const catalog = await this.catalog();
    // Dated first: the usage stream is the one of the month the consumption is dated in, which the server's dating may move into the next.
    const command = issued(dated(c, consumptionChecked(lifecycle.state, c.userId)), now);
    const reads = consumptionReads(command);
    const usageSoFar = this.deps.usageSoFar;
    if (usageSoFar !== undefined) this.cache.seed(reads.writes, () => usageSoFar(c.profileId, c.userId, monthOf(command.occurredAt), reads.writes));
    const usage = await this.load(reads.writes, evolveUsage, initialUsageState, pending);
    const read = new Map([
      [reads.catalog, catalog.revision],
      [reads.lifecycle, lifecycle.revision],
    ]);
    const decideAfter = (
      recorded: ReadonlyArray<RecordedEvent> | undefined,
      previous = recorded?.[0] === undefined ? undefined : (decodeOrThrow(recorded[0]).event as CreditsConsumed),
    ): Decided => {
      const state: ConsumptionState = { usage: usage.state, catalog: catalog.state, lifecycle: lifecycle.state, previous };
      const decided = this.plan(reads, usage, state, usageDecider, command, evolveUsage, read, [reads.requestId]);
      return E.isRight(decided) && 'events' in decided.right && decided.right.events.length === 0 ? E.right({ applied: recorded ?? [] }) : decided;
    };
    const claimedBefore = pending?.claimed.get(reads.requestId);
    if (claimedBefore !== undefined) return decideAfter([], claimedBefore);
    const unseen = claimSeen ? undefined : decideAfter(undefined);
    return unseen !== undefined && E.isRight(unseen) ? unseen : decideAfter(await this.deps.store.readCommand(reads.requestId));
  }

  /**
   * Reads: the profile's credits stream (written at the revision read: N2 across processes), and what
   * the credited user's lines of the months read show (monthsRead): the lifecycle, the catalog and the
   * user's usage of the credited month, guarded like every stream a decision reads, and that usage of
   * the months its earlier credits are dated in, which only names their CREDIT lines in a refusal.
   * The lines come from the statement fold itself (userStatementOf), never from a copy of its rules.
   */
  private async decideCredit(c: IssueCredit, reads: ReadsOf<'credits'>, dated: Dating, context: CommandContext, now: string): Promise<Decided> {
    const profile = await this.profile(c.profileId, context);
    if (profile === undefined) return E.left(profileNotFound(c.profileId));
    const catalog = await this.catalog();
    const [notes, lifecycle] = await Promise.all([this.recorded<CreditIssued>(reads.writes), this.recorded<ProfileEvent>(reads.lifecycle)]);
    const credits = notes.events.reduce((s, r) => evolveCredits(s, r.event), initialCreditsState);
    const { userId } = statementOfLine(c.lineId);
    const months = monthsRead(credits, c.lineId);
    // A closed month's usage stream no longer moves: its cached state is as good as a read, and a heavy user's month is not read again.
    const usage = await Promise.all(
      months.map(async (m) => {
        const usageStream = Streams.usage(c.profileId, userId, m);
        const loaded = await this.cache.load(usageStream, evolveUsage, initialUsageState);
        return { streamId: usageStream, revision: loaded.revision, used: usageOfStream(usageStream, loaded.revision, loaded.state.consumed, loaded.state.lastAt) };
      }),
    );
    const info = profile.state.profile as ProfileInfo;
    const lines = new Map(
      months.map((m, i) => {
        const used = usage[i]?.used;
        const input = { profile: info, catalog: catalog.state, lifecycle: lifecycle.events, usage: new Map(used === undefined ? [] : [[userId, used]]), credits: notes.events, month: m, now };
        return [m, userStatementOf(input, userId)?.lines ?? []];
      }),
    );
    const read = new Map([
      [reads.catalog, catalog.revision],
      [reads.lifecycle, lifecycle.revision],
      [reads.usage, usage.find((u) => u.streamId === reads.usage)?.revision ?? -1],
    ]);
    const state: CreditState = { credits, profile: info, lines };
    // The credits stream is read whole for each decision (a profile's credit notes are few): its state is not cached.
    return this.plan(reads, { state: credits, revision: notes.revision }, state, creditDecider, issued(dated(c, creditChecked(info, credits)), now), undefined, read);
  }

  /** A stream's events decoded with their places, and the revision read: for the decisions that fold a statement. */
  private async recorded<Ev extends LedgerEvent>(streamId: string): Promise<{ readonly events: ReadonlyArray<Recorded<Ev>>; readonly revision: number }> {
    const events = (await this.deps.store.readStream(streamId)).map((e) => decodeOrThrow(e) as Recorded<Ev>);
    return { events, revision: events[events.length - 1]?.ref.position ?? -1 };
  }

  /**
   * Decides on the loaded state and plans the append: to the written stream at the revision its
   * state was read at, guarding every other stream the reads declare at the revision read (`read`).
   * `evolveStream` folds the written stream's own state for the cache (none: not cached).
   */
  private plan<C, Ev extends LedgerEvent, S, W>(
    reads: Reads,
    written: Loaded<W>,
    state: S,
    decider: Decider<C, Ev, S>,
    command: C,
    evolveStream: ((s: W, e: Ev) => W) | undefined,
    read: ReadonlyMap<string, number>,
    commandIds: ReadonlyArray<string> = [],
    prefixGuards: ReadonlyArray<PrefixGuard> = [],
  ): Decided {
    const decided = decider.decide(command, state);
    if (E.isLeft(decided)) return decided;
    const guards = guardedStreams(reads).map((streamId) => {
      const revision = read.get(streamId);
      if (revision === undefined) throw new InvariantViolation('reads', `${reads.writes}: the decision declares a read of ${streamId} that was not loaded`);
      return Guard.stream(streamId, revision);
    });
    if (read.size !== guards.length) throw new InvariantViolation('reads', `${reads.writes}: loaded ${[...read.keys()].join(', ')}, declared ${guardedStreams(reads).join(', ')}`);
    // Folded once, for the group's next decision and then for the cache once the append lands.
    let after: Loaded<W> | undefined;
    const leaves = (): Loaded<W> | undefined =>
      evolveStream === undefined ? undefined : (after ??= { state: decided.right.reduce(evolveStream, written.state), revision: written.revision + decided.right.length });
    return E.right({
      streamId: reads.writes,
      revision: written.revision,
      events: decided.right,
      guards,
      prefixGuards,
      commandIds,
      remember: () => {
        const folded = leaves();
        if (folded !== undefined) this.cache.keep(reads.writes, folded);
      },
      leaves,
    });
  }

  private async append(plan: Plan, context: CommandContext): Promise<AppendResult> {
    plan.events.forEach(assertStorable);
    // Every event names its command and correlation; only ids a retry can repeat go to the store's index.
    const commandId = context.commandId ?? plan.commandIds[0] ?? this.newId();
    // Keys in RFC 8785 order, as the store writes them: its canonical JSON is then one JSON.stringify (chain.ts).
    const metadata: EventMetadata = {
      ...(context.actor === undefined ? {} : { actor: context.actor }),
      commandId,
      correlationId: context.correlationId ?? commandId,
      ...(context.idempotencyKey === undefined ? {} : { idempotencyKey: context.idempotencyKey }),
      ...(context.requestHash === undefined ? {} : { requestHash: context.requestHash }),
      schemaVersion: SCHEMA_VERSION,
    };
    const result = await this.deps.store.append(
      plan.streamId,
      plan.events.map((e) => ({ eventId: this.newId(), type: e.type, data: e.data, metadata })),
      {
        expectedRevision: ExpectedRevision.after(plan.revision),
        guards: plan.guards,
        ...(plan.prefixGuards === undefined || plan.prefixGuards.length === 0 ? {} : { prefixGuards: plan.prefixGuards }),
        commandIds: [...plan.commandIds, ...(context.commandId === undefined ? [] : [context.commandId])],
      },
    );
    if (result.kind !== 'appended') return result;
    const positions = result.events.map((e) => e.position);
    if (result.events.length !== plan.events.length || positions.some((p, i) => p !== plan.revision + 1 + i)) {
      throw new InvariantViolation('append', `${plan.streamId}: appended after revision ${plan.revision}, the store answered positions ${positions.join(', ')}`);
    }
    plan.remember();
    return result;
  }

  /** The lifecycle state of a profile the sender may act on, seeded with the registry's facts; undefined: none such. */
  private async profile(profileId: string, context: CommandContext, pending?: Pending): Promise<Loaded<ProfileState> | undefined> {
    const registry = await this.load(Streams.registry, evolveRegistry, emptyRegistry, pending);
    const info = registry.state.profiles.get(profileId);
    if (info === undefined || context.mayActOn?.(info.accountId) === false) return undefined;
    const seed = evolveProfile(initialProfileState, {
      type: 'ProfileCreated',
      data: { profileId, accountId: info.accountId, region: info.region, name: info.name, occurredAt: info.createdAt },
    });
    return this.load(Streams.profile(profileId), evolveProfile, seed, pending);
  }

  private catalog(pending?: Pending): Promise<Loaded<Catalog>> {
    return this.load(Streams.catalog, evolveCatalog, emptyCatalog, pending);
  }

  /** A stream's state as the group's earlier decisions leave it, if they wrote it; else as cached (committed). */
  private load<S, Ev extends LedgerEvent>(streamId: string, evolve: (s: S, e: Ev) => S, initial: S, pending: Pending | undefined): Promise<Loaded<S>> {
    const ahead = pending?.states.get(streamId) as Loaded<S> | undefined;
    return ahead === undefined ? this.cache.load(streamId, evolve, initial) : Promise.resolve(ahead);
  }

  /** C3: a fresh ledger starts with the three tiers, as ordinary events; whoever writes them first wins. */
  async initialize(): Promise<void> {
    if (this.catalogSeeded) return;
    // A conflict: another process wrote the catalog first.
    await this.deps.store.append(
      Streams.catalog,
      genesisCatalog.map((e) => ({ eventId: this.newId(), type: e.type, data: e.data, metadata: { schemaVersion: SCHEMA_VERSION, actor: 'system' } })),
      { expectedRevision: ExpectedRevision.noStream },
    );
    // From here on the cache asks the store what it knows of streams' ends (a lookup kept current by this process's reads and appends).
    await this.cache.refresh();
    this.catalogSeeded = true;
  }
}

/** What a plan leaves for the decisions after it in its group: its stream's state, and for a consumption its requestId claimed. */
const aheadOf = (pending: Pending, plan: Plan): void => {
  const leaves = plan.leaves();
  // Not cached (a profile's credits, read whole each time): the next decision reads the store, and its append is refused if this one lands.
  if (leaves === undefined) pending.states.delete(plan.streamId);
  else pending.states.set(plan.streamId, leaves);
  const consumed = plan.events[0];
  if (consumed?.type === 'CreditsConsumed') for (const id of plan.commandIds) pending.claimed.set(id, consumed);
};

/** A plan's events as they would be recorded, checked as an append checks them. */
const wouldAppend = (plan: Plan): ReadonlyArray<Recorded> => {
  plan.events.forEach(assertStorable);
  return plan.events.map((event, i) => ({
    ref: { streamId: plan.streamId, position: plan.revision + 1 + i, eventId: `preview-${i + 1}`, type: event.type },
    globalPosition: -1,
    event,
  }));
};

/** Before an append: what is written must read back as written, with the codecs used on every read. */
const assertStorable = (e: LedgerEvent): void => {
  const written = JSON.stringify({ type: e.type, data: e.data });
  const read = LedgerEvent.decode(JSON.parse(written));
  if (E.isLeft(read) || JSON.stringify(read.right) !== written) {
    throw new InvariantViolation('storable', `${e.type} would not read back as written: ${JSON.stringify(e)}`);
  }
};
