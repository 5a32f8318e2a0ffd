import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { Catalog, emptyCatalog, genesisCatalog } from '../domain/catalog';
import { catalogChecked, catalogDecider, evolveCatalog } from '../domain/catalogDecider';
import { Command, CommandInput, CommandOf } from '../domain/commands';
import { Decider } from '../domain/decider';
import { DomainError, domainError } from '../domain/errors';
import { creditChecked, creditDecider, evolveCredits, initialCreditsState, IssueCredit, monthsRead } from '../domain/creditDecider';
import { CreditIssued, CreditsConsumed, LedgerEvent, ProfileEvent, Recorded, SCHEMA_VERSION, Streams } from '../domain/events';
import { statementOfLine } from '../domain/lineId';
import { InvariantViolation } from '../domain/invariant';
import {
  consumptionChecked,
  evolveProfile,
  initialProfileState,
  lifecycleChecked,
  ProfileCommand,
  profileDecider,
  profileNotFound,
  ProfileState,
} from '../domain/profileDecider';
import { emptyRegistry, evolveRegistry, ProfileInfo, registryDecider } from '../domain/registryDecider';
import { canonicalInstant, Month, monthOf, nextMonth } from '../domain/time';
import { Checked, CLOCK_LEAD_MS, latestOf, serverInstant } from '../domain/timeOrder';
import { evolveUsage, initialUsageState, usageDecider, UsageState } from '../domain/usageDecider';
import { decode } from '../domain/validation';
import { userStatementOf } from '../projections/monthlyStatement';
import { usageOfStream } from '../projections/usageOfMonth';
import { ConcurrencyError, EventMetadata, EventStore, ExpectedRevision, Guard, PrefixGuard, RecordedEvent } from '../store/eventStore';
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
const jitteredBackoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(250, 5 * 2 ** attempt)));

const ASSIGNMENT_COMMANDS: ReadonlySet<string> = new Set(['Subscribe', 'Unsubscribe', 'Upgrade', 'Downgrade']);

