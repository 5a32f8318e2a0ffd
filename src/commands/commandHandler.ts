import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { Catalog, genesisCatalog } from '../domain/catalog';
import { catalogDecider } from '../domain/catalogDecider';
import { Command, CommandInput, CommandOf } from '../domain/commands';
import { Decider } from '../domain/decider';
import { decodeOrThrow } from './decodeRecorded';
import { DomainError, domainError } from '../domain/errors';
import { CreditsConsumed, LedgerEvent, SCHEMA_VERSION, Streams } from '../domain/events';
import { evolveProfile, initialProfileState, ProfileCommand, ProfileState, profileDecider } from '../domain/profileDecider';
import { registryDecider } from '../domain/registryDecider';
import { canonicalInstant, monthOf } from '../domain/time';
import { usageDecider } from '../domain/usageDecider';
import { decode } from '../domain/validation';
import { ConcurrencyError, EventMetadata, EventStore, ExpectedRevision, RecordedEvent } from '../store/eventStore';
import { KeyedMutex } from './keyedMutex';
import { Loaded, StreamStateCache } from './streamStateCache';

/** Who sent a command and under which ids; written into every event's metadata. */
export interface CommandContext {
  readonly actor?: string;
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

export interface CommandHandlerDeps {
  readonly store: EventStore;
  /** The server clock, or a scenario's clock (T2). */
  readonly clock: () => Date;
  readonly newId?: () => string;
  /** Re-reads and re-decisions after a concurrency conflict before answering CONFLICT. */
  readonly maxAttempts?: number;
}

/** T2: no bill is written in advance. */
const MAX_CLOCK_LEAD_MS = 5 * 60 * 1000;

const ASSIGNMENT_COMMANDS: ReadonlySet<string> = new Set(['Subscribe', 'Unsubscribe', 'Upgrade', 'Downgrade']);

/** K2: requestIds are unique within a profile; the store's command-id index enforces it. */
export const consumeCommandId = (profileId: string, requestId: string) => `ConsumeCredits/${profileId}/${requestId}`;

type Result = E.Either<CommandFailure, CommandOutcome>;

/**
 * The imperative shell around the deciders: decode, fix the instant, load the stream states, decide,
 * append with the expected revision, and on a conflict re-read and re-decide a bounded number of times.
 */
export class CommandHandler {
  private readonly cache: StreamStateCache<LedgerEvent>;
  private readonly mutex = new KeyedMutex();
  private readonly newId: () => string;
  private readonly maxAttempts: number;
  private catalogSeeded = false;

  constructor(private readonly deps: CommandHandlerDeps) {
    this.cache = new StreamStateCache(deps.store, (e) => decodeOrThrow(e).event);
    this.newId = deps.newId ?? randomUUID;
    this.maxAttempts = deps.maxAttempts ?? 8;
  }

  /** Validates raw input (VALIDATION on anything malformed), then executes it. */
  async execute(input: unknown, context: CommandContext = {}): Promise<Result> {
    const decoded = decode(CommandInput, input);
    if (E.isLeft(decoded)) return decoded;
    const command = this.resolve(decoded.right);
    if (E.isLeft(command)) return command;
    return this.run(command.right, context);
  }

  private resolve(input: CommandInput): E.Either<DomainError, Command> {
    const now = this.deps.clock();
    const occurredAt = canonicalInstant(input.occurredAt ?? now.toISOString());
    if (Date.parse(occurredAt) > now.getTime() + MAX_CLOCK_LEAD_MS) {
      return E.left(domainError('VALIDATION', `occurredAt: must not be more than 5 minutes after the server clock (${now.toISOString()}), got "${input.occurredAt}"`));
    }
    // "No group" is an assignment of its own (P2): made explicit so that deciders never see undefined.
    const group = ASSIGNMENT_COMMANDS.has(input.type) ? { groupId: ('groupId' in input ? input.groupId : undefined) ?? null } : {};
    return E.right({ ...input, ...group, occurredAt } as Command);
  }

