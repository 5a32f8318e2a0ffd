import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/Either';
import { buildServer } from '../../src/api/server';
import { LedgerService } from '../../src/app/ledgerService';
import { TokenRegistry } from '../../src/auth/tokenRegistry';
import { openStore } from '../../src/store/openStore';
import { request, startServer, TestServer } from './support/ledgerServer';

/** The console's files over HTTP: open without a token (the API behind them is not), cached by name, gzipped. */

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
  const created = await new TokenRegistry(server.store).create({ name: 'admin', role: 'admin', accounts: 'all', rate: 10_000 }, { actor: 'test' });
  if (E.isLeft(created)) throw new Error(created.left.message);
});
afterAll(() => server.close());

test('/ redirects to the console, whose pages need no token while the API does', async () => {
  const root = await fetch(`${server.base}/`, { redirect: 'manual' });
  expect([root.status, root.headers.get('location')]).toEqual([302, '/console/']);
  expect((await server.request('GET', '/v1/accounts')).status).toBe(401);
  for (const page of ['/console/', '/console/accounts', '/console/accounts/111122223333/2026-04/invoice', '/console/profiles/p-iad/current']) {
    const answer = await server.request('GET', page);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(answer.headers.get('cache-control')).toBe('no-cache');
    expect(answer.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
    expect(answer.text).toContain('<div id="app"></div>');
  }
});

test('the built assets the page names are served gzipped and cached for good; an unknown one is 404', async () => {
  const html = (await server.request('GET', '/console/')).text;
  const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
  expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
  for (const asset of assets) {
    const answer = await fetch(`${server.base}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-encoding')).toBe('gzip');
    expect(answer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await answer.arrayBuffer()).byteLength).toBeGreaterThan(0);
  }
  expect((await server.request('GET', '/console/assets/nothing.js')).status).toBe(404);
});

test('without a build, the console says how to make one', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'no-console-'));
  const store = await openStore('sqlite::memory:');
  const app = buildServer(await new LedgerService(store).open(), { consoleDir: empty });
  try {
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const answer = await request(base, 'GET', '/console/');
    expect(answer.status).toBe(503);
    expect(answer.text).toContain('npm run build');
  } finally {
    await app.close();
    await store.close();
    rmSync(empty, { recursive: true, force: true });
  }
});
