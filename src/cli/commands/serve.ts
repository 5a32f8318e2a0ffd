import { parseArgs } from 'node:util';
import { integerText, pattern } from '../../domain/fields';
import { buildServer } from '../../api/server';
import { LedgerService } from '../../app/ledgerService';
import { isLoopbackHost } from '../../auth/loopback';
import { TokenRegistry } from '../../auth/tokenRegistry';
import { snapshotStoreFor } from '../../app/snapshotStore';
import { strictObject } from '../../domain/validation';
import { openStore, storeUrlFrom } from '../../store/openStore';
import { CliCommand, ExitCode } from '../cliCommand';
import { decodeOptions, storeHelp } from '../withLedger';

const Port = integerText('a TCP port from 0 to 65535', 0, 65535);
const Host = pattern('a host name or IP address', /^[A-Za-z0-9.:_-]{1,253}$/);
const Options = strictObject('options', { host: Host, port: Port }, {});

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

export const serve: CliCommand = {
  name: 'serve',
  summary: 'run the HTTP API',
  help: `Usage: ledger serve [--host 127.0.0.1] [--port 3000] [--store URL]

Serves the HTTP API of api.md and the browser console at /console/ (/ redirects there);
OpenAPI at /openapi.json, browsable at /docs. One JSON log line per request on standard output.
Every /v1 request needs an API token (ledger token create); while the store has never had one, the
server runs in local mode: loopback hosts only, actor "local" (another --host is refused with exit
code 2). SIGTERM or SIGINT stops accepting connections, lets the requests in flight finish, closes
the store and exits 0.

  --host HOST   default: HOST, else 127.0.0.1
  --port PORT   default: PORT, else 3000 (0: any free port)
  ${storeHelp}`,
  async run(args, io) {
    const { values } = parseArgs({ args: [...args], options: { host: { type: 'string' }, port: { type: 'string' }, store: { type: 'string' } }, strict: true });
    const o = decodeOptions(Options, { host: values.host ?? io.env.HOST ?? '127.0.0.1', port: values.port ?? io.env.PORT ?? '3000' });
    const url = storeUrlFrom(io.env, values.store);
    const store = await openStore(url);
    try {
      const tokens = new TokenRegistry(store);
      if ((await tokens.tokens()).size === 0) {
        // Safe by default: without tokens anyone who can connect may do anything, so only this machine may connect.
        if (!isLoopbackHost(o.host)) {
          io.err(`ledger serve: no API tokens in the store, so it serves only loopback hosts (127.0.0.1, ::1), not ${o.host}.`);
          io.err('Create one first: ledger token create --name NAME --role admin');
          return ExitCode.usage;
        }
        io.err('no API tokens: local mode, loopback only, actor local');
      }
      const ledger = await new LedgerService(store, { snapshots: snapshotStoreFor(url) }).open();
      const app = buildServer(ledger, { logger: true, tokens });
      // Registered before listening, so that a signal during start-up is not the default (abrupt) exit.
      const stopped = untilSignal();
      const address = await app.listen({ host: o.host, port: o.port });
      // For people: where it is, on stderr, so that stdout stays one JSON log line per request.
      io.err(`ledger serve: ${address} on ${url} (${ledger.eventsApplied} events in the read model); console at ${address}/console/, OpenAPI at ${address}/openapi.json, docs at ${address}/docs`);
      const signal = await stopped;
      app.log.info({ signal }, 'shutting down');
      await app.close();
      // The next start catches up from here instead of replaying the log.
      await ledger.saveSnapshot();
      return ExitCode.ok;
    } finally {
      await store.close();
    }
  },
};
