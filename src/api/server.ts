import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Readable } from 'node:stream';
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions, LogController } from 'fastify';
import * as E from 'fp-ts/Either';
import * as O from 'fp-ts/Option';
import { pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import { LedgerService } from '../app/ledgerService';
import { ScenarioClock } from '../app/scenarioClock';
import { commandAction } from '../auth/access';
import { grantsOf, Principal } from '../auth/authorize';
import { TokenRegistry } from '../auth/tokenRegistry';
import { CommandContext, CommandFailure, Previewed } from '../commands/commandHandler';
import { NewInstant } from '../domain/fields';
import { resolveCurrentMonth } from '../domain/time';
import { decode, show, strictObject } from '../domain/validation';
import { AccessControl, CORRELATION_HEADER, correlationIdOf } from './accessControl';
import { ApiError, apiError, ApiFailure } from './apiError';
import { onceHeader } from './headers';
import { clientErrorHandler } from './clientErrors';
import { codecsOf, CommandRoute, commandRoutes, USAGE_BATCH_PATH } from './commandRoutes';
import { InvariantViolation } from '../domain/invariant';
import { StoreFault } from '../store/eventStore';
import { Answer as HttpResponse, commandAnswer, failedAnswer as failed, IDEMPOTENCY_HEADER, IdempotencyKeyHeader, idempotentCommandId, IdempotencyRecords, requestHash } from './idempotency';
import { registerConsole } from './consoleAssets';
import { LedgerMetrics } from './metrics';
import { registerOperations } from './operationsRoutes';
import { parseJsonBody } from './jsonBody';
import { consumeBatch, ItemResult, UsageBatchBody } from '../app/usageBatch';
import { Identifier } from '../domain/fields';
import { appendedEventJson, previewEventJson, previewJson } from './wire';
import { jsonText } from './jsonText';
import { CALLER_PATH, openApiDocument } from './openapi';
import { routerPath } from './pathTemplate';
import { Flag, isOn, QueryRoute, queryRoutes } from './queryRoutes';
import { AdminRoute, TokenRoute, tokenRoutes } from './tokenRoutes';
import { WebhookRoute, webhookRoutes } from './webhookRoutes';
import { WebhookRegistry } from '../webhooks/webhookRegistry';

/** Far above any command body (a few hundred bytes), far below what could hurt the server. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

export interface ServerOptions {
  /** Fastify's pino logger: off by default (tests), its options for `ledger serve`. */
  readonly logger?: FastifyServerOptions['logger'];
  readonly bodyLimit?: number;
  /** The API tokens; by default those of the ledger's own store. */
  readonly tokens?: TokenRegistry;
  /** The webhook endpoints; by default those of the ledger's own store, https to public addresses only. */
  readonly webhooks?: WebhookRegistry;
  /**
   * `ledger serve --test-clock`: every well-formed command moves the ledger's clock to its
   * `Test-Clock-Now` header, else to its `occurredAt` (api.md "Test clock").
   */
  readonly testClock?: ScenarioClock;
  readonly timeouts?: Partial<Timeouts>;
  /** Where the built console is; by default dist/console of this package. */
  readonly consoleDir?: string;
  /** The metrics served at /metrics; give the same to `instrument` the ledger's store (appends are timed there). By default the server's own. */
  readonly metrics?: LedgerMetrics;
}

