import { mkdtempSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SecretKeyError } from '../domain/errors.js';
import { newSource } from '../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../test/support/db.js';
import {
  checkSecretKey,
  decryptSecret,
  encryptSecret,
  generateSecretKey,
  loadSecretKey,
  parseSecretKey,
  rotateSecretKey,
} from './secrets.js';
import { configureSource, getSourceCredentials } from './sources.js';

const SKEY = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ecWInBa0Ye8';

describe('secret keys', () => {
  it('round-trip a secret and never print the key', () => {
    const key = generateSecretKey();
    const stored = encryptSecret(key, SKEY);
    expect(stored).not.toContain(SKEY);
    expect(decryptSecret(key, stored)).toBe(SKEY);
    expect(JSON.stringify({ key })).not.toContain(key.toBase64());
    expect(inspect(key)).toBe(`SecretKey(${key.id})`);
    expect(String(key)).not.toContain(key.toBase64());
  });

  it('report a wrong key by its id instead of returning garbage', () => {
    const right = generateSecretKey();
    const wrong = generateSecretKey();
    const stored = encryptSecret(right, SKEY);
    expect(() => decryptSecret(wrong, stored)).toThrow(SecretKeyError);
    expect(() => decryptSecret(wrong, stored)).toThrow(right.id);
  });

  it('detect tampered ciphertext', () => {
    const key = generateSecretKey();
    const parts = encryptSecret(key, SKEY).split(':');
    const body = Buffer.from(parts[4] ?? '', 'base64');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[4] = body.toString('base64');
    expect(() => decryptSecret(key, parts.join(':'))).toThrow(/corrupt/);
  });

  it('refuse a key that is not base64 of 32 bytes, saying how to make one', () => {
    expect(() => parseSecretKey('c2hvcnQ=')).toThrow(/32 random bytes/);
    expect(() => parseSecretKey('not base64 at all!')).toThrow(SecretKeyError);
    const good = generateSecretKey();
    expect(parseSecretKey(good.toBase64()).id).toBe(good.id);
  });

  it('create a 0600 key file on first start and reuse it afterwards', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'di-key-'));
    const first = await loadSecretKey({ dataDir });
    expect(first.origin).toBe('created');
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    const again = await loadSecretKey({ dataDir });
    expect(again.origin).toBe('file');
    expect(again.key.id).toBe(first.key.id);
  });

  it('prefer the configured key and refuse a key file others can read', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'di-key-'));
    const configured = generateSecretKey();
    const loaded = await loadSecretKey({ dataDir, secretKey: configured.toBase64() });
    expect(loaded).toMatchObject({ origin: 'env' });
    expect(loaded.key.id).toBe(configured.id);
    writeFileSync(join(dataDir, 'secret.key'), generateSecretKey().toBase64());
    chmodSync(join(dataDir, 'secret.key'), 0o644);
    await expect(loadSecretKey({ dataDir })).rejects.toThrow(/chmod 600/);
  });
});

describeEachDatabase('credentials at rest', (t) => {
  it('are stored encrypted and decrypted only with the right key', async () => {
    const key = generateSecretKey();
    const { sourceId } = await newSource(t.db);
    const source = await configureSource(
      t.db,
      sourceId,
      {
        apiHost: 'api-1234abcd.duosecurity.com',
        integrationKey: 'DIWJ8X6AEYOR5OMC6TQ1',
        secretKey: SKEY,
      },
      key,
    );
    expect(source.hasSecret).toBe(true);
    expect(JSON.stringify(source)).not.toContain(SKEY);
    const row = await t.db
      .selectFrom('sources')
      .select(['secret_ciphertext', 'key_id'])
      .where('id', '=', sourceId)
      .executeTakeFirstOrThrow();
    expect(row.secret_ciphertext).not.toContain(SKEY);
    expect(row.key_id).toBe(key.id);
    expect((await getSourceCredentials(t.db, sourceId, key)).secretKey).toBe(SKEY);
    await expect(getSourceCredentials(t.db, sourceId, generateSecretKey())).rejects.toThrow(
      SecretKeyError,
    );
  });

  it('move every source to a new key in one rotation', async () => {
    const oldKey = generateSecretKey();
    const newKey = generateSecretKey();
    await checkSecretKey(t.db, oldKey);
    const a = await newSource(t.db);
    const b = await newSource(t.db);
    for (const { sourceId } of [a, b])
      await configureSource(
        t.db,
        sourceId,
        {
          apiHost: 'api-x.duosecurity.com',
          integrationKey: 'DI',
          secretKey: `${SKEY}-${sourceId}`,
        },
        oldKey,
      );
    // Sources configured under other keys by earlier tests make a rotation from oldKey fail whole.
    await t.db
      .updateTable('sources')
      .set({ secret_ciphertext: null, key_id: null })
      .where('key_id', '<>', oldKey.id)
      .execute();

    const result = await rotateSecretKey(t.db, oldKey, newKey);
    expect(result.sources).toBe(2);
    for (const { sourceId } of [a, b])
      expect((await getSourceCredentials(t.db, sourceId, newKey)).secretKey).toBe(
        `${SKEY}-${sourceId}`,
      );
    await expect(getSourceCredentials(t.db, a.sourceId, oldKey)).rejects.toThrow(SecretKeyError);
    await checkSecretKey(t.db, newKey);
    await expect(checkSecretKey(t.db, oldKey)).rejects.toThrow(newKey.id);
  });

  it('roll a rotation back entirely when one secret cannot be opened', async () => {
    const oldKey = generateSecretKey();
    const stranger = generateSecretKey();
    const a = await newSource(t.db);
    const b = await newSource(t.db);
    await configureSource(
      t.db,
      a.sourceId,
      { apiHost: 'h', integrationKey: 'i', secretKey: 'one' },
      oldKey,
    );
    await configureSource(
      t.db,
      b.sourceId,
      { apiHost: 'h', integrationKey: 'i', secretKey: 'two' },
      stranger,
    );
    await expect(rotateSecretKey(t.db, oldKey, generateSecretKey())).rejects.toThrow(
      SecretKeyError,
    );
    expect((await getSourceCredentials(t.db, a.sourceId, oldKey)).secretKey).toBe('one');
  });
});

describeEachDatabase('the first start of two servers with different secret keys', (t) => {
  it('refuses one of them: the database keeps the key of the first, never both', async () => {
    const keys = [generateSecretKey(), generateSecretKey()];
    const outcomes = await Promise.allSettled([
      checkSecretKey(t.db, keys[0] ?? generateSecretKey()),
      checkSecretKey(t.connect(), keys[1] ?? generateSecretKey()),
    ]);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(
      /encrypted with key [0-9a-f]{8}, but the configured secret key is [0-9a-f]{8}/,
    );
    const kept = outcomes.findIndex((o) => o.status === 'fulfilled');
    await expect(checkSecretKey(t.db, keys[kept] ?? generateSecretKey())).resolves.toBeUndefined();
  });
});
