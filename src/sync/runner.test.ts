/**
 * The wrong kind of run for a source's type is refused in one wording, whichever door asks:
 * the runner every front door starts through, and the sync engine's own guard behind it.
 */
import { beforeAll, expect, it } from 'vitest';
import { SourceNotReadyError } from '../domain/errors.js';
import type { Source } from '../domain/sources.js';
import { createIdentity } from '../store/identities.js';
import { createSource } from '../store/sources.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { syncContext } from '../../test/support/sync.js';
import { syncActivitySource } from './activity-sync.js';
import { aggregateSource } from './aggregation.js';
import type { SyncContext } from './context.js';
import { Runner } from './runner.js';

describeEachDatabase('the wrong kind of run', (t) => {
  let ctx: SyncContext;
  let duo: Source;
  let activity: Source;

  beforeAll(async () => {
    ctx = syncContext(t.db, { clock: Date.now });
    const owner = await createIdentity(t.db, { displayName: 'Owner', email: 'o@example.com' });
    duo = await createSource(t.db, {
      type: 'duo',
      name: 'Duo accounts',
      ownerIdentityId: owner.id,
    });
    activity = await createSource(t.db, {
      type: 'duo-activity',
      name: 'Duo logs',
      ownerIdentityId: owner.id,
    });
  });

  it('is refused with the same words by the runner and by the engine behind it', async () => {
    const runner = new Runner(ctx);
    const syncDuo = new SourceNotReadyError(
      'source "Duo accounts" is a Duo source: aggregate it instead',
    );
    await expect(runner.start(duo, 'sync', { trigger: 'manual' })).rejects.toThrow(syncDuo);
    await expect(syncActivitySource(ctx, duo.id, { trigger: 'manual' })).rejects.toThrow(syncDuo);

    const aggregateActivity = new SourceNotReadyError(
      'source "Duo logs" is an Activity Insights source: sync it instead',
    );
    await expect(runner.start(activity, 'aggregation', { trigger: 'manual' })).rejects.toThrow(
      aggregateActivity,
    );
    await expect(aggregateSource(ctx, activity.id, { trigger: 'manual' })).rejects.toThrow(
      aggregateActivity,
    );
  });
});
