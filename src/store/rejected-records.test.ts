import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import { createIdentity } from './identities.js';
import { listRejectedRecords, saveRejectedRecords } from './rejected-records.js';
import { createSource, deleteSource } from './sources.js';

describeEachDatabase('rejected records', (t) => {
  it('keep each unreadable Duo record whole, once, however often it is read', async () => {
    const owner = await createIdentity(t.db, { displayName: 'Rae Owner' });
    const source = await createSource(t.db, {
      type: 'duo-activity',
      name: `logs ${String(Math.random())}`,
      ownerIdentityId: owner.id,
    });
    const garbled = { txid: 42, timestamp: 'yesterday', result: 'success' };
    const page = [{ position: 7, error: 'txid: expected string', raw: garbled }];
    for (const runId of ['run-1', 'run-2']) {
      await saveRejectedRecords(t.db, {
        sourceId: source.id,
        stream: 'authentication',
        runId,
        records: page,
      });
    }
    const kept = await listRejectedRecords(t.db, source.id);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({
      stream: 'authentication',
      runId: 'run-1',
      position: 7,
      error: 'txid: expected string',
      raw: garbled,
    });

    await deleteSource(t.db, source.id);
    expect(await listRejectedRecords(t.db, source.id)).toEqual([]);
  });
});
