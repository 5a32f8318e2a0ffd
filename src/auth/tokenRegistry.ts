import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import * as O from 'fp-ts/Option';
import { Streams } from '../domain/events';
import { Loaded, StreamStateCache } from '../commands/streamStateCache';
import { EventStore, ExpectedRevision, StoreFault } from '../store/eventStore';
import { localPrincipal, Principal } from './authorize';
import { rateLimitOf } from './rateLimit';
import { TokenCommand, tokenDecider, TokenError, TokenRecord, Tokens } from './tokenDecider';
import { Accounts, decodeTokenEvent, Role, TOKEN_SCHEMA_VERSION, TokenEvent } from './tokenEvents';
import { digestOf, hashMatches, hashToken, isTokenShaped, newToken } from './tokenSecret';

export const TOKENS_STREAM = `${Streams.metaPrefix}tokens`;

export interface NewToken {
  readonly name: string;
  readonly role: Role;
  readonly accounts: Accounts;
  readonly rate: number;
}

/** Who changes the tokens, recorded like a command's sender (the correlation id defaults to the change's own id). */
export interface Sender {
  readonly actor: string;
  readonly correlationId?: string;
}

/** Appends lose a race only to another token command; a handful of re-decisions settles it. */
const MAX_ATTEMPTS = 8;

const principalOf = (t: TokenRecord): Principal => ({ actor: t.name, role: t.role, accounts: t.accounts, rateLimit: rateLimitOf(t.rate) });

/**
 * The tokens of `meta/tokens`, in the store the events live in. Every call catches up from the cached
 * revision (one short read), so a token created or revoked by another process — `ledger token` next
 * to a running server — counts from its next request on.
 */
export class TokenRegistry {
  private readonly cache: StreamStateCache<TokenEvent>;

  constructor(
    private readonly store: EventStore,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.cache = new StreamStateCache(store, decodeTokenEvent, 1);
  }

  /** Every token ever created, revoked ones included. */
  async tokens(): Promise<Tokens> {
    return (await this.catchUp()).state;
  }

  /**
   * The principal a bearer token stands for. While the store has never had a token, everyone is the
   * local principal (the server then listens on loopback only); after that, only an active token is.
   */
  async authenticate(bearer: string | undefined): Promise<O.Option<Principal>> {
    const tokens = await this.tokens();
    if (tokens.size === 0) return O.some(localPrincipal);
    if (bearer === undefined || !isTokenShaped(bearer)) return O.none;
    const digest = digestOf(bearer);
    // Every active token is compared, with no early exit, so the time taken does not depend on which matched.
    let found: TokenRecord | undefined;
    for (const t of tokens.values()) {
      if (t.revokedAt === null && hashMatches(t.hash, digest)) found = t;
    }
    return found === undefined ? O.none : O.some(principalOf(found));
  }

  /** Creates a token and returns it: the only time it exists outside its holder's hands. */
  async create(token: NewToken, sender: Sender): Promise<E.Either<TokenError, { readonly name: string; readonly token: string }>> {
    const secret = newToken();
    const created = await this.execute({ type: 'CreateToken', ...token, hash: hashToken(secret), createdAt: this.now() }, sender);
    return E.map(() => ({ name: token.name, token: secret }))(created);
  }

  async revoke(name: string, sender: Sender): Promise<E.Either<TokenError, { readonly name: string; readonly revokedAt: string }>> {
    const revokedAt = this.now();
    return E.map(() => ({ name, revokedAt }))(await this.execute({ type: 'RevokeToken', name, revokedAt }, sender));
  }

  private now(): string {
    return this.clock().toISOString();
  }

  private async execute(command: TokenCommand, sender: Sender): Promise<E.Either<TokenError, void>> {
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.catchUp();
      const decided = tokenDecider.decide(command, loaded.state);
      if (E.isLeft(decided)) return decided;
      const commandId = randomUUID();
      const metadata = { schemaVersion: TOKEN_SCHEMA_VERSION, actor: sender.actor, commandId, correlationId: sender.correlationId ?? commandId };
      const result = await this.store.append(
        TOKENS_STREAM,
        decided.right.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data, metadata })),
        { expectedRevision: ExpectedRevision.after(loaded.revision) },
      );
      if (result.kind !== 'conflict') {
        this.cache.appended(TOKENS_STREAM, loaded, decided.right, tokenDecider.evolve);
        return E.right(undefined);
      }
      if (attempt >= MAX_ATTEMPTS) throw new StoreFault('busy', `${result.message}; gave up after ${attempt} attempts`, 1);
    }
  }

  /** Reads what was appended since the cached revision, so no caller sees a state older than its call. */
  private catchUp(): Promise<Loaded<Tokens>> {
    return this.cache.load(TOKENS_STREAM, tokenDecider.evolve, tokenDecider.initialState);
  }
}
