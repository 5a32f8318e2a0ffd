import * as t from 'io-ts';
import { Accounts, MAX_RATE, RequestsPerSecond } from '../auth/tokenEvents';
import { describeStatus } from './apiError';
import { CommandFields } from '../domain/commands';
import { MAX_BATCH, usageItemFields } from '../app/usageBatch';
import { CommandRoute, fieldsOf, USAGE_BATCH_PATH } from './commandRoutes';
import { IdempotencyKey, IDEMPOTENCY_HEADER } from './idempotency';
import { pathParamNames } from './pathTemplate';
import { QueryRoute } from './queryRoutes';
import { AdminRoute, TokenRoute } from './tokenRoutes';
import { WebhookRoute } from './webhookRoutes';

/**
 * The OpenAPI 3 document, generated from the route tables the server registers and from the io-ts
 * codecs that validate each field (a field's description is its codec's name), so the two cannot
 * drift apart. Response shapes are described once, below.
 */
type Schema = Record<string, unknown>;

/** The fields that are not strings on the wire; booleans are told by their codec's class. */
const NOT_STRINGS: ReadonlyMap<t.Mixed, Schema> = new Map<t.Mixed, Schema>([
  [RequestsPerSecond, { type: 'integer', minimum: 1, maximum: MAX_RATE }],
  [Accounts, { oneOf: [{ type: 'string', enum: ['all'] }, { type: 'array', items: { type: 'string', pattern: '^[0-9]{12}$' } }] }],
]);

const fieldSchema = (codec: t.Mixed): Schema =>
  codec instanceof t.BooleanType ? { type: 'boolean' } : { ...(NOT_STRINGS.get(codec) ?? { type: 'string' }), description: codec.name };

const objectSchema = (required: t.Props, optional: t.Props): Schema => ({
  type: 'object',
  additionalProperties: false,
  ...(Object.keys(required).length === 0 ? {} : { required: Object.keys(required) }),
  properties: Object.fromEntries(Object.entries({ ...required, ...optional }).map(([k, c]) => [k, fieldSchema(c)])),
});

const parameters = (where: 'path' | 'query', required: t.Props, optional: t.Props = {}) =>
  Object.entries({ ...required, ...optional }).map(([name, codec]) => ({ name, in: where, required: name in required, description: codec.name, schema: fieldSchema(codec) }));

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: Schema) => ({ 'application/json': { schema } });
const errorResponses = (statuses: ReadonlyArray<number>) =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: describeStatus(s), content: jsonContent(ref('Error')) }]));

/** Every /v1 operation: who may call it (401, 403), how often (429), and the correlation id its events record. */
const ACCESS_STATUSES = [401, 403, 429];
const correlationParameter = {
  name: 'X-Correlation-Id',
  in: 'header',
  required: false,
  description: 'Recorded as the correlationId of the events the request appends and echoed in the response; 1 to 128 printable ASCII characters without spaces, else the server makes one.',
  schema: { type: 'string', maxLength: 128 },
};

const PREVIEW_ANSWER = 'the preview: the events the command would append now (ids preview-1, …) and the statement of the month it is dated in as it would then read';
const noStatement = (r: CommandRoute) => r.command === 'DefineTier' || r.command === 'CreateProfile';
const previewParameter = (r: CommandRoute) => ({
  name: 'preview',
  in: 'query',
  required: false,
  description: `1 or true: decide the command as it would be now and append nothing (no requestId or Idempotency-Key is claimed or replayed); the same role and the same errors as the command. Answers 200 with ${PREVIEW_ANSWER}${noStatement(r) ? '; statement is null: this command belongs to no profile' : ''}. 0 or false (the default): run the command.`,
  schema: { type: 'string', enum: ['1', 'true', '0', 'false'] },
});

const pathOrder = (template: string, props: t.Props): t.Props => Object.fromEntries(pathParamNames(template).flatMap((n) => (props[n] === undefined ? [] : [[n, props[n]]])));

const commandOperation = (r: CommandRoute) => {
  const fields = fieldsOf(r);
  return {
    operationId: r.command,
    tags: ['commands'],
    summary: r.summary,
    parameters: [
      ...parameters('path', pathOrder(r.path, fields.path)),
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: `${IdempotencyKey.name}. The same key with the same request answers the first response again and appends nothing; with another request, 409 IDEMPOTENCY_KEY_REUSED.`,
        schema: { type: 'string', maxLength: 200 },
      },
      correlationParameter,
      previewParameter(r),
    ],
    requestBody: { required: true, content: jsonContent(objectSchema(fields.body.required, fields.body.optional)) },
    responses: {
      // A command that answers 200 shares the status with its preview: the body tells them apart (a preview has `statement`).
      ...(r.status === 200 ? {} : { '200': { description: PREVIEW_ANSWER, content: jsonContent(ref('Preview')) } }),
      [String(r.status)]:
        r.status === 200
          ? { description: `The events the command appended; with preview=true, ${PREVIEW_ANSWER}`, content: jsonContent({ oneOf: [ref('CommandResult'), ref('Preview')] }) }
          : { description: 'The events the command appended', content: jsonContent(ref('CommandResult')) },
      ...errorResponses([400, ...ACCESS_STATUSES, 404, 409, 413, 415, 422]),
    },
  };
};

