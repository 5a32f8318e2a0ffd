import canonicalize from 'canonicalize';
import { Client } from 'pg';
import { CHAIN_ALGORITHM, chainAfter, chainHash, GENESIS_HASH } from '../../src/store/chain';
import { ExpectedRevision, RecordedEvent } from '../../src/store/eventStore';
import { openStore } from '../../src/store/openStore';
import { poolConfigFrom, PostgresEventStore } from '../../src/store/postgresEventStore';
import { collect, describeEventStoreContract, expectRefusedOnTopOfRefused, newEvent, written } from './contract';
import { ScratchDatabase } from '../../bench/scratchPostgres';
import { databaseBeforeChain, postgresSkipReason, testDatabase } from './postgresDatabase';

const skip = postgresSkipReason('postgres.contract');
let db: ScratchDatabase;
beforeAll(async () => {
  if (skip === undefined) db = await testDatabase('contract');
});
afterAll(() => db?.drop());

describeEventStoreContract('PostgreSQL', () => openStore(db.url()), { skip, heavyTimeoutMs: 120_000 });

const suite = skip === undefined ? describe : describe.skip;
suite(`PostgreSQL store${skip === undefined ? '' : ` — skipped: ${skip}`}`, () => {
  test('several nodes opening one fresh database at once migrate it once', async () => {
    const fresh = await testDatabase('migrate');
    try {
      const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresEventStore.open(fresh.url('pool_max=2'))));
      await stores[0]?.append('s', [newEvent()], { expectedRevision: ExpectedRevision.noStream });
      expect(await stores[4]?.readStream('s')).toHaveLength(1);
      await Promise.all(stores.map((s) => s.close()));
      const client = new Client({ connectionString: fresh.url() });
      await client.connect();
      expect((await client.query('SELECT version FROM ledger_schema')).rows).toEqual([{ version: 5 }]);
      // Version 5: the group function's statements planned once per connection, never as a scan (docs/performance.md).
      expect((await client.query("SELECT proconfig FROM pg_proc WHERE proname = 'ledger_append_group'")).rows).toEqual([
        { proconfig: ['plan_cache_mode=force_generic_plan', 'enable_seqscan=off'] },
      ]);
      await client.query('UPDATE ledger_schema SET version = 99');
      await client.end();
      await expect(PostgresEventStore.open(fresh.url())).rejects.toThrow('database schema version 99 is newer than this build knows (5)');
    } finally {
      await fresh.drop();
    }
  });

  test('a database written by main before the chain (test/fixtures/before-chain.postgres.sql) is chained once, says so, and the next append continues the chain', async () => {
    const old = await databaseBeforeChain('before_chain');
    try {
      const store = await PostgresEventStore.open(old.url());
      const events = await collect(store.readAll());
      expect(events).toHaveLength(41);
      expect(events.map((e) => e.chainHash)).toEqual(chainAfter(GENESIS_HASH, events));
      expect(new Set(events.map((e) => e.chainAlgorithm))).toEqual(new Set([CHAIN_ALGORITHM]));
      const last = events[40] as RecordedEvent;
      const migration = await store.chainMigration();
      expect(migration).toEqual({ chainedAt: expect.any(String), position: 40, chainHash: last.chainHash, events: 41 });
      const appended = (await written(store.append('after-the-migration', [newEvent({ n: 1 })], { expectedRevision: ExpectedRevision.noStream }))).events[0] as RecordedEvent;
      expect(appended.globalPosition).toBe(41);
      expect(appended.chainHash).toBe(chainHash(last.chainHash as string, appended));
      await store.close();

      // Once: reopening neither chains again nor moves the record; the appended event reads back as written.
      const reopened = await PostgresEventStore.open(old.url());
      expect(await reopened.chainMigration()).toEqual(migration);
      expect(await reopened.logHead()).toEqual({ position: 41, chainHash: appended.chainHash });
      expect((await collect(reopened.readAll())).map((e) => e.chainHash)).toEqual(chainAfter(GENESIS_HASH, [...events, appended]));
      await reopened.close();
      const client = new Client({ connectionString: old.url() });
      await client.connect();
      expect((await client.query('SELECT version FROM ledger_schema')).rows).toEqual([{ version: 5 }]);
      await client.end();
    } finally {
      await old.drop();
    }
  });

  test('data and metadata are stored as their RFC 8785 JSON, the bytes the chain covers', async () => {
    const store = await PostgresEventStore.open(db.url());
    const event = { ...newEvent({ zeta: [{ b: 1, a: 'x' }], alpha: 0.5, '10': true, '9': null }), metadata: { schemaVersion: 1, correlationId: 'c', actor: 'a' } };
    await store.append(`canonical-${event.eventId}`, [event], { expectedRevision: ExpectedRevision.noStream });
    await store.close();
    const client = new Client({ connectionString: db.url() });
    await client.connect();
    const { rows } = await client.query('SELECT data::text AS data, metadata::text AS metadata FROM ledger_events WHERE event_id = $1', [event.eventId]);
    await client.end();
    expect(rows).toEqual([{ data: canonicalize(event.data), metadata: canonicalize(event.metadata) }]);
    expect(rows[0].data).toBe('{"10":true,"9":null,"alpha":0.5,"zeta":[{"a":"x","b":1}]}');
  });

  test('every connection commits synchronously, even where the database says otherwise', async () => {
    const admin = new Client({ connectionString: db.url() });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${db.name} SET synchronous_commit = off`);
    await admin.end();
    const client = new Client(poolConfigFrom(db.url()));
    await client.connect();
    try {
      expect((await client.query('SHOW synchronous_commit')).rows).toEqual([{ synchronous_commit: 'on' }]);
    } finally {
      await client.query(`ALTER DATABASE ${db.name} RESET synchronous_commit`);
      await client.end();
    }
  });

  test('pool_max must be a sane integer; sslmode and the rest go to pg', async () => {
    await expect(openStore(db.url('pool_max=0'))).rejects.toThrow('pool_max must be an integer from 1 to 1000, not "0"');
    await expect(openStore(db.url('sslmode=verify-full'))).rejects.toThrow(/SSL/i);
  });

  test('readers never pass an event that commits later: many concurrent writers, a reader catching up', async () => {
    // Writers on separate connections commit out of position order; the reader must still see each event.
    const writers = await Promise.all(Array.from({ length: 4 }, () => PostgresEventStore.open(db.url('pool_max=8'))));
    const reader = await PostgresEventStore.open(db.url('pool_max=2'));
    const start = await reader.headPosition();
    const base = `gapless-${Date.now()}`;
    const acknowledged = new Set<string>();
    let writing = true;
    const writes = writers.flatMap((store, w) =>
      Array.from({ length: 8 }, async (_, k) => {
        const stream = `${base}/w${w}/k${k}`;
        for (let i = 0; i < 40; i++) {
          const events = Array.from({ length: 1 + (i % 3) }, () => newEvent({ w, k, i }));
          await store.append(stream, events, { expectedRevision: ExpectedRevision.after(i === 0 ? -1 : (await store.readStream(stream)).length - 1) });
          events.forEach((e) => acknowledged.add(e.eventId));
        }
      }),
    );
    const done = Promise.all(writes).finally(() => (writing = false));

    const seen: string[] = [];
    let checkpoint = start;
    // After the last write the reader goes on until it has seen every acknowledged event, or a deadline
    // passes: a loaded machine may keep older appends in flight (and the head behind them) for a while.
    // An event the reader skipped never comes back below its checkpoint, so skipping still fails.
    let deadline = Infinity;
    while (writing || (seen.length < acknowledged.size && Date.now() < deadline)) {
      if (!writing && deadline === Infinity) deadline = Date.now() + 30_000;
      for await (const e of reader.readAll({ after: checkpoint })) {
        expect(e.globalPosition).toBeGreaterThan(checkpoint);
        checkpoint = e.globalPosition;
        if (e.streamId.startsWith(base)) seen.push(e.eventId);
      }
    }
    await done;
    expect(seen.length).toBe(acknowledged.size);
    expect(new Set(seen)).toEqual(acknowledged);
    await Promise.all([...writers, reader].map((s) => s.close()));
  }, 120_000);

  test('readAll pages through the log without skipping or repeating', async () => {
    const store = await PostgresEventStore.open(db.url(), { readAllPageSize: 3 });
    const start = await store.headPosition();
    const stream = `paged-${Date.now()}`;
    for (let i = 0; i < 10; i++) await store.append(stream, [newEvent({ i })], { expectedRevision: ExpectedRevision.any });
    expect((await collect(store.readAll({ after: start }))).map((e) => e.data)).toEqual(Array.from({ length: 10 }, (_, i) => ({ i })));
    await store.close();
  });

  test("a stream's known end holds while only this node appends, and is forgotten once another node does", async () => {
    const [a, b] = [await PostgresEventStore.open(db.url()), await PostgresEventStore.open(db.url())];
    try {
      const stream = `ends-${Date.now()}`;
      await b.append(stream, [newEvent()], { expectedRevision: ExpectedRevision.noStream });
      await a.streamEnds();
      expect(await a.readStream(stream)).toHaveLength(1);
      expect((await a.streamEnds())(stream)).toBe(1);

      await a.append(stream, [newEvent()], { expectedRevision: ExpectedRevision.exact(0) });
      expect((await a.streamEnds())(stream)).toBe(2);

      await b.append(stream, [newEvent()], { expectedRevision: ExpectedRevision.exact(1) });
      expect((await a.streamEnds())(stream)).toBeUndefined();
      expect(await a.readStream(stream, { fromRevision: 2 })).toHaveLength(1);
      expect((await a.streamEnds())(stream)).toBe(3);

      // An append refused by another node's write forgets what was known, so the next decision reads.
      await b.append(stream, [newEvent()], { expectedRevision: ExpectedRevision.exact(2) });
      expect(await a.append(stream, [newEvent()], { expectedRevision: ExpectedRevision.exact(2) })).toMatchObject({ kind: 'conflict' });
      expect((await a.streamEnds())(stream)).toBeUndefined();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  describe('group commit: the appends a node has queued, in one transaction', () => {
    const node = () => PostgresEventStore.open(db.url());
    const twoNodes = async () => [await node(), await node()] as const;
    const transactionsOf = async (streams: ReadonlyArray<string>): Promise<number> => {
      const client = new Client({ connectionString: db.url() });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string }>('SELECT count(DISTINCT transaction_id) AS n FROM ledger_events WHERE stream_id = ANY($1)', [streams]);
        return Number(rows[0]?.n);
      } finally {
        await client.end();
      }
    };

    test('appends issued together commit as one transaction, each with its own outcome, in one chain', async () => {
      const store = await node();
      try {
        const streams = Array.from({ length: 30 }, (_, i) => `group-${i}-${Date.now()}`);
        const outcomes = await Promise.all([
          ...streams.map((id) => store.append(id, [newEvent(), newEvent()], { expectedRevision: ExpectedRevision.noStream })),
          store.append(streams[0] as string, [newEvent()], { expectedRevision: ExpectedRevision.noStream }),
        ]);
        expect(outcomes.map((o) => o.kind)).toEqual([...streams.map(() => 'appended'), 'conflict']);
        expect(await transactionsOf(streams)).toBe(1);
        const events = await collect(store.readAll());
        expect(events.map((e) => e.chainHash)).toEqual(chainAfter(GENESIS_HASH, events));
      } finally {
        await store.close();
      }
    });

    test('appends issued before the store closes are committed first', async () => {
      const store = await node();
      const id = `late-${Date.now()}`;
      const pending = store.append(id, [newEvent()], { expectedRevision: ExpectedRevision.noStream });
      await store.close();
      await expect(pending).resolves.toMatchObject({ kind: 'appended', nextExpectedRevision: 0 });
      const reopened = await PostgresEventStore.open(db.url());
      expect(await reopened.readStream(id)).toHaveLength(1);
      await reopened.close();
    });

    test('an append that makes its group fail (an event id stored before) fails alone; the others land', async () => {
      const store = await node();
      try {
        const taken = newEvent();
        await written(store.append(`taken-${Date.now()}`, [taken], { expectedRevision: ExpectedRevision.noStream }));
        const [a, bad, b] = await Promise.all([
          store.append(`a-${Date.now()}`, [newEvent()], { expectedRevision: ExpectedRevision.noStream }),
          store.append(`bad-${Date.now()}`, [{ ...taken }], { expectedRevision: ExpectedRevision.noStream }),
          store.append(`b-${Date.now()}`, [newEvent()], { expectedRevision: ExpectedRevision.noStream }),
        ].map((p) => p.then((r) => r.kind, (e: Error) => e.message)));
        expect([a, b]).toEqual(['appended', 'appended']);
        expect(bad).toMatch(/duplicate key value violates unique constraint/);
      } finally {
        await store.close();
      }
    });

    test('in one group, an append after a refused one to the same stream is refused too, though another node moved the stream to the revision it expects', async () => {
      const [mine, other] = await twoNodes();
      try {
        await expectRefusedOnTopOfRefused(mine, other);
      } finally {
        await Promise.all([mine.close(), other.close()]);
      }
    });

    test('and in the next group: an append issued while the refused one was being committed is refused too', async () => {
      const [mine, other] = await twoNodes();
      try {
        const user = `next-group-${Date.now()}`;
        await written(mine.append(user, [newEvent({ n: 0 })], { expectedRevision: ExpectedRevision.noStream }));
        await written(other.append(user, [newEvent({ by: 'other' })], { expectedRevision: ExpectedRevision.exact(0) }));
        const first = mine.append(user, [newEvent({ n: 1 })], { expectedRevision: ExpectedRevision.exact(0) });
        // A turn of the event loop: the first is in a group of its own, being committed.
        await new Promise((resolve) => setImmediate(resolve));
        const second = mine.append(user, [newEvent({ n: 2 })], { expectedRevision: ExpectedRevision.exact(1) });
        expect(await first).toMatchObject({ kind: 'conflict', actual: 1 });
        expect(await second).toMatchObject({ kind: 'conflict', expected: ExpectedRevision.exact(1), actual: 1 });
        expect((await mine.readStream(user)).map((e) => e.data)).toEqual([{ n: 0 }, { by: 'other' }]);
        expect(await transactionsOf([user])).toBe(2);
      } finally {
        await Promise.all([mine.close(), other.close()]);
      }
    });
  });
});