  private async run(command: Command, context: CommandContext): Promise<Result> {
    if (context.commandId !== undefined) {
      const previous = await this.deps.store.readCommand(context.commandId);
      if (previous !== undefined) return E.right({ events: previous, duplicate: true });
    }
    await this.initialize();
    const key = this.primaryStream(command);
    return this.mutex.run(key, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.attempt(command, context);
        } catch (e) {
          if (!(e instanceof ConcurrencyError)) throw e;
          if (attempt >= this.maxAttempts) {
            return E.left({ code: 'CONFLICT' as const, message: `${e.message}; gave up after ${attempt} attempts` });
          }
        }
      }
    });
  }

  private primaryStream(c: Command): string {
    switch (c.type) {
      case 'DefineTier':
        return Streams.catalog;
      case 'CreateProfile':
        return Streams.registry;
      case 'ConsumeCredits':
        return Streams.usage(c.profileId, c.userId, monthOf(c.occurredAt));
      default:
        return Streams.profile(c.profileId);
    }
  }

  private attempt(c: Command, context: CommandContext): Promise<Result> {
    switch (c.type) {
      case 'DefineTier':
        return this.decideAndAppend(Streams.catalog, catalogDecider, c, context);
      case 'CreateProfile':
        return this.decideAndAppend(Streams.registry, registryDecider, c, context);
      case 'ConsumeCredits':
        return this.consume(c, context);
      default:
        return this.profileCommand(c, context);
    }
  }

  private async profileCommand(c: ProfileCommand, context: CommandContext): Promise<Result> {
    const catalog = await this.catalog();
    const decider = profileDecider(catalog);
    const seed = await this.profileSeed(c.profileId, context);
    if (seed.profile === null) return decider.decide(c, seed) as E.Left<DomainError>;
    return this.decideAndAppend(Streams.profile(c.profileId), { ...decider, initialState: seed }, c, context);
  }

  private async consume(c: CommandOf<'ConsumeCredits'>, context: CommandContext): Promise<Result> {
    const commandId = consumeCommandId(c.profileId, c.requestId);
    const catalog = await this.catalog();
    const seed = await this.profileSeed(c.profileId, context);
    // A missing profile has no usage: not reading it keeps a profile outside the sender's accounts looking missing.
    const recorded = seed.profile === null ? undefined : await this.deps.store.readCommand(commandId);
    const previous = recorded?.[0] === undefined ? undefined : (decodeOrThrow(recorded[0]).event as CreditsConsumed);
    const profile = seed.profile === null ? seed : (await this.cache.load(Streams.profile(c.profileId), evolveProfile, seed)).state;
    const decider = usageDecider({ catalog, profile, previous });
    const streamId = this.primaryStream(c);
    const loaded = await this.cache.load(streamId, decider.evolve, decider.initialState);
    const decided = decider.decide(c, loaded.state);
    if (E.isLeft(decided)) return decided;
    if (decided.right.length === 0) return E.right({ events: recorded ?? [], duplicate: true });
    const result = await this.append(streamId, loaded, decider, decided.right, { ...context, commandId });
    // Another request took this requestId between our read and our append: decide again (K2).
    if (E.isRight(result) && result.right.duplicate) return this.consume(c, context);
    return result;
  }

  private async decideAndAppend<C, Ev extends LedgerEvent, S>(streamId: string, decider: Decider<C, Ev, S>, c: C, context: CommandContext): Promise<Result> {
    const loaded = await this.cache.load(streamId, decider.evolve, decider.initialState);
    const decided = decider.decide(c, loaded.state);
    if (E.isLeft(decided)) return decided;
    return this.append(streamId, loaded, decider, decided.right, context);
  }

  private async append<Ev extends LedgerEvent, S>(
    streamId: string,
    loaded: Loaded<S>,
    decider: { evolve: (s: S, e: Ev) => S },
    events: ReadonlyArray<Ev>,
    context: CommandContext,
  ): Promise<Result> {
    // Every event names its command and correlation; only a command id a retry can repeat goes to the store's index.
    const commandId = context.commandId ?? this.newId();
    const metadata: EventMetadata = {
      schemaVersion: SCHEMA_VERSION,
      commandId,
      ...(context.idempotencyKey === undefined ? {} : { idempotencyKey: context.idempotencyKey }),
      correlationId: context.correlationId ?? commandId,
      ...(context.actor === undefined ? {} : { actor: context.actor }),
      ...(context.requestHash === undefined ? {} : { requestHash: context.requestHash }),
    };
    const result = await this.deps.store.append(
      streamId,
      events.map((e) => ({ eventId: this.newId(), type: e.type, data: e.data, metadata })),
      { expectedRevision: ExpectedRevision.after(loaded.revision), ...(context.commandId === undefined ? {} : { commandId: context.commandId }) },
    );
    if (!result.duplicate) this.cache.appended(streamId, loaded, result.events, decider.evolve);
    return E.right({ events: result.events, duplicate: result.duplicate });
  }

  /** The registry's facts about a profile, as the first event of its lifecycle state. */
  private async profileSeed(profileId: string, context: CommandContext): Promise<ProfileState> {
    const registry = await this.cache.load(Streams.registry, registryDecider.evolve, registryDecider.initialState);
    const info = registry.state.profiles.get(profileId);
    if (info === undefined || context.mayActOn?.(info.accountId) === false) return initialProfileState;
    return evolveProfile(initialProfileState, {
      type: 'ProfileCreated',
      data: { profileId, accountId: info.accountId, region: info.region, name: info.name, occurredAt: info.createdAt },
    });
  }

  private async catalog(): Promise<Catalog> {
    return (await this.cache.load(Streams.catalog, catalogDecider.evolve, catalogDecider.initialState)).state;
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
