import { randomUUID } from 'node:crypto';
import { FastifyRequest } from 'fastify';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as O from 'fp-ts/Option';
import { accountNotFound, profileNotFound } from '../app/ledgerQueries';
import { LedgerService } from '../app/ledgerService';
import { commandAccess, queryTarget } from '../auth/access';
import { Action, authorize, Denial, localPrincipal, permits, Principal } from '../auth/authorize';
import { isLoopbackHost, isLoopbackHostHeader } from '../auth/loopback';
import { RateLimiter } from '../auth/rateLimit';
import { TokenRegistry } from '../auth/tokenRegistry';
import { CommandType } from '../domain/commands';
import { ApiError, apiError } from './apiError';
import { CONSOLE_PREFIX } from './consoleAssets';
import { QueryRoute } from './queryRoutes';

export const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_ID = /^[\x21-\x7e]{1,128}$/;

/** The client's `X-Correlation-Id` when it is one (1 to 128 printable ASCII, no spaces), else a new one. */
export const correlationIdOf = (header: unknown): string => (typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID());

const bearerOf = (authorization: string | undefined): string | undefined => /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];

/**
 * The API's description and the console's files are public (the console asks for a token when the API
 * does); every other route, an unknown one included, needs a principal.
 */
const isOpen = (routeUrl: string | undefined): boolean =>
  routeUrl === '/openapi.json' || routeUrl === '/docs' || (routeUrl?.startsWith('/docs/') ?? false) || routeUrl === '/' || routeUrl === CONSOLE_PREFIX || routeUrl === `${CONSOLE_PREFIX}/*`;

/** Health and metrics (operationsRoutes): open to a client on this machine, a token elsewhere. */
const OPERATIONS = new Set(['/livez', '/readyz', '/metrics']);
const isOpenOperation = (request: FastifyRequest): boolean =>
  OPERATIONS.has(request.routeOptions.url ?? '') && isLoopbackHost(request.socket.remoteAddress ?? '');

/** A request turned away before its route ran, with the headers that explain it. */
export interface Refusal {
  readonly error: ApiError;
  readonly headers: Readonly<Record<string, string>>;
}

/** DNS rebinding's signature in local mode (see isLoopbackHostHeader): 421, the request reached a server not meant for that name. */
const notLoopback = (request: FastifyRequest): Refusal => ({
  error: apiError(
    'MISDIRECTED_REQUEST',
    `Host ${JSON.stringify(request.headers.host ?? '')}: without API tokens (local mode) the server answers only to localhost, 127.0.0.1 or [::1]; create a token (ledger token create) to serve other names`,
  ),
  headers: {},
});

const forbidden = (d: Denial): ApiError => apiError('FORBIDDEN', d.message);

/**
 * The HTTP side of access control: who a request is (401), whether it is within its rate (429), and
 * what its principal may do (403, or the not-found answer where an id outside its accounts must look
 * missing). The decisions are `src/auth`'s pure functions; this wires them to requests.
 */
export class AccessControl {
  private readonly principals = new WeakMap<FastifyRequest, Principal>();

  constructor(
    private readonly ledger: LedgerService,
    private readonly registry: TokenRegistry,
    private readonly limiter: RateLimiter = new RateLimiter(),
  ) {}

