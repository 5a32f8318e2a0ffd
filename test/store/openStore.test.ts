import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EsdbEventStore, toEsdbConnectionString } from '../../src/store/esdbEventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';
import { DEFAULT_STORE_URL, openStore, storeUrlFrom } from '../../src/store/openStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';

describe('storeUrlFrom', () => {
  test('the --store flag wins over LEDGER_STORE, which wins over the default', () => {
    expect(storeUrlFrom({ LEDGER_STORE: 'memory:' }, 'sqlite:./x.db')).toBe('sqlite:./x.db');
    expect(storeUrlFrom({ LEDGER_STORE: 'memory:' })).toBe('memory:');
    expect(storeUrlFrom({})).toBe('sqlite:./data/ledger.db');
    expect(DEFAULT_STORE_URL).toBe('sqlite:./data/ledger.db');
  });

  test('empty values count as unset', () => {
    expect(storeUrlFrom({ LEDGER_STORE: '' }, '')).toBe(DEFAULT_STORE_URL);
  });
});

describe('openStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-open-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('memory: is the in-memory store', async () => {
    const store = await openStore('memory:');
    expect(store).toBeInstanceOf(InMemoryEventStore);
    await store.close();
  });

  test('sqlite:PATH opens (and creates) that file; sqlite::memory: opens none', async () => {
    const file = join(dir, 'sub', 'ledger.db');
    const onDisk = await openStore(`sqlite:${file}`);
    expect(onDisk).toBeInstanceOf(SqliteEventStore);
    expect(existsSync(file)).toBe(true);
    await onDisk.close();

    const inMemory = await openStore('sqlite::memory:');
    expect(inMemory).toBeInstanceOf(SqliteEventStore);
    expect(existsSync(':memory:')).toBe(false);
    await inMemory.close();
  });

  test.each(['esdb://localhost:2113?tls=false', 'esdb+discover://cluster:2113', 'kurrentdb://localhost:2113?tls=false'])(
    '%s is EventStoreDB (connecting lazily)',
    async (url) => {
      const store = await openStore(url);
      expect(store).toBeInstanceOf(EsdbEventStore);
      await store.close();
    },
  );

  test('kurrentdb connection strings are handed to the client as esdb ones', () => {
    expect(toEsdbConnectionString('kurrentdb://a:2113?tls=false')).toBe('esdb://a:2113?tls=false');
    expect(toEsdbConnectionString('kurrentdb+discover://a:2113')).toBe('esdb+discover://a:2113');
    expect(toEsdbConnectionString('esdb://a:2113')).toBe('esdb://a:2113');
  });

  test('an unknown scheme is refused with the accepted forms', async () => {
    await expect(openStore('mysql://db/ledger')).rejects.toThrow(
      /unknown event store URL "mysql:\/\/db\/ledger": expected sqlite:PATH, sqlite::memory:, memory:, postgres:\/\/.* or .*esdb:\/\//,
    );
  });
});