/** Milliseconds; a slow or idle client must not hold a socket (and its memory) for long. */
export interface Timeouts {
  /** Until the request's headers are in. */
  readonly headers: number;
  /** Until the whole request, body included, is in. */
  readonly request: number;
  /** An idle kept-alive connection: above the 60 s idle timeout of AWS load balancers, so that the balancer closes first. */
  readonly keepAlive: number;
  /** A socket with no traffic at all. */
  readonly idle: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { headers: 10_000, request: 30_000, keepAlive: 65_000, idle: 120_000 };

/** A store that could not answer, as the API says it (api.md: 503 with Retry-After). */
const storeFaultError = (fault: StoreFault): ApiError =>
  fault.kind === 'busy'
    ? apiError('STORE_BUSY', `${fault.message}; nothing was appended, retry after ${fault.retryAfterSeconds} s`)
    : apiError(
        'STORE_UNAVAILABLE',
        `${fault.message}; retry after ${fault.retryAfterSeconds} s with the same requestId or Idempotency-Key, which answers what happened if the commit's outcome was unknown`,
      );

/** What the one log line of a request says besides method, url and status. */
interface LogFields {
  readonly actor?: string;
  readonly command?: string;
  readonly commandId?: string;
  readonly result?: string;
  readonly replayed?: boolean;
}

const resultOf = (r: HttpResponse): string => (r.status < 400 ? 'OK' : ((r.body as { error?: { code?: string } }).error?.code ?? String(r.status)));

/** Only `preview` is read from a command's query string; other parameters are ignored, as before previews. */
const PreviewQuery = strictObject('query', {}, { preview: Flag });

const IdempotencyHeader = strictObject('headers', {}, { 'Idempotency-Key': IdempotencyKeyHeader });
const TEST_CLOCK_HEADER = 'test-clock-now';
const TestClockHeader = strictObject('headers', {}, { 'Test-Clock-Now': onceHeader('Test-Clock-Now', NewInstant) });

const BatchParams = strictObject('path', { profileId: Identifier }, {});
/** 1,000 items of at most ~400 bytes each (two 128-character ids, credits, an instant), with room. */
const BATCH_BODY_LIMIT = 1024 * 1024;

const batchErrorJson = (e: CommandFailure) => ({ ok: false, error: { code: e.code, message: e.message } });
const batchResultJson = (r: ItemResult) => (E.isLeft(r) ? batchErrorJson(r.left) : { ok: true, events: r.right.events.map(appendedEventJson) });
const batchPreviewJson = (r: E.Either<CommandFailure, Previewed>) => (E.isLeft(r) ? batchErrorJson(r.left) : { ok: true, events: r.right.events.map(previewEventJson) });

/**
 * The HTTP shell (api.md): one generic registration per route table (commands, queries), io-ts at
 * every input (path, query, header, body), errors as `{"error": {"code", "message"}}`.
 */
export const buildServer = (ledger: LedgerService, options: ServerOptions = {}): FastifyInstance => {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    logger: options.logger ?? false,
    connectionTimeout: timeouts.idle,
    requestTimeout: timeouts.request,
    keepAliveTimeout: timeouts.keepAlive,
    // Node checks the header and request timeouts on this interval (default 30 s, which would let them run long).
    http: { headersTimeout: timeouts.headers, connectionsCheckingInterval: Math.min(1000, timeouts.headers) },
    clientErrorHandler,
    // One line per request, written by the onResponse hook below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // The request id is the correlation id of the events it appends: the client's, else one unique across restarts.
    genReqId: (raw) => correlationIdOf(raw.headers[CORRELATION_HEADER]),
    // URL-encoded line ids are longer than the default limit of 100.
    routerOptions: { maxParamLength: 1024 },
    frameworkErrors: (error, request, reply) => {
      send(request, reply, failed(apiError('VALIDATION', `url: ${error.message}`)));
    },
  });
  const logFields = new WeakMap<FastifyRequest, LogFields>();
  const note = (request: FastifyRequest, fields: LogFields) => logFields.set(request, { ...logFields.get(request), ...fields });
  const send = (request: FastifyRequest, reply: FastifyReply, response: HttpResponse, headers: Record<string, string> = {}) => {
    note(request, { result: resultOf(response) });
    const body = response.body;
    // Bytes, text and streams (a large statement, written out in slices) go as they are.
    if (typeof body !== 'object' || body === null || Buffer.isBuffer(body) || body instanceof Readable) return reply.status(response.status).headers(headers).send(body);
    return reply.status(response.status).headers(headers).type('application/json; charset=utf-8').send(jsonText(body));
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    const parsed = parseJsonBody(body as Buffer);
    if (E.isLeft(parsed)) done(new ApiFailure(parsed.left), undefined);
    else done(null, parsed.right);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiFailure) return send(request, reply, failed(error.apiError));
    const status = error.statusCode ?? 500;
    if (status === 413) return send(request, reply, failed(apiError('PAYLOAD_TOO_LARGE', `body: larger than the limit of ${app.initialConfig.bodyLimit} bytes`)));
    if (status === 415) {
      return send(request, reply, failed(apiError('UNSUPPORTED_MEDIA_TYPE', `content-type: must be application/json, got ${show(request.headers['content-type'])}`)));
    }
    if (status >= 400 && status < 500) return send(request, reply, failed(apiError('VALIDATION', error.message)));
    if (error instanceof StoreFault) {
      request.log.warn({ err: error }, 'store fault');
      return send(request, reply, failed(storeFaultError(error)), { 'retry-after': String(error.retryAfterSeconds) });
    }
    // A broken invariant is a defect that stopped a wrong write or a wrong bill: as loud as the log gets.
    if (error instanceof InvariantViolation) request.log.fatal({ err: error }, 'INVARIANT VIOLATED');
    else request.log.error({ err: error }, 'request failed');
    return send(request, reply, failed(apiError('INTERNAL', `internal error; the server log has the details under request id ${request.id}`)));
  });
  app.setNotFoundHandler((request, reply) => send(request, reply, failed(apiError('NOT_FOUND', `no route ${request.method} ${show(request.url.split('?')[0])}`))));
  // Once closing, each answer ends its connection: a kept-alive client must not hold the shutdown open.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    reply.header(CORRELATION_HEADER, request.id);
    return payload;
  });
  const metrics = options.metrics ?? new LedgerMetrics();
  app.addHook('onClose', async () => metrics.close());
  app.addHook('onResponse', async (request, reply) => {
    const fields = logFields.get(request);
    // The route's template, never the path: one series per route, whatever the ids.
    metrics.httpDuration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (fields?.command !== undefined) metrics.commands.inc({ command: fields.command, result: fields.result ?? String(reply.statusCode) });
    // The path only: a query string may carry a secret a client put there by mistake.
    request.log.info({ method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime), ...logFields.get(request) }, 'request');
  });

  const tokens = options.tokens ?? new TokenRegistry(ledger.store);
  const access = new AccessControl(ledger, tokens);
  app.addHook('onRequest', async (request, reply) => {
    const admitted = await access.admit(request);
    if (E.isLeft(admitted)) return send(request, reply, failed(admitted.left.error), admitted.left.headers);
    if (O.isSome(admitted.right)) note(request, { actor: admitted.right.value.actor });
  });

  const records = new IdempotencyRecords(ledger.store);

  const commandHandler = (route: CommandRoute) => {
    const codecs = codecsOf(route);
    const commandOf = (request: FastifyRequest) =>
      pipe(
        decode(codecs.params, request.params),
        E.chain((params) => pipe(decode(codecs.body, request.body), E.map((body) => ({ ...body, ...params, type: route.command })))),
      );
    /** A step's `now`, when sent, instead of its date: the command may then be dated up to 5 minutes ahead (T2). */
    const testClockAt = (input: unknown, clockAt: string | undefined): string | undefined => clockAt ?? (input as { occurredAt?: string }).occurredAt;
    const execute = async (request: FastifyRequest, principal: Principal, context: CommandContext, clockAt: string | undefined): Promise<HttpResponse> => {
      const input = commandOf(request);
      if (E.isLeft(input)) return failed(input.left);
      const moveTo = testClockAt(input.right, clockAt);
      if (moveTo !== undefined) options.testClock?.observe(moveTo);
      const mayActOn = access.commandScope(principal, input.right);
      if (E.isLeft(mayActOn)) return failed(mayActOn.left);
      const result = await ledger.execute(input.right, { actor: principal.actor, correlationId: request.id, mayActOn: mayActOn.right, ...context });
      if (E.isRight(result)) note(request, { commandId: result.right.events[0]?.metadata.commandId });
      return commandAnswer(route.status, result, context);
    };
    /**
     * `?preview=true`: the same decoding, scope and decision, nothing appended, no key claimed or
     * replayed; on a test clock, decided at the instant the command would move it to, which stays put.
     */
    const preview = async (request: FastifyRequest, principal: Principal, clockAt: string | undefined): Promise<HttpResponse> => {
      const input = commandOf(request);
      if (E.isLeft(input)) return failed(input.left);
      const testClock = options.testClock;
      const moveTo = testClockAt(input.right, clockAt);
      const clock = testClock === undefined || moveTo === undefined ? undefined : () => new Date(Math.max(testClock.now().getTime(), Date.parse(moveTo)));
      const mayActOn = access.commandScope(principal, input.right);
      if (E.isLeft(mayActOn)) return failed(mayActOn.left);
      const result = await ledger.preview(input.right, { actor: principal.actor, correlationId: request.id, mayActOn: mayActOn.right }, clock);
      return E.isLeft(result) ? failed(result.left) : { status: 200, body: previewJson(result.right) };
    };

    return async (request: FastifyRequest, reply: FastifyReply) => {
      note(request, { command: route.command });
      const permitted = access.permit(request, commandAction(route.command));
      if (E.isLeft(permitted)) return send(request, reply, failed(permitted.left));
      const principal = permitted.right;
      const clockHeader = decode(TestClockHeader, { 'Test-Clock-Now': request.raw.headersDistinct[TEST_CLOCK_HEADER] });
      if (E.isLeft(clockHeader)) return send(request, reply, failed(clockHeader.left));
      const clockAt = clockHeader.right['Test-Clock-Now'];
      if (clockAt !== undefined && options.testClock === undefined) {
        return send(request, reply, failed(apiError('VALIDATION', 'Test-Clock-Now: taken only by a server started with --test-clock; this one runs on its own clock')));
      }
      const header = decode(IdempotencyHeader, { 'Idempotency-Key': request.raw.headersDistinct[IDEMPOTENCY_HEADER] });
      if (E.isLeft(header)) return send(request, reply, failed(header.left));
      const previewing = decode(PreviewQuery, { preview: (request.query as Record<string, unknown> | undefined)?.preview });
      if (E.isLeft(previewing)) return send(request, reply, failed(previewing.left));
      if (isOn(previewing.right.preview)) return send(request, reply, await preview(request, principal, clockAt));
      const key = header.right['Idempotency-Key'];
      if (key === undefined) return send(request, reply, await execute(request, principal, {}, clockAt));
      const hash = requestHash({ method: route.method, route: route.path, params: request.params, body: request.body ?? null });
      note(request, { commandId: idempotentCommandId(principal.actor, key) });
      const { answer, replayed, reused } = await records.answer(
        { actor: principal.actor, key, requestHash: hash },
        (keyed) => execute(request, principal, keyed, clockAt),
        (err) => request.log.error({ err }, 'could not record the idempotent response'),
      );
      note(request, { replayed });
      return send(request, reply, answer, replayed && !reused ? { 'idempotent-replayed': 'true' } : {});
    };
  };

  const queryHandler = (route: QueryRoute) => {
    const params = strictObject('path', route.params, {});
    const query = strictObject('query', route.query.required, route.query.optional);
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const permitted = access.permit(request, 'query');
      if (E.isLeft(permitted)) return send(request, reply, failed(permitted.left));
      const now = ledger.now();
      const result = await pipe(
        TE.fromEither(decode(params, request.params)),
        TE.map((p) => resolveCurrentMonth(p, now)),
        TE.chainW((p) =>
          pipe(
            TE.fromEither(decode(query, request.query)),
            TE.map((q) => resolveCurrentMonth(q, now)),
            TE.chainFirstW((q) => () => access.queryScope(permitted.right, route.reads, { ...q, ...p })),
            TE.chainW((q) => route.run(ledger, p, q, access.readable(permitted.right))),
          ),
        ),
      )();
      if (E.isLeft(result)) return send(request, reply, failed(result.left));
      const { body, contentType = 'application/json; charset=utf-8', headers = {} } = result.right;
      return send(request, reply, { status: 200, body }, { ...headers, 'content-type': contentType });
    };
  };

  /**
   * The routes of the shell's own records (tokens, webhooks): a permission, then path and body
   * decoded by the route's codecs, then the route's run with the principal and the sender to record.
   */
  const adminHandler = (
    route: AdminRoute,
    permit: (request: FastifyRequest) => E.Either<ApiError, Principal>,
    run: (principal: Principal, sender: { actor: string; correlationId: string }, params: unknown, body: unknown) => Promise<E.Either<ApiError, unknown>>,
  ) => {
    const params = strictObject('path', route.params, {});
    const body = route.body === undefined ? undefined : strictObject('body', route.body.required, route.body.optional);
    const decodeBody = (u: unknown): E.Either<ApiError, unknown> => (body === undefined ? E.right(undefined) : decode(body, u));
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const permitted = permit(request);
      if (E.isLeft(permitted)) return send(request, reply, failed(permitted.left));
      const input = pipe(
        decode(params, request.params),
        E.chain((p) => pipe(decodeBody(request.body), E.map((b) => ({ p, b })))),
      );
      if (E.isLeft(input)) return send(request, reply, failed(input.left));
      const result = await run(permitted.right, { actor: permitted.right.actor, correlationId: request.id }, input.right.p, input.right.b);
      return send(request, reply, E.isLeft(result) ? failed(result.left) : { status: route.status, body: result.right });
    };
  };
  const tokenHandler = (route: TokenRoute) =>
    adminHandler(route, (request) => access.permitOnEveryAccount(request, 'manageTokens'), (_principal, sender, p, b) => route.run(tokens, sender, p, b));
  const webhooks = options.webhooks ?? new WebhookRegistry(ledger.store, { allowPrivate: false });
  const webhookHandler = (route: WebhookRoute) =>
    adminHandler(route, (request) => access.permit(request, 'manageWebhooks'), (principal, sender, p, b) => route.run(webhooks, principal, sender, p, b));

  /** api.md, batch usage: one answer for up to 1,000 ConsumeCredits, each decided on its own. */
  const usageBatch = async (request: FastifyRequest, reply: FastifyReply) => {
    note(request, { command: 'ConsumeCredits[]' });
    const permitted = access.permit(request, commandAction('ConsumeCredits'));
    if (E.isLeft(permitted)) return send(request, reply, failed(permitted.left));
    const principal = permitted.right;
    const previewing = decode(PreviewQuery, { preview: (request.query as Record<string, unknown> | undefined)?.preview });
    if (E.isLeft(previewing)) return send(request, reply, failed(previewing.left));
    const input = pipe(
      decode(BatchParams, request.params),
      E.chain((params) => pipe(decode(UsageBatchBody, request.body), E.map((body) => ({ ...params, ...body })))),
    );
    if (E.isLeft(input)) return send(request, reply, failed(input.left));
    const header = decode(IdempotencyHeader, { 'Idempotency-Key': request.raw.headersDistinct[IDEMPOTENCY_HEADER] });
    if (E.isLeft(header)) return send(request, reply, failed(header.left));
    const mayActOn = access.commandScope(principal, { type: 'ConsumeCredits' });
    if (E.isLeft(mayActOn)) return send(request, reply, failed(mayActOn.left));
    const context = { actor: principal.actor, correlationId: request.id, mayActOn: mayActOn.right };
    // Only well-formed dates move a test clock: a malformed one is its item's VALIDATION, not the call's.
    const dates = input.right.requests.flatMap((r) => (E.isRight(NewInstant.decode(r.occurredAt)) ? [r.occurredAt as string] : []));
    if (isOn(previewing.right.preview)) {
      // As for one command: on a test clock, decided where the batch would move the clock to (its latest date), which stays put.
      const testClock = options.testClock;
      const clock = testClock === undefined ? undefined : () => new Date(Math.max(testClock.now().getTime(), ...dates.map(Date.parse)));
      const { results, statements } = await ledger.previewBatch(input.right.profileId, input.right.requests, context, clock);
      return send(request, reply, { status: 200, body: { results: results.map(batchPreviewJson), statements } });
    }
    for (const d of dates) options.testClock?.observe(d);
    // Items are idempotent by their requestIds (K2): a key only replays the whole answer, its command id is no item's.
    const execute = async (): Promise<HttpResponse> => {
      const results = await consumeBatch(ledger.handler, input.right.profileId, input.right.requests, context);
      return { status: 200, body: { results: results.map(batchResultJson) } };
    };
    const key = header.right['Idempotency-Key'];
    if (key === undefined) return send(request, reply, await execute());
    const hash = requestHash({ method: 'POST', route: USAGE_BATCH_PATH, params: request.params, body: request.body ?? null });
    const { answer, replayed, reused } = await records.answer({ actor: principal.actor, key, requestHash: hash }, execute, (err) => request.log.error({ err }, 'could not record the idempotent response'));
    note(request, { replayed });
    return send(request, reply, answer, replayed && !reused ? { 'idempotent-replayed': 'true' } : {});
  };
  app.post(routerPath(USAGE_BATCH_PATH), { bodyLimit: Math.max(options.bodyLimit ?? DEFAULT_BODY_LIMIT, BATCH_BODY_LIMIT) }, usageBatch);

  for (const route of commandRoutes) app.route({ method: route.method, url: routerPath(route.path), handler: commandHandler(route) });
  for (const route of queryRoutes) app.get(routerPath(route.path), queryHandler(route));
  const testClock = options.testClock;
  if (testClock !== undefined) {
    app.get('/v1/test-clock', async (request, reply) => {
      const permitted = access.permit(request, 'query');
      return send(request, reply, E.isLeft(permitted) ? failed(permitted.left) : { status: 200, body: { now: testClock.now().toISOString() } });
    });
  }
  // Who the caller is and what its role may do: for a client (the console) to offer only what it may (api.md).
  app.get(CALLER_PATH, async (request, reply) => {
    const permitted = access.permit(request, 'query');
    if (E.isLeft(permitted)) return send(request, reply, failed(permitted.left));
    const { actor, role, accounts } = permitted.right;
    return send(request, reply, { status: 200, body: { actor, role, accounts, actions: grantsOf(role) } });
  });
  for (const route of tokenRoutes) app.route({ method: route.method, url: routerPath(route.path), handler: tokenHandler(route) });
  for (const route of webhookRoutes) app.route({ method: route.method, url: routerPath(route.path), handler: webhookHandler(route) });

  const document = openApiDocument(commandRoutes, queryRoutes, tokenRoutes, webhookRoutes);
  app.get('/openapi.json', async () => document);
  app.register(swagger, { mode: 'static', specification: { document: document as never } });
  app.register(swaggerUi, { routePrefix: '/docs' });
  registerOperations(app, ledger, metrics, access, send);
  registerConsole(app, options.consoleDir);
  return app;
};
