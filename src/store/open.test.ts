import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SecretKeyError } from '../domain/errors.js';
import { MIGRATIONS } from './migrations/index.js';
import { openStore } from './open.js';
import { generateSecretKey } from './secrets.js';

it('opens a fresh data directory ready to use, and refuses another key on the next start', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'di-open-'));
  try {
    const databaseUrl = `sqlite:${join(dataDir, 'duo-insights.db')}`;
    const first = await openStore({ databaseUrl, dataDir });
    expect(first.migrated).toEqual(MIGRATIONS.map((m) => m.id));
    expect(first.secretKey.origin).toBe('created');
    await first.close();

    const again = await openStore({ databaseUrl, dataDir });
    expect(again.migrated).toEqual([]);
    expect(again.secretKey.key.id).toBe(first.secretKey.key.id);
    await again.close();

    await expect(
      openStore({ databaseUrl, dataDir, secretKey: generateSecretKey().toBase64() }),
    ).rejects.toThrow(SecretKeyError);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
