import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as E from 'fp-ts/Either';
import { LedgerService } from '../app/ledgerService';
import { AccessControl } from './accessControl';
import { ApiError } from './apiError';
import { Answer, failedAnswer } from './idempotency';
import { LedgerMetrics } from './metrics';

/** How long readiness waits for the store and the read model before it says not ready. */
const READY_WITHIN_MS = 3000;

const within = <A>(ms: number, what: string, work: Promise<A>): Promise<A> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
};

/** A check of /readyz: whether it holds, and why not. */
interface Check {
  readonly ok: boolean;
  readonly reason?: string;
}

/**
 * Readiness (api.md): the store answers, and the read model has caught up with the log's head as it
 * was when the check began. Each check says why it failed, so that a 503 tells the operator what to fix.
 */
export const readiness = async (ledger: LedgerService): Promise<{ readonly ready: boolean; readonly checks: { readonly store: Check; readonly readModel: Check & { readonly lagEvents?: number } } }> => {
  let head: number;
  try {
    head = await within(READY_WITHIN_MS, 'the store', ledger.store.headPosition());
  } catch (e) {
    const reason = `the store does not answer: ${(e as Error).message}`;
    return { ready: false, checks: { store: { ok: false, reason }, readModel: { ok: false, reason: 'unknown while the store does not answer' } } };
  }
  try {
    await within(READY_WITHIN_MS, 'the read model', ledger.catchUp());
  } catch (e) {
    const lagEvents = Math.max(0, head - (ledger.eventsApplied - 1));
    return { ready: false, checks: { store: { ok: true }, readModel: { ok: false, lagEvents, reason: `catching up failed: ${(e as Error).message}` } } };
  }
  const lagEvents = Math.max(0, head - (ledger.eventsApplied - 1));
  const readModel = lagEvents === 0 ? { ok: true, lagEvents } : { ok: false, lagEvents, reason: `${lagEvents} events behind the log` };
  return { ready: readModel.ok, checks: { store: { ok: true }, readModel } };
};

type Send = (request: FastifyRequest, reply: FastifyReply, response: Answer, headers?: Record<string, string>) => FastifyReply;

/**
 * `GET /livez`, `GET /readyz`, `GET /metrics` (docs/operations.md): open to a client on this machine
 * (a loopback peer address), any valid token elsewhere (AccessControl.admit and operationsAccess).
 */
export const registerOperations = (app: FastifyInstance, ledger: LedgerService, metrics: LedgerMetrics, access: AccessControl, send: Send): void => {
  metrics.readModelLag(async () => Math.max(0, (await ledger.store.headPosition()) - (ledger.eventsApplied - 1)));
  const guarded = (handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) => async (request: FastifyRequest, reply: FastifyReply) => {
    const permitted: E.Either<ApiError, void> = access.operationsAccess(request);
    return E.isLeft(permitted) ? send(request, reply, failedAnswer(permitted.left)) : handler(request, reply);
  };
  app.get(
    '/livez',
    guarded(async (request, reply) => send(request, reply, { status: 200, body: { status: 'ok' } })),
  );
  app.get(
    '/readyz',
    guarded(async (request, reply) => {
      const { ready, checks } = await readiness(ledger);
      return send(request, reply, { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', checks } }, ready ? {} : { 'retry-after': '5' });
    }),
  );
  app.get(
    '/metrics',
    guarded(async (request, reply) => send(request, reply, { status: 200, body: await metrics.registry.metrics() }, { 'content-type': metrics.registry.contentType })),
  );
};
