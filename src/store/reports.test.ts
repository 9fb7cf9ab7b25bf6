import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import type { NormalisedEvent } from '../domain/activity.js';
import { dayOf } from '../domain/activity.js';
import { DAY_MS, ms } from '../domain/time.js';
import { findEntitlementByDuoGroupId } from './entitlements.js';
import { upsertAccounts } from './accounts.js';
import { ingestActivityPage } from './activity/ingest.js';
import { createIdentity } from './identities.js';
import { accessReviewRows, dormantAccounts, organisationActivity } from './reports.js';
import { createSource } from './sources.js';

const NOW = 1_800_000_000_000;

function auth(key: string, user: string, daysAgo: number, result = 'success'): NormalisedEvent {
  const tsMs = ms(NOW - daysAgo * DAY_MS);
  return {
    naturalKey: key,
    tsMs,
    userKey: user,
    username: user.toLowerCase(),
    result,
    payload: JSON.stringify({ txid: key, timestamp: Math.floor(tsMs / 1000), user: { key: user } }),
  };
}

describeEachDatabase('reports', (t) => {
  let sourceId = '';
  let activityId = '';

  // A tenant: four accounts in one group (one disabled), activity for three of them.
  beforeAll(async () => {
    const owner = await createIdentity(t.db, { displayName: 'Owner' });
    sourceId = (await createSource(t.db, { type: 'duo', name: 'Duo', ownerIdentityId: owner.id }))
      .id;
    activityId = (
      await createSource(t.db, { type: 'duo-activity', name: 'Logs', ownerIdentityId: owner.id })
    ).id;
    const group = [{ duoGroupId: 'DGSTAFF', name: 'Staff' }];
    await upsertAccounts(t.db, {
      sourceId,
      runId: 'r1',
      now: ms(NOW),
      accounts: [
        { duoUserId: 'DUACTIVE', username: 'active.user', status: 'active', groups: group },
        { duoUserId: 'DUOLD', username: 'old.user', status: 'active', groups: group },
        { duoUserId: 'DUNEVER', username: 'never.user', status: 'active', groups: group },
        { duoUserId: 'DUOFF', username: 'disabled.user', status: 'disabled', groups: group },
      ],
    });
    await ingestActivityPage(t.db, {
      sourceId: activityId,
      stream: 'authentication',
      cursor: { version: 1 },
      events: [
        auth('t1', 'DUACTIVE', 1),
        auth('t2', 'DUACTIVE', 1, 'denied'),
        auth('t3', 'DUACTIVE', 3),
        auth('t4', 'DUOLD', 120),
        auth('t5', 'DUOFF', 2),
      ],
    });
  });

  it('lists active accounts idle for N days, never-active first, and not the disabled one', async () => {
    const rows = await dormantAccounts(t.db, { idleSinceMs: ms(NOW - 90 * DAY_MS) });
    expect(rows.map((r) => r.username)).toEqual(['never.user', 'old.user']);
    expect(rows[1]?.lastActivityMs).toBe(NOW - 120 * DAY_MS);
    expect(rows[0]?.lastActivityMs).toBeNull();
    const fromOtherSource = await dormantAccounts(t.db, {
      idleSinceMs: ms(NOW),
      sourceId: activityId,
    });
    expect(fromOtherSource).toEqual([]);
  });

  it('gives each member of a group its last activity and distinct days active', async () => {
    const group = await findEntitlementByDuoGroupId(t.db, sourceId, 'DGSTAFF');
    if (!group) throw new Error('no group');
    const rows = await accessReviewRows(t.db, {
      entitlementId: group.id,
      sinceDay: dayOf(ms(NOW)) - 89,
    });
    const byName = new Map(rows.map((r) => [r.username, r]));
    expect(byName.get('active.user')).toMatchObject({
      daysActive: 2,
      lastActivityMs: NOW - DAY_MS,
    });
    expect(byName.get('old.user')).toMatchObject({ daysActive: 0 });
    expect(byName.get('never.user')).toMatchObject({ daysActive: 0, lastActivityMs: null });
    expect(byName.get('disabled.user')).toMatchObject({ daysActive: 1, status: 'disabled' });
  });

  it('counts the organisation’s events and active users over a range of days', async () => {
    const today = dayOf(ms(NOW));
    expect(await organisationActivity(t.db, { sinceDay: today - 29 })).toEqual({
      events: 4,
      users: 2,
    });
    expect(await organisationActivity(t.db, { sinceDay: today - 199 })).toEqual({
      events: 5,
      users: 3,
    });
  });
});
