import { parseArgs } from 'node:util';
import { integerText, pattern } from '../../domain/fields';
import { LedgerMetrics } from '../../api/metrics';
import { buildServer } from '../../api/server';
import { LedgerService } from '../../app/ledgerService';
import { ScenarioClock } from '../../app/scenarioClock';
import { isLoopbackHost } from '../../auth/loopback';
import { TokenRegistry } from '../../auth/tokenRegistry';
import { startDelivery } from '../../webhooks/delivery';
import { KEY_VARIABLE, parseKey } from '../../webhooks/secretBox';
import { snapshotStoreFor } from '../../app/snapshotStore';
import { genesisCatalog } from '../../domain/catalog';
import { strictObject } from '../../domain/validation';
import { StoreNotFound } from '../../store/openStore';
import { CliCommand, ExitCode } from '../cliCommand';
import { decodeOptions, storeHelp, withStore } from '../withLedger';
import { startSealing } from '../../app/sealing';
import { SealDelayMinutes, sealDelayFrom } from './seal';

const Port = integerText('a TCP port from 0 to 65535', 0, 65535);
const Host = pattern('a host name or IP address', /^[A-Za-z0-9.:_-]{1,253}$/);
const Options = strictObject('options', { host: Host, port: Port, 'seal-delay': SealDelayMinutes }, {});

const untilSignal = (): Promise<NodeJS.Signals> =>
  new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

/** Fastify names a loopback address for a wildcard host, which alone would hide that every interface is served. */
const where = (host: string, address: string): string =>
  host === '0.0.0.0' || host === '::' ? `listening on every interface (${host}), port ${new URL(address).port}; from this machine ${address}` : `listening at ${address}`;

/** Opening a ledger writes the default tier catalog into a new store, so even a fresh one has events to explain. */
const eventsText = (n: number): string => `${n} events in the read model, the ${genesisCatalog.length} of the default tier catalog included`;

