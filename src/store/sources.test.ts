import { expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { DEFAULT_SOURCE_SETTINGS } from '../domain/sources.js';
import { ms } from '../domain/time.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { createGovernanceGroup } from './governance-groups.js';
import { createIdentity } from './identities.js';
import { generateSecretKey } from './secrets.js';
import {
  configureSource,
  createSource,
  deleteSource,
  findSource,
  findSourceByName,
  getSource,
  listSources,
  recordConnectionTest,
  recordWriteGranted,
  updateSource,
} from './sources.js';

describeEachDatabase('sources', (t) => {
  it('round-trip a source with its owner, group, default settings and state', async () => {
    const owner = await createIdentity(t.db, { displayName: 'Sam Owner' });
    const group = await createGovernanceGroup(t.db, { name: `IAM ${String(Math.random())}` });
    const created = await createSource(t.db, {
      type: 'duo-activity',
      name: 'Duo activity (prod)',
      description: 'Production tenant',
      ownerIdentityId: owner.id,
      governanceGroupId: group.id,
      settings: { backfillDays: 90 },
    });
    expect(created).toMatchObject({
      type: 'duo-activity',
      state: 'unconfigured',
      hasSecret: false,
      governanceGroupId: group.id,
      settings: { ...DEFAULT_SOURCE_SETTINGS, backfillDays: 90 },
      lastTest: null,
    });
    expect(await getSource(t.db, created.id)).toEqual(created);
    expect(await findSourceByName(t.db, 'Duo activity (prod)')).toEqual(created);
    expect((await listSources(t.db, { type: 'duo-activity' })).map((s) => s.id)).toContain(
      created.id,
    );

    const renamed = await updateSource(t.db, created.id, {
      name: 'Duo activity (production)',
      settings: { syncIntervalMs: 3_600_000 },
    });
    expect(renamed.settings).toMatchObject({ backfillDays: 90, syncIntervalMs: 3_600_000 });
  });

  it('refuse a second source with the same name', async () => {
    const owner = await createIdentity(t.db, { displayName: 'Owner' });
    await createSource(t.db, { type: 'duo', name: 'Duo users', ownerIdentityId: owner.id });
    await expect(
      createSource(t.db, { type: 'duo', name: 'Duo users', ownerIdentityId: owner.id }),
    ).rejects.toThrow(ConflictError);
  });

  it('become configured with credentials, then verified or failing with the last test', async () => {
    const owner = await createIdentity(t.db, { displayName: 'Owner' });
    const source = await createSource(t.db, {
      type: 'duo',
      name: `Duo ${String(Math.random())}`,
      ownerIdentityId: owner.id,
    });
    const key = generateSecretKey();
    const configured = await configureSource(
      t.db,
      source.id,
      { apiHost: 'api-1.duosecurity.com', integrationKey: 'DIX', secretKey: 'secret' },
      key,
    );
    expect(configured).toMatchObject({
      state: 'configured',
      hasSecret: true,
      apiHost: 'api-1.duosecurity.com',
    });
    // Changing the host alone keeps the stored secret.
    const moved = await configureSource(
      t.db,
      source.id,
      { apiHost: 'api-2.duosecurity.com', integrationKey: 'DIX' },
      key,
    );
    expect(moved.hasSecret).toBe(true);

    const at = ms(1_750_000_000_000);
    const failing = await recordConnectionTest(t.db, source.id, {
      ok: false,
      at,
      code: 'permission_missing',
      message: 'The Admin API application lacks "Grant read log"',
    });
    expect(failing.state).toBe('failing');
    expect(failing.lastTest).toMatchObject({ code: 'permission_missing', at });
    expect(
      (await recordConnectionTest(t.db, source.id, { ok: true, at, message: 'ok' })).state,
    ).toBe('verified');
  });

  it('keep whether the last test found "Grant write resource", and forget it with new credentials', async () => {
    const owner = await createIdentity(t.db, { displayName: 'Wes Writer' });
    const source = await createSource(t.db, {
      type: 'duo',
      name: `Duo writes ${String(Math.random())}`,
      ownerIdentityId: owner.id,
    });
    expect(source.writeGranted).toBeNull();
    const key = generateSecretKey();
    const credentials = { apiHost: 'api-1.duosecurity.com', integrationKey: 'DI1', secretKey: 's' };
    await configureSource(t.db, source.id, credentials, key);
    const at = ms(Date.now());
    const granted = await recordConnectionTest(
      t.db,
      source.id,
      { ok: true, at, message: 'ok' },
      true,
    );
    expect(granted.writeGranted).toBe(true);
    await recordWriteGranted(t.db, source.id, false);
    expect((await getSource(t.db, source.id)).writeGranted).toBe(false);
    expect(
      (await recordConnectionTest(t.db, source.id, { ok: false, at, message: 'no' })).writeGranted,
    ).toBeNull();
    await recordConnectionTest(t.db, source.id, { ok: true, at, message: 'ok' }, false);
    expect((await configureSource(t.db, source.id, credentials, key)).writeGranted).toBeNull();
  });

  it('say a missing source is not found', async () => {
    expect(await findSource(t.db, '00000000-0000-0000-0000-000000000000')).toBeUndefined();
    await expect(getSource(t.db, '00000000-0000-0000-0000-000000000000')).rejects.toThrow(
      NotFoundError,
    );
    await expect(deleteSource(t.db, '00000000-0000-0000-0000-000000000000')).rejects.toThrow(
      NotFoundError,
    );
  });
});