const usageBatchOperation = {
  operationId: 'ConsumeCreditsBatch',
  tags: ['commands'],
  summary: `Up to ${MAX_BATCH} ConsumeCredits at once: each decided on its own with every rule of a single request, in the order given; one result per item, in order. A refused item appends nothing and stops no other; every accepted item is durable when the answer is sent. A malformed body is 400 for the whole call, a malformed item that item's VALIDATION. Retrying a batch is safe: each item is idempotent by its requestId.`,
  parameters: [
    { name: 'profileId', in: 'path', required: true, description: CommandFields.ConsumeCredits.required.profileId.name, schema: { type: 'string' } },
    { name: 'Idempotency-Key', in: 'header', required: false, description: `${IdempotencyKey.name}. Replays the first answer to the same batch.`, schema: { type: 'string', maxLength: 200 } },
    correlationParameter,
    {
      name: 'preview',
      in: 'query',
      required: false,
      description:
        '1 or true: decide every item as the batch would now, each on what the items before it would leave, and append nothing (no requestId or Idempotency-Key claimed). Answers 200 with each item\'s result (events under preview ids) and the statement of each month the accepted items are dated in, as it would then read. 0 or false (the default): run the batch.',
      schema: { type: 'string', enum: ['1', 'true', '0', 'false'] },
    },
  ],
  requestBody: {
    required: true,
    content: jsonContent({
      type: 'object',
      additionalProperties: false,
      required: ['requests'],
      properties: { requests: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: objectSchema(usageItemFields.required, usageItemFields.optional) } },
    }),
  },
  responses: {
    '200': { description: 'One result per request, in order; with preview=true, also the statements as they would read', content: jsonContent({ oneOf: [ref('UsageBatchResult'), ref('UsageBatchPreview')] }) },
    ...errorResponses([400, ...ACCESS_STATUSES, 413, 415]),
  },
};

/** `GET /v1/me`: the caller's own grants (server.ts). */
export const CALLER_PATH = '/v1/me';
const callerOperation = {
  operationId: 'getCaller',
  tags: ['queries'],
  summary: "Who the caller is: the actor its commands are recorded under, its role, its accounts, and the actions the role grants (a client offers only those; the server checks every request anyway). Local mode: actor local, role admin, every account",
  parameters: [correlationParameter],
  responses: { '200': { description: 'OK', content: jsonContent(ref('Caller')) }, ...errorResponses(ACCESS_STATUSES) },
};

const queryOperation = (q: QueryRoute) => ({
  operationId: q.operationId,
  tags: ['queries'],
  summary: q.summary,
  parameters: [...parameters('path', pathOrder(q.path, q.params)), ...parameters('query', q.query.required, q.query.optional), correlationParameter],
  responses: {
    '200':
      q.response === 'csv'
        ? {
            description: 'RFC 4180 CSV with a header row; gzip-compressed with gzip=1',
            content: { 'text/csv': { schema: { type: 'string' } }, 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
          }
        : { description: 'OK', content: jsonContent(ref(q.response.schema)) },
    ...errorResponses([400, ...ACCESS_STATUSES, 404]),
  },
});

/** The routes of the shell's own records (tokens, webhooks): admin only, a body for a POST. */
const adminOperation =
  (tag: string, who: string, errors: (r: AdminRoute) => ReadonlyArray<number>) =>
  (r: AdminRoute) => ({
    operationId: r.operationId,
    tags: [tag],
    summary: `${r.summary}. ${who}`,
    parameters: [...parameters('path', pathOrder(r.path, r.params)), correlationParameter],
    ...(r.body === undefined ? {} : { requestBody: { required: true, content: jsonContent(objectSchema(r.body.required, r.body.optional)) } }),
    responses: {
      [String(r.status)]: { description: 'OK', content: jsonContent(ref(r.response)) },
      ...errorResponses([400, ...ACCESS_STATUSES, ...errors(r)]),
    },
  });

const tokenOperation = adminOperation('tokens', 'Needs an admin token for every account.', (r) => (r.method === 'POST' ? [404, 409] : []));
const webhookOperation = adminOperation('webhooks', 'Needs an admin token, of every account for an endpoint of every account.', (r) =>
  r.path === '/v1/webhooks' ? (r.method === 'POST' ? [422] : []) : [404],
);

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const money: Schema = { type: 'string', description: 'an exact decimal with 2 places', example: '20.00' };
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });
const object = (properties: Record<string, Schema>, optional: ReadonlyArray<string> = []): Schema => ({
  type: 'object',
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  properties,
});

