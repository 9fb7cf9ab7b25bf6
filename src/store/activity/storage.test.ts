import { expect, it } from 'vitest';
import { ms } from '../../domain/time.js';
import { authEvents, newSource } from '../../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../../test/support/db.js';
import { ingestActivityPage } from './ingest.js';
import { storageStats } from './storage.js';
import { StringCache } from './strings.js';

const START = ms(Date.UTC(2025, 0, 6));

describeEachDatabase('activity storage', (t) => {
  it('stores 10k realistic auth events in less space than their raw JSON', async () => {
    const { sourceId } = await newSource(t.db);
    const events = authEvents({ count: 10_000, startMs: START, users: 500, seed: 61 });
    const strings = new StringCache();
    const before = await storageStats(t.db);
    for (let i = 0; i < events.length; i += 1000)
      await ingestActivityPage(t.db, {
        sourceId,
        stream: 'authentication',
        events: events.slice(i, i + 1000),
        cursor: i,
        strings,
      });
    const after = await storageStats(t.db);
    const rawPerEvent =
      events.reduce((s, e) => s + Buffer.byteLength(e.payload), 0) / events.length;
    const stored = (after.activityBytes - before.activityBytes) / (after.events - before.events);
    console.log(
      `[${t.kind}] storage: ${stored.toFixed(0)} bytes/event stored (indexes included) vs ` +
        `${rawPerEvent.toFixed(0)} bytes/event raw JSON`,
    );
    expect(stored).toBeLessThan(rawPerEvent);
  });
});