/** K2: requestIds are unique within a profile; the store's command-id index enforces it. */
export const consumeCommandId = (profileId: string, requestId: string) => `ConsumeCredits/${profileId}/${requestId}`;

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
  private readonly newId: () => string;
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private catalogSeeded = false;

  constructor(private readonly deps: CommandHandlerDeps) {
    this.cache = new StreamStateCache(deps.store, (e) => decodeOrThrow(e).event);
    this.consumptions = new LatestConsumptions(deps.store, (e) => decodeOrThrow(e).event, undefined, deps.consumptionsSoFar);
    this.newId = deps.newId ?? randomUUID;
    this.maxAttempts = deps.maxAttempts ?? 20;
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
    const decided = await this.mutex.run(this.lockOf(command), () => this.decide(resolved.right, context, clock().toISOString(), true));
    if (E.isLeft(decided)) return decided;
    const events = 'applied' in decided.right ? [] : wouldAppend(decided.right);
    const month = monthOf(events[0]?.event.data.occurredAt ?? command.occurredAt);
    return E.right({ events, month, profileId: 'profileId' in command && command.type !== 'CreateProfile' ? command.profileId : undefined });
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

  /** `locked`: the caller already holds the command's lock (a batch, below). */
  private async run(resolved: Resolved, context: CommandContext, locked = false): Promise<Result> {
    // A command that loses an id it claims to a concurrent one is decided again, and then sees it (K2,
    // Idempotency-Key): once for the command's own id, once for a requestId.
    for (let round = 0; ; round++) {
      if (context.commandId !== undefined) {
        const previous = await this.deps.store.readCommand(context.commandId);
        if (previous !== undefined) return E.right({ events: previous, duplicate: true });
      }
      await this.initialize();
      const attempts = () => this.attempts(resolved, context, round > 0);
      const outcome = await (locked ? attempts() : this.mutex.run(this.lockOf(resolved.command), attempts));
      if (outcome !== 'claimedElsewhere') return outcome;
      if (round >= 2) throw new InvariantViolation('K2', `a command kept losing its ids to others: ${JSON.stringify(resolved.command)}`);
    }
  }

  /**
   * Batch usage (api.md): each input decided as its own ConsumeCredits with every rule, results in
   * input order. The items of one user are decided one after another under the user's lock, each on
   * the state the ones before it leave, and their appends are issued without waiting for each other:
   * on a store that applies appends in order (a group commit), every accepted item of the batch is
   * in one commit. Should an append be refused (another process moved a stream, a requestId claimed
   * twice), the state it was decided on was wrong, and so may be every later decision of that user:
   * those items are decided again, one at a time, as single commands. Users run side by side.
   */
  async executeConsumptions(inputs: ReadonlyArray<unknown>, context: CommandContext = {}): Promise<ReadonlyArray<Result>> {
    const results: Result[] = new Array<Result>(inputs.length);
    const byUser = new Map<string, { index: number; resolved: Resolved }[]>();
    for (const [index, input] of inputs.entries()) {
      const resolved = pipe(decode(CommandInput, input), E.chainW((c) => (c.type === 'ConsumeCredits' ? this.resolve(c) : E.left(domainError('VALIDATION', `type: must be ConsumeCredits, got ${c.type}`)))));
      if (E.isLeft(resolved)) results[index] = resolved;
      else {
        const lock = this.lockOf(resolved.right.command);
        byUser.set(lock, [...(byUser.get(lock) ?? []), { index, resolved: resolved.right }]);
      }
    }
    await this.initialize();
    await Promise.all([...byUser].map(([lock, items]) => this.mutex.run(lock, () => this.consumeInOrder(items, context, results))));
    return results;
  }

  private async consumeInOrder(items: ReadonlyArray<{ index: number; resolved: Resolved }>, context: CommandContext, results: Result[]): Promise<void> {
    // A store that may apply appends out of order: each item as a single command, after the one before.
    if (this.deps.store.appliesAppendsInOrder !== true) {
      for (const { index, resolved } of items) results[index] = await this.run(resolved, context, true);
      return;
    }
    const pending: { index: number; streamId: string; appended: Promise<CommandOutcome | ConcurrencyError> }[] = [];
    for (const { index, resolved } of items) {
      // Each requestId looked up first (claimSeen): a retried batch, the usual way a client recovers,
      // then finds its items applied instead of having every append refused and decided again.
      const decision = await this.decide(resolved, context, this.deps.clock().toISOString(), true);
      if (E.isLeft(decision)) results[index] = decision;
      else if ('applied' in decision.right) results[index] = E.right({ events: decision.right.applied, duplicate: true });
      else {
        const plan = decision.right;
        const appended = this.append(plan, context).catch((e: unknown) => {
          if (e instanceof ConcurrencyError) return e;
          throw e;
        });
        // The user's next item is decided as if this one were in; if it is not, the next one's expected revision fails too.
        plan.remember();
        pending.push({ index, streamId: plan.streamId, appended });
      }
    }
    const fresh = new Set<number>();
    let wrongFrom = Infinity;
    for (const { index, streamId, appended } of pending) {
      const outcome = await appended;
      if (outcome instanceof ConcurrencyError || outcome.duplicate) {
        this.cache.forget(streamId);
        wrongFrom = Math.min(wrongFrom, index);
      } else {
        results[index] = E.right(outcome);
        fresh.add(index);
      }
    }
    // From the first refused append on, what was decided may rest on a state that never was: decided again.
    for (const { index, resolved } of items) if (index >= wrongFrom && !fresh.has(index)) results[index] = await this.run(resolved, context, true);
  }

  /** `claimSeen`: an id this command claims was found claimed by an earlier round; ids are looked up before deciding. */
  private async attempts(resolved: Resolved, context: CommandContext, claimSeen: boolean): Promise<Result | 'claimedElsewhere'> {
    for (let attempt = 1; ; attempt++) {
      try {
        const decided = await this.decide(resolved, context, this.deps.clock().toISOString(), claimSeen);
        if (E.isLeft(decided)) return decided;
        if ('applied' in decided.right) return E.right({ events: decided.right.applied, duplicate: true });
        const result = await this.append(decided.right, context);
        return result.duplicate ? 'claimedElsewhere' : E.right(result);
      } catch (e) {
        if (!(e instanceof ConcurrencyError)) throw e;
        if (attempt >= this.maxAttempts) {
          return E.left({ code: 'CONFLICT' as const, message: `${e.message}; gave up after ${attempt} attempts` });
        }
        await this.backoff(attempt);
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

  /** Reads what the command depends on, as of now, and decides. */
  private async decide(resolved: Resolved, context: CommandContext, now: string, claimSeen: boolean): Promise<Decided> {
    await this.cache.refresh();
    const { command: c } = resolved;
    const dated: Dating = (command, against) => (resolved.serverDated ? { ...command, occurredAt: serverInstant(now, against) } : command);
    switch (c.type) {
      case 'DefineTier': {
        const catalog = await this.catalog();
        return this.plan(Streams.catalog, catalog, catalogDecider(now), dated(c, catalogChecked(catalog.state)), [], []);
      }
      case 'CreateProfile': {
        const registry = await this.cache.load(Streams.registry, evolveRegistry, emptyRegistry);
        return this.plan(Streams.registry, registry, registryDecider(now), dated(c, undefined), [], []);
      }
      case 'ConsumeCredits':
        return this.decideConsumption(c, dated, context, now, claimSeen);
      case 'IssueCredit':
        return this.decideCredit(c, dated, context, now);
      default:
        return this.decideLifecycle(c, dated, context, now);
    }
  }

  /**
   * Reads: the catalog and the lifecycle (guarded), the consumptions the command is checked against
   * in the command's month and the next (T2 looks no further, since nothing is appended to a closed
   * month and nothing is dated more than 5 minutes ahead): the user's two usage streams (guarded), or
   * for SetOverage the profile's latest consumption, one value kept as of a global position P and
   * guarded by "no consumption of the profile after P" (a consumption committed elsewhere since
   * makes the append conflict, and the next attempt sees it). K4 needs no such guard: every
   * consumption guards the lifecycle stream.
   */
  private async decideLifecycle(c: ProfileCommand, dated: Dating, context: CommandContext, now: string): Promise<Decided> {
    const profile = await this.profile(c.profileId, context);
    if (profile === undefined) return E.left(profileNotFound(c.profileId));
    const catalog = await this.catalog();
    // The month before any check: the client's date, or now for a command the server dates.
    const month = monthOf(dated(c, undefined).occurredAt);
    const months = [month, nextMonth(month)];
    const guards = [Guard.stream(Streams.catalog, catalog.revision)];
    let consumption: Checked | undefined;
    let prefixGuards: ReadonlyArray<PrefixGuard> = [];
    if (c.type === 'SetOverage') {
      const consumptions = await this.consumptions.of(c.profileId);
      consumption = latestOf(...months.map(consumptions.latestIn));
      prefixGuards = [consumptions.guard];
    } else {
      const usage = await Promise.all(
        months.map(async (m) => {
          const streamId = Streams.usage(c.profileId, c.userId, m);
          return { streamId, loaded: await this.cache.load(streamId, evolveUsage, initialUsageState) };
        }),
      );
      consumption = latestOf(...usage.map(({ loaded: { state } }) => (state.lastAt === null ? undefined : consumptionBy(c.userId, state.lastAt))));
      guards.push(...usage.map((u) => Guard.stream(u.streamId, u.loaded.revision)));
    }
    const command = dated(c, lifecycleChecked(profile.state, consumption));
    const decider = profileDecider({ catalog: catalog.state, now, consumption });
    return this.plan(Streams.profile(c.profileId), profile, decider, command, guards, [], prefixGuards);
  }

  /**
   * Reads: the catalog and the lifecycle (guarded: a concurrent SetOverage or subscription change makes
   * the append fail and the request be decided again, so the log order agrees with the decision, K4),
   * the requestId index (claimed with the append, K2), and the user's usage stream of the month.
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
  ): Promise<Decided> {
    const profile = await this.profile(c.profileId, context);
    if (profile === undefined) return E.left(profileNotFound(c.profileId));
    const catalog = await this.catalog();
    const command = dated(c, consumptionChecked(profile.state, c.userId));
    const requestCommandId = consumeCommandId(c.profileId, c.requestId);
    const month = monthOf(command.occurredAt);
    const streamId = Streams.usage(c.profileId, c.userId, month);
    const usageSoFar = this.deps.usageSoFar;
    if (usageSoFar !== undefined) this.cache.seed(streamId, () => usageSoFar(c.profileId, c.userId, month, streamId));
    const usage: Loaded<UsageState> = await this.cache.load(streamId, evolveUsage, initialUsageState);
    const guards = [Guard.stream(Streams.catalog, catalog.revision), Guard.stream(Streams.profile(c.profileId), profile.revision)];
    const decideAfter = (recorded: ReadonlyArray<RecordedEvent> | undefined): Decided => {
      const previous = recorded?.[0] === undefined ? undefined : (decodeOrThrow(recorded[0]).event as CreditsConsumed);
      const decider = usageDecider({ catalog: catalog.state, profile: profile.state, previous, now });
      const decided = this.plan(streamId, usage, decider, command, guards, [requestCommandId]);
      return E.isRight(decided) && 'events' in decided.right && decided.right.events.length === 0 ? E.right({ applied: recorded ?? [] }) : decided;
    };
    const unseen = claimSeen ? undefined : decideAfter(undefined);
    return unseen !== undefined && E.isRight(unseen) ? unseen : decideAfter(await this.deps.store.readCommand(requestCommandId));
  }

  /**
   * Reads: the profile's credits stream (written at the revision read: N2 across processes), and what
   * the credited user's lines of the months read show (monthsRead): the lifecycle, the catalog and the
   * user's usage of the credited month, guarded like every stream a decision reads, and that usage of
   * the months its earlier credits are dated in, which only names their CREDIT lines in a refusal.
   * The lines come from the statement fold itself (userStatementOf), never from a copy of its rules.
   */
  private async decideCredit(c: IssueCredit, dated: Dating, context: CommandContext, now: string): Promise<Decided> {
    const profile = await this.profile(c.profileId, context);
    if (profile === undefined) return E.left(profileNotFound(c.profileId));
    const catalog = await this.catalog();
    const streamId = Streams.credits(c.profileId);
    const [notes, lifecycle] = await Promise.all([this.recorded<CreditIssued>(streamId), this.recorded<ProfileEvent>(Streams.profile(c.profileId))]);
    const state = notes.events.reduce((s, r) => evolveCredits(s, r.event), initialCreditsState);
    const { userId, month } = statementOfLine(c.lineId);
    const months = monthsRead(state, c.lineId);
    // A closed month's usage stream no longer moves: its cached state is as good as a read, and a heavy user's month is not read again.
    const usage = await Promise.all(
      months.map(async (m) => {
        const usageStream = Streams.usage(c.profileId, userId, m);
        const loaded = await this.cache.load(usageStream, evolveUsage, initialUsageState);
        return { revision: loaded.revision, used: usageOfStream(usageStream, loaded.revision, loaded.state.consumed, loaded.state.lastAt) };
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
    const decided = creditDecider({ profile: info, now, lines }).decide(dated(c, creditChecked(info, state)), state);
    if (E.isLeft(decided)) return decided;
    const guards = [
      Guard.stream(Streams.catalog, catalog.revision),
      Guard.stream(Streams.profile(c.profileId), lifecycle.revision),
      Guard.stream(Streams.usage(c.profileId, userId, month), usage[0]?.revision ?? -1),
    ];
    // The credits stream is read whole for each decision (a profile's credit notes are few), so there is no cached state to update.
    return E.right({ streamId, revision: notes.revision, events: decided.right, guards, commandIds: [], remember: () => undefined });
  }

  /** A stream's events decoded with their places, and the revision read: for the decisions that fold a statement. */
  private async recorded<Ev extends LedgerEvent>(streamId: string): Promise<{ readonly events: ReadonlyArray<Recorded<Ev>>; readonly revision: number }> {
    const events = (await this.deps.store.readStream(streamId)).map((e) => decodeOrThrow(e) as Recorded<Ev>);
    return { events, revision: events[events.length - 1]?.ref.position ?? -1 };
  }

  private plan<C, Ev extends LedgerEvent, S>(
    streamId: string,
    loaded: Loaded<S>,
    decider: Decider<C, Ev, S>,
    command: C,
    guards: ReadonlyArray<Guard>,
    commandIds: ReadonlyArray<string>,
    prefixGuards: ReadonlyArray<PrefixGuard> = [],
  ): Decided {
    const decided = decider.decide(command, loaded.state);
    if (E.isLeft(decided)) return decided;
    return E.right({
      streamId,
      revision: loaded.revision,
      events: decided.right,
      guards,
      prefixGuards,
      commandIds,
      remember: () => this.cache.appended(streamId, loaded, decided.right, decider.evolve),
    });
  }

  private async append(plan: Plan, context: CommandContext): Promise<CommandOutcome> {
    plan.events.forEach(assertStorable);
    // Every event names its command and correlation; only ids a retry can repeat go to the store's index.
    const commandId = context.commandId ?? plan.commandIds[0] ?? this.newId();
    const metadata: EventMetadata = {
      schemaVersion: SCHEMA_VERSION,
      commandId,
      ...(context.idempotencyKey === undefined ? {} : { idempotencyKey: context.idempotencyKey }),
      correlationId: context.correlationId ?? commandId,
      ...(context.actor === undefined ? {} : { actor: context.actor }),
      ...(context.requestHash === undefined ? {} : { requestHash: context.requestHash }),
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
    if (result.duplicate) return result;
    const positions = result.events.map((e) => e.position);
    if (result.events.length !== plan.events.length || positions.some((p, i) => p !== plan.revision + 1 + i)) {
      throw new InvariantViolation('append', `${plan.streamId}: appended after revision ${plan.revision}, the store answered positions ${positions.join(', ')}`);
    }
    plan.remember();
    return result;
  }

  /** The lifecycle state of a profile the sender may act on, seeded with the registry's facts; undefined: none such. */
  private async profile(profileId: string, context: CommandContext): Promise<Loaded<ProfileState> | undefined> {
    const registry = await this.cache.load(Streams.registry, evolveRegistry, emptyRegistry);
    const info = registry.state.profiles.get(profileId);
    if (info === undefined || context.mayActOn?.(info.accountId) === false) return undefined;
    const seed = evolveProfile(initialProfileState, {
      type: 'ProfileCreated',
      data: { profileId, accountId: info.accountId, region: info.region, name: info.name, occurredAt: info.createdAt },
    });
    return this.cache.load(Streams.profile(profileId), evolveProfile, seed);
  }

  private catalog(): Promise<Loaded<Catalog>> {
    return this.cache.load(Streams.catalog, evolveCatalog, emptyCatalog);
  }

  /** C3: a fresh ledger starts with the three tiers, as ordinary events; whoever writes them first wins. */
  async initialize(): Promise<void> {
    if (this.catalogSeeded) return;
    try {
      await this.deps.store.append(
        Streams.catalog,
        genesisCatalog.map((e) => ({ eventId: this.newId(), type: e.type, data: e.data, metadata: { schemaVersion: SCHEMA_VERSION, actor: 'system' } })),
        { expectedRevision: ExpectedRevision.noStream },
      );
    } catch (e) {
      if (!(e instanceof ConcurrencyError)) throw e;
    }
    this.catalogSeeded = true;
  }
}

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
