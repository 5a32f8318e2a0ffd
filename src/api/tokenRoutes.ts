import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { DEFAULT_RATE } from '../auth/rateLimit';
import { TokenError, Tokens } from '../auth/tokenDecider';
import { Accounts, RequestsPerSecond, Role, TokenName } from '../auth/tokenEvents';
import { Sender, TokenRegistry } from '../auth/tokenRegistry';

/**
 * Token management over HTTP, for an admin token of every account (one for some accounts could
 * otherwise mint one for all): the same registry, and the same rules, as `ledger token`.
 */
/** A route of the shell's own records (tokens, webhooks), as the server registers it and OpenAPI describes it. */
export interface AdminRoute {
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI form, as for commands. */
  readonly path: string;
  readonly status: 200 | 201;
  readonly summary: string;
  readonly params: t.Props;
  /** A POST's JSON object; a GET has none. */
  readonly body?: { readonly required: t.Props; readonly optional: t.Props };
  /** A schema of the OpenAPI components. */
  readonly response: string;
}

export interface TokenRoute extends AdminRoute {
  readonly method: 'GET' | 'POST';
  /** Called with the sender to record, and params and body decoded by the codecs above. */
  run(registry: TokenRegistry, sender: Sender, params: unknown, body: unknown): Promise<E.Either<TokenError, unknown>>;
}

/** What a listing shows of a token: never its hash. */
const listed = (tokens: Tokens) =>
  [...tokens.values()].map(({ name, role, accounts, rate, createdAt, revokedAt }) => ({ name, role, accounts, rate, createdAt, revokedAt }));

export const tokenRoutes: ReadonlyArray<TokenRoute> = [
  {
    operationId: 'listTokens',
    method: 'GET',
    path: '/v1/tokens',
    status: 200,
    summary: 'Every API token ever created, revoked ones included, with its grants; never a token or its hash',
    params: {},
    response: 'TokenList',
    run: async (registry) => E.right({ tokens: listed(await registry.tokens()) }),
  },
  {
    operationId: 'createToken',
    method: 'POST',
    path: '/v1/tokens',
    status: 201,
    summary: `Create an API token; the answer is the only time it is shown. Accounts default to all, the rate to ${DEFAULT_RATE}/s`,
    params: {},
    body: { required: { name: TokenName, role: Role }, optional: { accounts: Accounts, rate: RequestsPerSecond } },
    response: 'NewToken',
    run: (registry, sender, _params, b: { name: string; role: Role; accounts?: Accounts; rate?: number }) =>
      registry.create({ name: b.name, role: b.role, accounts: b.accounts ?? 'all', rate: b.rate ?? DEFAULT_RATE }, sender),
  },
  {
    operationId: 'revokeToken',
    method: 'POST',
    path: '/v1/tokens/{name}/revoke',
    status: 200,
    summary: "Revoke a token: refused from the server's next request on. Its name is not reused",
    params: { name: TokenName },
    body: { required: {}, optional: {} },
    response: 'RevokedToken',
    run: (registry, sender, p: { name: string }) => registry.revoke(p.name, sender),
  },
];
