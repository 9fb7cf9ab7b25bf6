/**
 * Credentials at rest: AES-256-GCM under a key from `DUO_INSIGHTS_SECRET_KEY` (base64 of 32
 * bytes) or a 0600 `secret.key` file created in the data directory on first start. Each
 * ciphertext names its key id (first 8 hex of SHA-256 of the key), so a wrong key is reported
 * as such, never decrypted to garbage. Neither keys nor plaintexts appear in errors.
 *
 * Stored form: `v1:<keyId>:<iv b64>:<tag b64>:<ciphertext b64>`.
 *
 * @example const key = await loadSecretKey({ dataDir: './data' }); encryptSecret(key.key, skey)
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { SecretKeyError } from '../domain/errors.js';
import type { Db } from './dialect.js';
import { getSetting, setSetting, setSettingIfAbsent } from './settings.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const FORMAT = 'v1';
export const SECRET_KEY_FILE = 'secret.key';
const KEY_ID_SETTING = 'secret_key_id';

/**
 * An AES-256 key. A class only to keep the bytes out of `JSON.stringify`, `console.log` and
 * pino: they sit in a private field and every printable form shows the key id alone.
 */
export class SecretKey {
  readonly id: string;
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    if (bytes.length !== KEY_BYTES)
      throw new SecretKeyError(
        `a secret key is ${String(KEY_BYTES)} bytes, got ${String(bytes.length)}`,
      );
    this.#bytes = Buffer.from(bytes);
    this.id = createHash('sha256').update(bytes).digest('hex').slice(0, 8);
  }

  /** The raw key, for the cipher only. */
  bytes(): Buffer {
    return this.#bytes;
  }

  /** The base64 form to put in `DUO_INSIGHTS_SECRET_KEY` or the key file. */
  toBase64(): string {
    return this.#bytes.toString('base64');
  }

  toJSON(): string {
    return `SecretKey(${this.id})`;
  }

  toString(): string {
    return `SecretKey(${this.id})`;
  }

  [inspect.custom](): string {
    return `SecretKey(${this.id})`;
  }
}

/** Parses base64 of exactly 32 bytes; anything else is refused with a message naming the rule. */
export function parseSecretKey(base64: string, origin = 'DUO_INSIGHTS_SECRET_KEY'): SecretKey {
  const text = base64.trim();
  const bytes = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || bytes.length !== KEY_BYTES)
    throw new SecretKeyError(
      `${origin} must be the base64 encoding of exactly 32 random bytes ` +
        `(create one with: openssl rand -base64 32)`,
    );
  return new SecretKey(bytes);
}

export function generateSecretKey(): SecretKey {
  return new SecretKey(randomBytes(KEY_BYTES));
}

export interface LoadedSecretKey {
  readonly key: SecretKey;
  /** Where it came from: the environment, an existing key file, or a file created now. */
  readonly origin: 'env' | 'file' | 'created';
  readonly path?: string;
}

/**
 * The configured key (`Config.secretKey`) or the data directory's `secret.key`, created with
 * mode 0600 when missing. A key file readable by others is refused.
 */
export async function loadSecretKey(options: {
  readonly secretKey?: string;
  readonly dataDir: string;
}): Promise<LoadedSecretKey> {
  if (options.secretKey !== undefined)
    return { key: parseSecretKey(options.secretKey), origin: 'env' };
  const path = join(options.dataDir, SECRET_KEY_FILE);
  let text: string | undefined;
  try {
    const info = await stat(path);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0)
      throw new SecretKeyError(
        `${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}); ` +
          `run: chmod 600 ${path}`,
      );
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (text !== undefined) return { key: parseSecretKey(text, path), origin: 'file', path };
  const key = generateSecretKey();
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, `${key.toBase64()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs.
    if (isAlreadyExists(error)) return loadSecretKey(options);
    throw error;
  }
  return { key, origin: 'created', path };
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

function isAlreadyExists(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'EEXIST';
}

export function encryptSecret(key: SecretKey, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes(), iv);
  cipher.setAAD(Buffer.from(`${FORMAT}:${key.id}`));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    FORMAT,
    key.id,
    iv.toString('base64'),
    tag.toString('base64'),
    body.toString('base64'),
  ].join(':');
}

export function decryptSecret(key: SecretKey, stored: string): string {
  const [format, keyId, iv, tag, body] = stored.split(':');
  if (
    format !== FORMAT ||
    keyId === undefined ||
    iv === undefined ||
    tag === undefined ||
    body === undefined
  )
    throw new SecretKeyError('a stored secret is not in a known format (corrupt database?)');
  if (keyId !== key.id)
    throw new SecretKeyError(
      `stored credentials were encrypted with key ${keyId}, but the configured secret key is ` +
        `${key.id}; set DUO_INSIGHTS_SECRET_KEY (or secret.key) to the key in use, or re-enter ` +
        `the credentials`,
    );
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes(), Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(`${FORMAT}:${keyId}`));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch (cause) {
    throw new SecretKeyError(
      `stored credentials could not be decrypted with key ${key.id}: the data is corrupt or ` +
        `was written with another key`,
      { cause },
    );
  }
}

/**
 * Checks at start-up that the configured key is the one this database's credentials use, and
 * records it on first use. Throws `SecretKeyError` naming both key ids otherwise.
 */
export async function checkSecretKey(db: Db, key: SecretKey): Promise<void> {
  // Recorded by the first start only: of two servers starting at once with different keys,
  // the second is refused instead of silently replacing the first one's key.
  const recorded =
    (await getSetting(db, KEY_ID_SETTING)) ??
    (await setSettingIfAbsent(db, KEY_ID_SETTING, key.id));
  if (recorded !== key.id)
    throw new SecretKeyError(
      `this database's credentials are encrypted with key ${recorded}, but the configured ` +
        `secret key is ${key.id}; configure the original key (or run the key rotation with both)`,
    );
}

/**
 * Re-encrypts every source's and destination's secret from `oldKey` to `newKey` in one transaction: all sources
 * move, or none do (a secret the old key cannot open aborts the rotation).
 */
export async function rotateSecretKey(
  db: Db,
  oldKey: SecretKey,
  newKey: SecretKey,
): Promise<{ readonly sources: number }> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('sources')
      .select(['id', 'secret_ciphertext'])
      .where('secret_ciphertext', 'is not', null)
      .execute();
    let moved = 0;
    for (const row of rows) {
      if (row.secret_ciphertext === null) continue;
      const plaintext = decryptSecret(oldKey, row.secret_ciphertext);
      await trx
        .updateTable('sources')
        .set({ secret_ciphertext: encryptSecret(newKey, plaintext), key_id: newKey.id })
        .where('id', '=', row.id)
        .execute();
      moved += 1;
    }
    // Destinations' secrets (HEC token, HMAC key, TLS client key) move with them.
    const destinations = await trx
      .selectFrom('destinations')
      .select(['id', 'secret_ciphertext'])
      .where('secret_ciphertext', 'is not', null)
      .execute();
    for (const row of destinations) {
      if (row.secret_ciphertext === null) continue;
      const plaintext = decryptSecret(oldKey, row.secret_ciphertext);
      await trx
        .updateTable('destinations')
        .set({ secret_ciphertext: encryptSecret(newKey, plaintext), key_id: newKey.id })
        .where('id', '=', row.id)
        .execute();
    }
    await setSetting(trx, KEY_ID_SETTING, newKey.id);
    return { sources: moved };
  });
}
