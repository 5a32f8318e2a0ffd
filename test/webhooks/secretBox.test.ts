import { randomBytes } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { openStore } from '../../src/store/openStore';
import { openSecret, parseKey, sealSecret } from '../../src/webhooks/secretBox';
import { WEBHOOKS_STREAM } from '../../src/webhooks/webhookEvents';
import { WebhookRegistry } from '../../src/webhooks/webhookRegistry';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

describe('webhook secrets at rest', () => {
  const key = randomBytes(32);

  it('seal and open with the deployment key, bound to the endpoint', () => {
    const sealed = sealSecret(SECRET, 'wh_a', key);
    expect(sealed).toMatch(/^sealed:v1:/);
    expect(sealed).not.toContain(SECRET.slice(6));
    expect(openSecret(sealed, 'wh_a', key)).toBe(SECRET);
    expect(() => openSecret(sealed, 'wh_b', key)).toThrow(/does not open/);
    expect(() => openSecret(sealed, 'wh_a', randomBytes(32))).toThrow(/does not open/);
    expect(() => openSecret(sealed, 'wh_a', undefined)).toThrow(/LEDGER_WEBHOOK_KEY is not set/);
    expect(sealSecret(SECRET, 'wh_a', undefined)).toBe(SECRET);
  });

  it('a key must be 32 bytes of base64', () => {
    expect(parseKey(key.toString('base64')).equals(key)).toBe(true);
    expect(() => parseKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(() => parseKey('not base64!')).toThrow(/32 bytes/);
  });

  it('the registry stores only the sealed form, and signs with the secret it showed', async () => {
    const store = await openStore('memory:');
    const registry = new WebhookRegistry(store, { allowPrivate: true }, () => new Date(), key);
    const created = await registry.register({ url: 'http://127.0.0.1:9/', events: ['credit.issued'], accountId: null }, { actor: 'test' });
    if (E.isLeft(created)) throw new Error(created.left.message);
    const stored = JSON.stringify(await store.readStream(WEBHOOKS_STREAM));
    expect(stored).not.toContain(created.right.secret);
    expect(stored).not.toContain(created.right.secret.slice(6));
    const endpoint = (await new WebhookRegistry(store, { allowPrivate: true }, () => new Date(), key).endpoints()).get(created.right.id);
    expect(endpoint === undefined ? undefined : registry.secretOf(endpoint)).toBe(created.right.secret);
    await store.close();
  });
});
