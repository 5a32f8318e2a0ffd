import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * A webhook secret as the store keeps it. An API token is stored as its SHA-256 only, but the
 * ledger must compute HMACs with a webhook's key, so the key itself has to be kept. With a
 * deployment key (`LEDGER_WEBHOOK_KEY`, 32 bytes in base64, the same on every node) it is stored
 * sealed with AES-256-GCM, bound to its endpoint's id: a copy of the store or a backup alone
 * does not reveal it, nor lets one endpoint's sealed secret pass for another's. Without one it is
 * stored as is (and `ledger serve` says so).
 */
export const SEALED_PREFIX = 'sealed:v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;

export const KEY_VARIABLE = 'LEDGER_WEBHOOK_KEY';

/** The deployment key from its base64 text; an error names what is wrong with it. */
export const parseKey = (text: string): Buffer => {
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64') !== text.replace(/\s+/g, '')) {
    throw new Error(`${KEY_VARIABLE} must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32), got ${key.length} bytes`);
  }
  return key;
};

export const isSealed = (stored: string): boolean => stored.startsWith(SEALED_PREFIX);

export const sealSecret = (secret: string, endpointId: string, key: Buffer | undefined): string => {
  if (key === undefined) return secret;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(endpointId));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${SEALED_PREFIX}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${sealed.toString('base64')}`;
};

/** The secret, or an error saying why it cannot be had (no key, another key, altered). */
export const openSecret = (stored: string, endpointId: string, key: Buffer | undefined): string => {
  if (!isSealed(stored)) return stored;
  if (key === undefined) throw new Error(`the secret of webhook endpoint ${endpointId} is sealed, and ${KEY_VARIABLE} is not set`);
  const [iv = '', tag = '', sealed = ''] = stored.slice(SEALED_PREFIX.length).split(':');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64')).setAAD(Buffer.from(endpointId));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(`the secret of webhook endpoint ${endpointId} does not open with this ${KEY_VARIABLE} (another key, or altered)`);
  }
};