const eventFields = { streamId: str, position: int, eventId: str, type: str };
const appendedEvent = object({ ...eventFields, occurredAt: str, data: { type: 'object' } });
const recordedEvent = object({ ...eventFields, globalPosition: int, occurredAt: str, recordedAt: str, data: { type: 'object' }, metadata: { type: 'object' } });
const lineFields = {
  lineId: str,
  kind: { type: 'string', enum: ['CHARGE', 'REFUND', 'OVERAGE', 'CREDIT'] },
  tier: str,
  amount: money,
  description: str,
  at: str,
  reverses: { type: 'string', description: 'REFUND only: the CHARGE it reverses' },
  usage: {
    ...arrayOf(object({ streamId: str, fromPosition: int, toPosition: int, count: int })),
    description: 'OVERAGE only: the consumption it bills, as contiguous ranges of positions per usage stream',
  },
  credits: { type: 'string', description: 'CREDIT only: the line of a final statement it credits' },
};
const lineOptional = ['reverses', 'usage', 'credits'];

const webhookFields = {
  id: str,
  url: str,
  events: arrayOf(str),
  accountId: { type: 'string', nullable: true },
  createdAt: str,
  status: { type: 'string', enum: ['active', 'disabled'] },
  disabledAt: { type: 'string', nullable: true },
};
const webhook = object(webhookFields);

/** One result per item of a batch, in order. */
const batchResults = arrayOf({
  oneOf: [
    object({ ok: { type: 'boolean', enum: [true] }, events: arrayOf(appendedEvent) }),
    object({ ok: { type: 'boolean', enum: [false] }, error: object({ code: str, message: str }) }),
  ],
});

