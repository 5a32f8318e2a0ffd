import { EventStoreDBClient } from '@eventstore/db-client';
import { EsdbEventStore } from '../../src/store/esdbEventStore';
import { describeEventStoreContract } from './contract';
import { describeEsdbAdapter, ESDB_NO_ATOMIC_GUARDS } from './esdbAdapter';
import { ESDB_ERROR_VAR, ESDB_SKIP_VAR, ESDB_URL_VAR } from './globalSetup';

// Set by test/store/globalSetup.ts (or by hand, to run against an external server).
const url = process.env[ESDB_URL_VAR];
const startError = process.env[ESDB_ERROR_VAR];
const skipReason = (): string | undefined => {
  if (url !== undefined || startError !== undefined) return undefined;
  const noRuntime = process.env[ESDB_SKIP_VAR];
  if (noRuntime !== undefined) return `no container runtime (${noRuntime})`;
  return `no EventStoreDB (test/store/globalSetup.ts did not run and ${ESDB_URL_VAR} is not set)`;
};
const skip = skipReason();
// Not console.log: jest hides the console of a file whose tests are all skipped.
if (skip !== undefined) process.stderr.write(`[esdb.contract] skipped: ${skip}\n`);

if (startError !== undefined) {
  test('the EventStoreDB test container starts', () => {
    throw new Error(`EventStoreDB container did not start: ${startError}`);
  });
} else {
  const connect = (): EsdbEventStore => EsdbEventStore.connect(url as string);
  describeEventStoreContract('EventStoreDB', connect, {
    skip,
    heavyTimeoutMs: 180_000,
    noAtomicGuards: ESDB_NO_ATOMIC_GUARDS,
  });
  describeEsdbAdapter('server', () => () => EventStoreDBClient.connectionString(url as string), skip === undefined ? {} : { skip });
}