export const serve: CliCommand = {
  name: 'serve',
  summary: 'run the HTTP API',
  help: `Usage: ledger serve [--host 127.0.0.1] [--port 3000] [--store URL] [--seal-delay MINUTES] [--test-clock]
                    [--allow-http-webhooks]

Serves the HTTP API (docs/api.md) and the browser console at /console/ (/ redirects there);
OpenAPI at /openapi.json, browsable at /docs. One JSON log line per request on standard output.
Every /v1 request needs an API token (ledger token create); while the store has never had one, the
server runs in local mode: loopback hosts only, actor "local" (another --host is refused with exit
code 2). SIGTERM or SIGINT stops accepting connections, lets the requests in flight finish, closes
the store and exits 0. A store that does not exist yet is created (and said so).

  --host HOST   default: HOST, else 127.0.0.1
  --port PORT   default: PORT, else 3000 (0: any free port)
  ${storeHelp}
  --seal-delay M  seal each month's statements M minutes after the month's end (billing-rules F2;
                default 10, or LEDGER_SEAL_DELAY; 0 under --test-clock). The months a stopped
                ledger missed are sealed when it starts, oldest first; then it looks every minute.
  --test-clock  run on the scenario clock of ledger simulate instead of this machine's: "now" is
                the latest occurredAt the server has been sent (time order, closed months,
                statement status and the 5-minute rule follow it), for playing scenario files over HTTP. Loopback only.
  --allow-http-webhooks
                webhook endpoints may be http, and on loopback, private or link-local addresses (tests, a
                receiver on this machine); without it only https to public addresses (docs/webhooks.md).

Environment: LEDGER_WEBHOOK_KEY, 32 bytes in base64 (openssl rand -base64 32), the same on every
node: webhook secrets are stored sealed with it (AES-256-GCM); without it, as they are.

Exit codes: 0 stopped by a signal, 2 bad usage (a port in use, a non-loopback host without tokens).`,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        store: { type: 'string' },
        'seal-delay': { type: 'string' },
        'test-clock': { type: 'boolean' },
        'allow-http-webhooks': { type: 'boolean' },
      },
      strict: true,
    });
    const o = decodeOptions(Options, {
      host: values.host ?? io.env.HOST ?? '127.0.0.1',
      port: values.port ?? io.env.PORT ?? '3000',
      'seal-delay': sealDelayFrom(io.env, values['seal-delay'], values['test-clock'] === true),
    });
    // Whoever can send a command can move this clock, and with it close every month: never beyond this machine.
    if (values['test-clock'] === true && !isLoopbackHost(o.host)) {
      io.err(`ledger serve: --test-clock serves only loopback hosts (127.0.0.1, ::1), not ${o.host}.`);
      return ExitCode.usage;
    }
    const testClock = values['test-clock'] === true ? new ScenarioClock() : undefined;
    let webhookKey: Buffer | undefined;
    try {
      webhookKey = io.env[KEY_VARIABLE] === undefined ? undefined : parseKey(io.env[KEY_VARIABLE]);
    } catch (e) {
      io.err(`ledger serve: ${(e as Error).message}`);
      return ExitCode.usage;
    }
    const loopback = isLoopbackHost(o.host);
    // Safe by default: without tokens anyone who can connect may do anything, so only this machine may connect.
    const tokensFirst = (): number => {
      io.err(`ledger serve: no API tokens in the store, so it serves only loopback hosts (127.0.0.1, ::1), not ${o.host}.`);
      io.err('Create one first: ledger token create --name NAME --role admin');
      return ExitCode.usage;
    };
    // Another host needs a token, which a new store cannot have: refuse it before a store is left behind.
    const served = withStore(io, 'serve', values.store, loopback ? 'create' : 'refuse', async ({ store, url }) => {
      const tokens = new TokenRegistry(store);
      if ((await tokens.tokens()).size === 0) {
        if (!loopback) return tokensFirst();
        io.err('no API tokens: local mode, loopback only, actor local');
      }
      if (testClock !== undefined) io.err('test clock: "now" is the latest occurredAt sent, not this machine\'s clock; loopback only');
      const metrics = new LedgerMetrics();
      const ledger = await new LedgerService(metrics.instrument(store), { snapshots: snapshotStoreFor(url), warn: io.err, ...(testClock === undefined ? {} : { clock: testClock.now }) }).open();
      const delayMs = o['seal-delay'] * 60_000;
      const missed = await ledger.sealDue(delayMs);
      if (missed.sealed > 0) io.err(`ledger serve: sealed ${missed.sealed} statements of months that ended while it was stopped`);
      // Under the test clock "now" moves with each command: look often, so a month closed by one is sealed soon after.
      const sealing = startSealing(ledger, { delayMs, everyMs: testClock === undefined ? 60_000 : 1_000, report: (m) => io.err(`ledger serve: ${m}`) });
      // On the store itself, not the metered one: the deliveries' own appends are not commands.
      const delivery = await startDelivery(store, {
        allowPrivate: values['allow-http-webhooks'] === true,
        clock: () => new Date(),
        warn: io.err,
        key: webhookKey,
        onAttempt: (outcome) => metrics.webhookAttempts.inc({ outcome }),
      });
      const app = buildServer(ledger, { logger: true, tokens, metrics, webhooks: delivery.registry, ...(testClock === undefined ? {} : { testClock }) });
      // Registered before listening, so that a signal during start-up is not the default (abrupt) exit.
      const stopped = untilSignal();
      let address: string;
      try {
        address = await app.listen({ host: o.host, port: o.port });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
        await sealing.stop();
        await app.close();
        await delivery.stop();
        io.err(`ledger serve: port ${o.port} on ${o.host} is in use (another server?): choose another with --port N or PORT=N (0: any free port)`);
        return ExitCode.usage;
      }
      // For people: where it is, on stderr, so that stdout stays one JSON log line per request.
      io.err(`ledger serve: ${where(o.host, address)} on ${url}; ${eventsText(ledger.eventsApplied)}`);
      io.err(`console at ${address}/console/, OpenAPI at ${address}/openapi.json, docs at ${address}/docs`);
      const signal = await stopped;
      app.log.info({ signal }, 'shutting down');
      await sealing.stop();
      await app.close();
      await delivery.stop();
      // The next start catches up from here instead of replaying the log; without it, it replays: a
      // warning, never a failed shutdown (withStore closes the store either way).
      await ledger.saveSnapshot().catch((e: unknown) => io.err(`ledger serve: warning: the read-model snapshot was not saved (${(e as Error).message}); the next start replays the log`));
      return ExitCode.ok;
    });
    return served.catch((e: unknown) => {
      if (e instanceof StoreNotFound && !loopback) return tokensFirst();
      throw e;
    });
  },
};