  /** Run first for every request; a right means the route may run, as the principal given (none for an open route). */
  async admit(request: FastifyRequest): Promise<E.Either<Refusal, O.Option<Principal>>> {
    if (isOpen(request.routeOptions.url) || isOpenOperation(request)) {
      // The console's page too: served to a rebound name, its script would be same-origin with the API.
      return (await this.registry.tokens()).size === 0 && !isLoopbackHostHeader(request.headers.host) ? E.left(notLoopback(request)) : E.right(O.none);
    }
    const found = await this.registry.authenticate(bearerOf(request.headers.authorization));
    // Local mode answers anyone who reaches the socket, so the name they reached it by must be this machine's.
    if (O.isSome(found) && found.value === localPrincipal && !isLoopbackHostHeader(request.headers.host)) return E.left(notLoopback(request));
    if (O.isNone(found)) {
      const message = request.headers.authorization === undefined ? 'a bearer token is required: Authorization: Bearer ldg_…' : 'the bearer token is not valid (unknown, revoked or malformed)';
      return E.left({ error: apiError('UNAUTHENTICATED', message), headers: { 'www-authenticate': 'Bearer realm="ledger"' } });
    }
    const principal = found.value;
    if (principal.rateLimit !== undefined) {
      const taken = this.limiter.take(principal.actor, principal.rateLimit);
      if (!taken.allowed) {
        return E.left({
          error: apiError('RATE_LIMITED', `${principal.actor} is over its rate of ${principal.rateLimit.perSecond} requests per second`),
          headers: { 'retry-after': String(taken.retryAfterSeconds) },
        });
      }
    }
    this.principals.set(request, principal);
    return E.right(found);
  }

  /** The principal `admit` found; a route without one was registered outside this scheme. */
  principalOf(request: FastifyRequest): Principal {
    const principal = this.principals.get(request);
    if (principal === undefined) throw new Error(`no principal for ${request.method} ${request.url}: admit did not run`);
    return principal;
  }

  /** Health and metrics: a request admitted as open (a loopback peer) may; one with a principal needs a role that may query. */
  operationsAccess(request: FastifyRequest): E.Either<ApiError, void> {
    const principal = this.principals.get(request);
    return principal === undefined ? E.right(undefined) : E.bimap(forbidden, () => undefined)(permits(principal, 'query'));
  }

  /** The role's part, before the request is decoded. */
  permit(request: FastifyRequest, action: Action): E.Either<ApiError, Principal> {
    return E.mapLeft(forbidden)(permits(this.principalOf(request), action));
  }

  /** For what concerns every account (token management): an admin for some accounts could mint a token for all. */
  permitOnEveryAccount(request: FastifyRequest, action: Action): E.Either<ApiError, Principal> {
    return E.mapLeft(forbidden)(authorize(this.principalOf(request), action));
  }

  /** For a decoded command: 403, or the accounts the command handler may reach through a profile. */
  commandScope(principal: Principal, command: { readonly type: CommandType; readonly accountId?: string }): E.Either<ApiError, (accountId: string) => boolean> {
    return E.mapLeft(forbidden)(commandAccess(principal, command));
  }

  /** The accounts a principal may read, for a route that lists only those. */
  readable(principal: Principal): (accountId: string) => boolean {
    return (accountId) => E.isRight(authorize(principal, 'query', accountId));
  }

  /**
   * For a decoded query. A profile or account outside the principal's answers exactly what the query
   * answers for a missing one. A profile is looked up in the caught-up read model and the answer
   * given from that one snapshot, so a profile created meanwhile elsewhere cannot slip through.
   */
  async queryScope(principal: Principal, reads: QueryRoute['reads'], fields: Readonly<Record<string, unknown>>): Promise<E.Either<ApiError, void>> {
    // The route filters by `readable` itself, or reads what is the same for every account: the role's part was checked.
    if (reads !== undefined) return E.right(undefined);
    const target = queryTarget(fields);
    switch (target.kind) {
      case 'profile': {
        await this.ledger.catchUp();
        const info = this.ledger.profileInfo(target.profileId);
        return info !== undefined && E.isRight(authorize(principal, 'query', info.accountId)) ? E.right(undefined) : E.left(profileNotFound(target.profileId));
      }
      case 'account':
        return pipe(
          authorize(principal, 'query', target.accountId),
          E.bimap(() => accountNotFound(target.accountId, target.month), () => undefined),
        );
      case 'everyAccount':
        return pipe(authorize(principal, 'query'), E.bimap(forbidden, () => undefined));
    }
  }
}
