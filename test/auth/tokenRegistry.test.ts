import { createHash } from 'node:crypto';
import * as E from 'fp-ts/Either';
import * as O from 'fp-ts/Option';
import { localPrincipal } from '../../src/auth/authorize';
import { NewToken, TOKENS_STREAM, TokenRegistry } from '../../src/auth/tokenRegistry';
import { ExpectedRevision } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

const ops: NewToken = { name: 'ops', role: 'operator', accounts: ['111122223333'], rate: 7 };

const created = async (registry: TokenRegistry, token = ops) => {
  const r = await registry.create(token, { actor: 'cli' });
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right.token;
};

describe('TokenRegistry', () => {
  test('a store that never had a token authenticates everyone as the local principal', async () => {
    const registry = new TokenRegistry(new InMemoryEventStore());
    expect(await registry.authenticate(undefined)).toEqual(O.some(localPrincipal));
    expect(await registry.authenticate('ldg_anything')).toEqual(O.some(localPrincipal));
  });

  test('a created token authenticates as its name and grants; nothing else does', async () => {
    const registry = new TokenRegistry(new InMemoryEventStore());
    const token = await created(registry);
    expect(token).toMatch(/^ldg_[A-Za-z0-9_-]{43}$/);
    expect(await registry.authenticate(token)).toEqual(
      O.some({ actor: 'ops', role: 'operator', accounts: ['111122223333'], rateLimit: { perSecond: 7, burst: 14 } }),
    );
    expect(await registry.authenticate(undefined)).toEqual(O.none);
    expect(await registry.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toEqual(O.none);
    expect(await registry.authenticate('not a token')).toEqual(O.none);
  });

  test('tokens differ, and each finds its own principal', async () => {
    const registry = new TokenRegistry(new InMemoryEventStore());
    const a = await created(registry, { ...ops, name: 'a' });
    const b = await created(registry, { ...ops, name: 'b', role: 'reader' });
    expect(a).not.toBe(b);
    expect(O.map((p: { actor: string }) => p.actor)(await registry.authenticate(b))).toEqual(O.some('b'));
    expect(O.map((p: { actor: string }) => p.actor)(await registry.authenticate(a))).toEqual(O.some('a'));
  });

  test('the stream holds the SHA-256 of the token, never the token, with the actor who created it', async () => {
    const store = new InMemoryEventStore();
    const token = await created(new TokenRegistry(store));
    const [event] = await store.readStream(TOKENS_STREAM);
    expect(event?.data).toMatchObject({ name: 'ops', hash: createHash('sha256').update(token).digest('hex') });
    expect(JSON.stringify(event)).not.toContain(token.slice(4));
    expect(event?.metadata.actor).toBe('cli');
  });

  test('a revocation by another process counts from the next request on', async () => {
    const store = new InMemoryEventStore();
    const server = new TokenRegistry(store);
    const token = await created(server);
    expect(O.isSome(await server.authenticate(token))).toBe(true);
    expect(await new TokenRegistry(store).revoke('ops', { actor: 'cli' })).toEqual(E.right({ name: 'ops', revokedAt: expect.any(String) }));
    expect(await server.authenticate(token)).toEqual(O.none);
  });

  test('with every token revoked the store is not back in local mode', async () => {
    const registry = new TokenRegistry(new InMemoryEventStore());
    await created(registry);
    await registry.revoke('ops', { actor: 'cli' });
    expect(await registry.authenticate(undefined)).toEqual(O.none);
  });

  test('two processes creating one name: the append with the stale revision re-decides and gets TOKEN_EXISTS', async () => {
    const store = new InMemoryEventStore();
    const [first, second] = [new TokenRegistry(store), new TokenRegistry(store)];
    await first.tokens();
    await second.tokens();
    const results = await Promise.all([first.create(ops, { actor: 'cli' }), second.create(ops, { actor: 'cli' })]);
    expect(results.filter(E.isLeft).map((r) => r.left.code)).toEqual(['TOKEN_EXISTS']);
    expect(await store.readStream(TOKENS_STREAM)).toHaveLength(1);
  });

  test('a stored token event that does not decode stops the read', async () => {
    const store = new InMemoryEventStore();
    await store.append(TOKENS_STREAM, [{ eventId: 'e-1', type: 'TokenCreated', data: { name: 'x', role: 'root' }, metadata: { schemaVersion: 1 } }], {
      expectedRevision: ExpectedRevision.noStream,
    });
    await expect(new TokenRegistry(store).authenticate(undefined)).rejects.toThrow(/meta\/tokens@0 \(TokenCreated\): .*role/);
  });
});
