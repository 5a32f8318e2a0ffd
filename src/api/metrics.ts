import { monitorEventLoopDelay } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EventStore } from '../store/eventStore';

/**
 * The Prometheus metrics of one server (docs/operations.md has the table), through prom-client: its
 * default process metrics and the ledger's own, named by Prometheus' conventions. A registry per
 * instance, not prom-client's global one, so that several servers in one process (tests) keep apart.
 */
export class LedgerMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route (the path template) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: 'ledger_commands_total',
    help: 'Commands answered, by command and result (OK or the error code)',
    labelNames: ['command', 'result'] as const,
    registers: [this.registry],
  });
  readonly appendDuration = new Histogram({
    name: 'ledger_append_duration_seconds',
    help: 'Appends to the event store, commit (and fsync) included, whatever their outcome',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly webhookAttempts = new Counter({
    name: 'ledger_webhook_attempts_total',
    help: 'Webhook delivery attempts this node made, by outcome: delivered, retry (failed, to be retried) or failed (the last attempt failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const loopDelay = this.loopDelay;
    loopDelay.enable();
    new Gauge({
      name: 'ledger_event_loop_lag_seconds',
      help: 'The 99th percentile of the event loop delay since the previous scrape: how long a ready request may wait for the process',
      registers: [this.registry],
      collect() {
        this.set(loopDelay.count === 0 ? 0 : loopDelay.percentile(99) / 1e9);
        loopDelay.reset();
      },
    });
  }

  /** The read model's lag, read at each scrape: events in the log that the queries do not show yet. */
  readModelLag(lag: () => Promise<number | undefined>): void {
    new Gauge({
      name: 'ledger_read_model_lag_events',
      help: 'Events in the log not yet applied to the read model (absent while the store does not answer)',
      registers: [this.registry],
      async collect() {
        const events = await lag().catch(() => undefined);
        if (events === undefined) this.reset();
        else this.set(events);
      },
    });
  }

  /**
   * The store with every append timed; everything else (methods a store may add included) is the
   * store's own. Given to the LedgerService, so that every append (commands, keys, tokens) is seen.
   */
  instrument(store: EventStore): EventStore {
    const histogram = this.appendDuration;
    const append: EventStore['append'] = async (...args) => {
      const end = histogram.startTimer();
      try {
        return await store.append(...args);
      } finally {
        end();
      }
    };
    return new Proxy(store, {
      get: (target, property) => {
        if (property === 'append') return append;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  close(): void {
    this.loopDelay.disable();
  }
}