const components: Record<string, Schema> = {
  Error: object({ error: object({ code: str, message: str }) }),
  CommandResult: object({ events: arrayOf(appendedEvent) }),
  Preview: object({
    events: arrayOf(appendedEvent),
    statement: { allOf: [ref('Statement')], nullable: true, description: 'null for DefineTier and CreateProfile, which belong to no profile' },
  }),
  UsageBatchResult: object({
    results: batchResults,
  }),
  UsageBatchPreview: object({
    results: batchResults,
    statements: { ...arrayOf(ref('Statement')), description: 'the statement of each month an accepted item is dated in, in month order, as it would read with every accepted item' },
  }),
  RecordedEvent: recordedEvent,
  EventPage: object({ events: arrayOf(ref('RecordedEvent')), next: { type: 'integer', nullable: true, description: 'pass as after for the next page; null at the end' } }),
  Statement: object({
    profileId: str,
    accountId: str,
    region: str,
    month: str,
    currency: str,
    status: { type: 'string', enum: ['open', 'final'] },
    total: money,
    users: arrayOf(
      object({
        userId: str,
        billedTier: { type: 'string', nullable: true, description: 'null for a user whose only lines are CREDIT lines' },
        creditsIncluded: money,
        creditsUsed: money,
        overageCredits: money,
        total: money,
        lines: arrayOf(object({ ...lineFields, events: arrayOf(object(eventFields)) }, lineOptional)),
      }),
    ),
    userCount: { type: 'integer', description: 'with after or limit only: every billed user of the statement, not only this page\'s' },
    next: { type: 'string', nullable: true, description: 'with after or limit only: pass as after for the next page of users; null on the last' },
  }, ['userCount', 'next']),
  StatementLineWithEvents: object({ profileId: str, month: str, userId: str, ...lineFields, events: arrayOf(ref('RecordedEvent')) }, lineOptional),
  LineCredits: object({
    lineId: str,
    amount: money,
    credited: money,
    left: { ...money, description: 'what can still be credited: the amount, less the REFUND that reverses the line, less its credits' },
    credits: arrayOf(
      object({
        lineId: { type: 'string', nullable: true, description: 'the CREDIT line it shows as, on the statement of the month it is dated in' },
        month: str,
        amount: money,
        reason: str,
        eventId: str,
      }),
    ),
  }),
  TokenList: object({
    tokens: arrayOf(
      object({ name: str, role: str, accounts: { oneOf: [str, arrayOf(str)] }, rate: int, createdAt: str, revokedAt: { type: 'string', nullable: true } }),
    ),
  }),
  NewToken: object({ name: str, token: { type: 'string', description: 'ldg_…: shown this once; only its SHA-256 is stored' } }),
  RevokedToken: object({ name: str, revokedAt: str }),
  NewWebhook: object({ id: str, secret: { type: 'string', description: 'whsec_…: shown this once; the key of every signature (docs/webhooks.md)' } }),
  WebhookList: object({ webhooks: arrayOf(ref('Webhook')) }),
  Webhook: webhook,
  DeletedWebhook: object({ id: str, deletedAt: str }),
  DeliveryList: object({
    ...webhookFields,
    deliveries: arrayOf(
      object({
        messageId: str,
        type: str,
        position: int,
        seq: int,
        status: { type: 'string', enum: ['sending', 'retrying', 'delivered', 'failed'] },
        attempts: int,
        lastStatus: { type: 'integer', nullable: true },
        lastError: { type: 'string', nullable: true },
        lastAttemptAt: str,
        nextAt: { type: 'string', nullable: true },
      }),
    ),
  }),
  Redelivery: object({ id: str, from: str }),
  Profile: object({
    profileId: str,
    accountId: str,
    region: str,
    name: { type: 'string', nullable: true },
    createdAt: str,
    overage: { type: 'boolean' },
    users: arrayOf(
      object({
        userId: str,
        assignments: arrayOf(object({ groupId: { type: 'string', nullable: true, description: 'null: the direct assignment' }, tier: str })),
        effectiveTier: { type: 'string', description: 'the highest tier of the assignments, ranked by the prices of the current catalog' },
      }),
    ),
  }),
  AccountList: object({
    accounts: arrayOf(object({ accountId: str, profiles: arrayOf(object({ profileId: str, accountId: str, region: str, name: { type: 'string', nullable: true }, createdAt: str })) })),
  }),
  Catalog: object({
    month: str,
    currency: str,
    tiers: arrayOf(object({ tier: str, name: str, credits: money, price: money, fromMonth: str, event: object(eventFields) })),
  }),
  Caller: object({
    actor: str,
    role: { type: 'string', enum: ['reader', 'operator', 'admin'] },
    accounts: { oneOf: [{ type: 'string', enum: ['all'] }, arrayOf(str)] },
    actions: { ...arrayOf({ type: 'string', enum: ['query', 'command', 'issueCredit', 'defineTier', 'manageTokens', 'manageWebhooks'] }), description: 'command: every command but IssueCredit and DefineTier; issueCredit: IssueCredit' },
  }),
  LogHead: object({
    position: { type: 'integer', description: "the global position of the log's last event; -1 for an empty log" },
    chainHash: { type: 'string', description: 'lowercase hex SHA-256 chain hash of that event (64 zeros for an empty log)' },
  }),
  AccountStatement: object({
    accountId: str,
    month: str,
    currency: str,
    status: { type: 'string', enum: ['open', 'final'] },
    total: money,
    profiles: arrayOf(object({ profileId: str, region: str, total: money })),
    usersInSeveralProfiles: arrayOf(object({ userId: str, profiles: arrayOf(str) })),
  }),
};

export const openApiDocument = (
  commands: ReadonlyArray<CommandRoute>,
  queries: ReadonlyArray<QueryRoute>,
  tokens: ReadonlyArray<TokenRoute>,
  webhooks: ReadonlyArray<WebhookRoute>,
) => {
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (path: string, method: string, operation: unknown) => {
    paths[path] = { ...paths[path], [method]: operation };
  };
  for (const r of commands) add(r.path, r.method.toLowerCase(), commandOperation(r));
  add(USAGE_BATCH_PATH, 'post', usageBatchOperation);
  for (const q of queries) add(q.path, 'get', queryOperation(q));
  add(CALLER_PATH, 'get', callerOperation);
  for (const r of tokens) add(r.path, r.method.toLowerCase(), tokenOperation(r));
  for (const r of webhooks) add(r.path, r.method.toLowerCase(), webhookOperation(r));
  return {
    openapi: '3.0.3',
    info: {
      title: 'Subscription billing ledger',
      version: '1',
      description: `Commands append immutable events; statements are folds over them. Errors are {"error": {"code", "message"}}. Header ${IDEMPOTENCY_HEADER} on commands makes retries safe. Every /v1 request needs Authorization: Bearer <token> (ledger token create), except on a server in local mode (a store without tokens, loopback only). A profile or account outside the token's accounts answers 404 as a missing one.`,
    },
    paths,
    security: [{ bearerAuth: [] }],
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token (ldg_…) from `ledger token create`: role reader, operator or admin, for some accounts or all' },
      },
    },
  };
};
