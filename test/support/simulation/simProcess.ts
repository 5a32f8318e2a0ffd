import { apiError } from '../../../src/api/apiError';
import { commandRoutes } from '../../../src/api/commandRoutes';
import { Answer, commandAnswer, failedAnswer, IdempotencyRecords, KeyedContext, requestHash } from '../../../src/api/idempotency';
import { pathParamNames } from '../../../src/api/pathTemplate';
import { LedgerService } from '../../../src/app/ledgerService';
import { EventStore } from '../../../src/store/eventStore';
import { Faults, InjectedCrash, scheduledStore } from './scheduledStore';
import { Scheduler } from './scheduler';

/** One request a simulated client sends: a command of section 7, maybe under an Idempotency-Key. */
export interface SimRequest {
  /** Unique; sent as the correlation id, so the log tells which request appended what. */
  readonly id: string;
  /** Which process (server) it goes to. */
  readonly process: number;
  readonly command: Readonly<Record<string, unknown>>;
  readonly key?: string;
}

/** One token for every process: keys of different processes' requests collide, as they do for one client. */
export const ACTOR = 'sim';

/** The request's hash as the server computes it: route, path parameters (text, as in a URL) and body. */
const hashOf = (command: Readonly<Record<string, unknown>>): { readonly route: (typeof commandRoutes)[number]; readonly hash: string } => {
  const route = commandRoutes.find((r) => r.command === command.type);
  if (route === undefined) throw new Error(`no route for ${String(command.type)}`);
  const ids = pathParamNames(route.path);
  const params = Object.fromEntries(ids.map((id) => [id, String(command[id])]));
  const body = Object.fromEntries(Object.entries(command).filter(([k]) => k !== 'type' && !ids.includes(k)));
  return { route, hash: requestHash({ method: route.method, route: route.path, params, body }) };
};

/**
 * A server process without its HTTP framing: its own LedgerService (so its own handler and caches) and
 * the server's idempotency layer, over the shared store. A request is answered as the server would.
 */
export class SimProcess {
  private readonly records: IdempotencyRecords;

  private constructor(readonly ledger: LedgerService) {
    this.records = new IdempotencyRecords(ledger.store);
  }

  static async start(store: EventStore, clock: () => Date): Promise<SimProcess> {
    // No timers: a retry after a conflict goes straight back to the scheduler, which decides when it runs.
    return new SimProcess(await new LedgerService(store, { clock, backoff: () => Promise.resolve() }).open());
  }

  async send(request: SimRequest): Promise<Answer> {
    const { route, hash } = hashOf(request.command);
    const execute = async (keyed: Partial<KeyedContext>): Promise<Answer> => {
      const context = { actor: ACTOR, correlationId: request.id, ...keyed };
      return commandAnswer(route.status, await this.ledger.execute(request.command, context), context);
    };
    try {
      if (request.key === undefined) return await execute({});
      return (await this.records.answer({ actor: ACTOR, key: request.key, requestHash: hash }, execute, () => undefined)).answer;
    } catch (e) {
      // What the server's error handler answers for a fault: the client cannot know what was written.
      if (e instanceof InjectedCrash) return failedAnswer(apiError('INTERNAL', e.message));
      throw e;
    }
  }
}

/** One process per clock, each over the store as the scheduler lets it through; one that cannot start fails the schedule. */
export const startProcesses = async (scheduler: Scheduler, store: EventStore, clocks: ReadonlyArray<() => Date>, faults: () => Faults): Promise<ReadonlyArray<SimProcess>> => {
  const started = await scheduler.run(clocks.map((clock, i) => () => SimProcess.start(scheduledStore(store, scheduler, `P${i}`, faults), clock)));
  return started.map((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  });
};
