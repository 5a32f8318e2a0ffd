import type { StartedTestContainer } from 'testcontainers';
import { join } from 'node:path';
import { probePostgres } from '../../bench/scratchPostgres';
import { adminUrl, PG_SKIP_VAR } from './postgresDatabase';

/**
 * Probes PostgreSQL once (see postgresDatabase.ts). Starts ONE EventStoreDB container for the whole jest run, and only when the ESDB suite is
 * selected and a container runtime answers. Tells the suite what happened through these
 * variables (jest workers are forked after this runs, so they inherit them).
 */
export const ESDB_URL_VAR = 'LEDGER_TEST_ESDB_URL';
export const ESDB_SKIP_VAR = 'LEDGER_TEST_ESDB_SKIP';
export const ESDB_ERROR_VAR = 'LEDGER_TEST_ESDB_ERROR';

export const ESDB_IMAGE = 'eventstore/eventstore:24.10';
const ESDB_SUITE = join(__dirname, 'esdb.contract.test.ts');
const RUNTIME_PROBE_MS = 5_000;

/** Where the teardown finds the container: globalSetup and globalTeardown share this context. */
export const containerSlot = globalThis as { ledgerEsdbContainer?: StartedTestContainer };

/** The parts of jest's global config this needs (structural, to avoid importing jest internals). */
interface GlobalConfig {
  readonly rootDir: string;
  readonly testPathPatterns?: { toExecutor(options: { rootDir: string }): { isMatch(path: string): boolean } };
}

export default async function globalSetup(config: GlobalConfig): Promise<void> {
  // PostgreSQL is not started here (CI and the dev machines run one); the suites that need it skip without it.
  const noPostgres = await probePostgres(adminUrl());
  if (noPostgres !== undefined) process.env[PG_SKIP_VAR] = noPostgres;
  // An external server (LEDGER_TEST_ESDB_URL=esdb://…) replaces the container.
  if (process.env[ESDB_URL_VAR] !== undefined) return;
  if (config.testPathPatterns?.toExecutor({ rootDir: config.rootDir }).isMatch(ESDB_SUITE) === false) return;

  const noRuntime = await probeContainerRuntime();
  if (noRuntime !== undefined) {
    process.env[ESDB_SKIP_VAR] = noRuntime;
    return;
  }
  try {
    const container = await startEventStoreDb();
    containerSlot.ledgerEsdbContainer = container;
    const url = `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
    await waitUntilWritable(url);
    process.env[ESDB_URL_VAR] = url;
  } catch (error) {
    // Reported as a failing test by the suite, so the rest of the run still goes ahead.
    process.env[ESDB_ERROR_VAR] = error instanceof Error ? error.message : String(error);
  }
}

/** undefined if a container runtime answers, else why not. */
const probeContainerRuntime = async (): Promise<string | undefined> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${RUNTIME_PROBE_MS} ms`)), RUNTIME_PROBE_MS);
    });
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
};

const startEventStoreDb = async (): Promise<StartedTestContainer> => {
  const { GenericContainer, Wait } = await import('testcontainers');
  return new GenericContainer(ESDB_IMAGE)
    .withEnvironment({
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_CLUSTER_SIZE: '1',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
      EVENTSTORE_START_STANDARD_PROJECTIONS: 'false',
      EVENTSTORE_MEM_DB: 'true',
    })
    .withExposedPorts(2113)
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCodeMatching((status) => status >= 200 && status < 300))
    .withStartupTimeout(120_000)
    .start();
};

/** Live is not yet leader: the first writes can be refused for a moment after start. */
const waitUntilWritable = async (url: string): Promise<void> => {
  const { ANY, EventStoreDBClient, jsonEvent } = await import('@eventstore/db-client');
  const client = EventStoreDBClient.connectionString(url);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      try {
        await client.appendToStream('ledger-test-warmup', jsonEvent({ type: 'WarmedUp', data: {} }), { expectedRevision: ANY });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await client.dispose();
  }
};
