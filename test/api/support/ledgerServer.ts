import { FastifyInstance } from 'fastify';
import { LedgerMetrics } from '../../../src/api/metrics';
import { buildServer, ServerOptions } from '../../../src/api/server';
import { commandRoutes } from '../../../src/api/commandRoutes';
import { pathParamNames } from '../../../src/api/pathTemplate';
import { LedgerService } from '../../../src/app/ledgerService';
import { ScenarioClock } from '../../../src/app/scenarioClock';
import { EventStore } from '../../../src/store/eventStore';
import { openStore } from '../../../src/store/openStore';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body, or undefined for a body that is not JSON. */
  readonly body: any;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Sent as is, instead of `body` as JSON. */
  readonly raw?: string | Uint8Array;
  readonly headers?: Record<string, string>;
}

/** A real server on an ephemeral port of 127.0.0.1, over a store of its own. */
export interface TestServer {
  readonly base: string;
  readonly app: FastifyInstance;
  readonly ledger: LedgerService;
  readonly store: EventStore;
  request(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly storeUrl?: string;
  /** Wraps the opened store, to inject failures. */
  readonly wrapStore?: (store: EventStore) => EventStore;
  readonly clock?: () => Date;
  /** As `ledger serve --test-clock`: the clock is the latest `occurredAt` sent (instead of `clock`). */
  readonly testClock?: boolean;
  readonly logger?: ServerOptions['logger'];
}

export const request = async (base: string, method: string, path: string, options: RequestOptions = {}): Promise<HttpAnswer> => {
  const json = options.raw === undefined && options.body !== undefined;
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(json || options.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(json ? { body: JSON.stringify(options.body) } : options.raw === undefined ? {} : { body: options.raw }),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
};

export const startServer = async (options: StartOptions = {}): Promise<TestServer> => {
  const opened = await openStore(options.storeUrl ?? 'sqlite::memory:');
  const store = options.wrapStore?.(opened) ?? opened;
  const testClock = options.testClock === true ? new ScenarioClock() : undefined;
  const clock = testClock?.now ?? options.clock;
  const metrics = new LedgerMetrics();
  const ledger = await new LedgerService(metrics.instrument(store), clock === undefined ? {} : { clock }).open();
  const app: FastifyInstance = buildServer(ledger, {
    metrics,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(testClock === undefined ? {} : { testClock }),
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    base,
    app,
    ledger,
    store,
    request: (method, path, o) => request(base, method, path, o),
    close: async () => {
      await app.close();
      await opened.close();
    },
  };
};

/** A command object of section 7 (`{type, …fields}`) as its HTTP request: the route's path ids filled from its fields. */
export const commandRequest = (command: Record<string, unknown>): { method: string; path: string; body: Record<string, unknown> } => {
  const route = commandRoutes.find((r) => r.command === command.type);
  if (route === undefined) throw new Error(`no route for command ${String(command.type)}`);
  const ids = pathParamNames(route.path);
  const path = route.path.replace(/\{([A-Za-z]+)\}/g, (_m, id: string) => encodeURIComponent(String(command[id])));
  const body = Object.fromEntries(Object.entries(command).filter(([k]) => k !== 'type' && !ids.includes(k)));
  return { method: route.method, path, body };
};

export const send = (server: TestServer, command: Record<string, unknown>, headers?: Record<string, string>): Promise<HttpAnswer> => {
  const { method, path, body } = commandRequest(command);
  return server.request(method, path, { body, ...(headers === undefined ? {} : { headers }) });
};

/**
 * A server on a clock the test sets, with a history already written: each command sent at its own
 * `occurredAt` (server-dated ones at the previous instant), so that every month is open while it is
 * written (T4); then the clock is set to `then`, where the tests read. Each command must succeed.
 */
export const startServerWithHistory = async (
  timeline: ReadonlyArray<Record<string, unknown>>,
  then: Date,
  options: Omit<StartOptions, 'clock'> & { readonly headers?: Record<string, string> } = {},
): Promise<TestServer> => {
  let now = then;
  const { headers, ...start } = options;
  const server = await startServer({ ...start, clock: () => now });
  for (const command of timeline) {
    if (typeof command.occurredAt === 'string') now = new Date(command.occurredAt);
    const answer = await send(server, command, headers);
    if (answer.status >= 300) throw new Error(`history: ${JSON.stringify(command)} answered ${answer.status} ${answer.text}`);
  }
  now = then;
  return server;
};

/** The store with another `append`, everything else delegated: for failure injection. */
export const withAppend = (store: EventStore, append: EventStore['append']): EventStore => ({
  append,
  readStream: (streamId, options) => store.readStream(streamId, options),
  readAll: (options) => store.readAll(options),
  readCommand: (commandId) => store.readCommand(commandId),
  headPosition: () => store.headPosition(),
  logHead: () => store.logHead(),
  close: () => store.close(),
});
