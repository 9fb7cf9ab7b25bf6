import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import { ms } from '../domain/time.js';
import { ingestActivityPage } from './activity/ingest.js';
import { createIdentity } from './identities.js';
import { createSource } from './sources.js';
import { analyseChangedTables } from './statistics.js';

describeEachDatabase('planner statistics', (t) => {
  it('analyses on PostgreSQL the tables a large write changed, and only those; nothing on SQLite', async () => {
    const owner = await createIdentity(t.db, { displayName: 'Owner' });
    const source = await createSource(t.db, {
      type: 'duo-activity',
      name: 'Logs',
      ownerIdentityId: owner.id,
    });
    const start = Date.UTC(2026, 5, 1);
    for (let page = 0; page < 4; page++)
      await ingestActivityPage(t.db, {
        sourceId: source.id,
        stream: 'authentication',
        cursor: page,
        events: Array.from({ length: 500 }, (_, i) => {
          const n = page * 500 + i;
          return {
            naturalKey: `stat-${String(n)}`,
            tsMs: ms(start + n * 60_000),
            userKey: `DUSTAT${String(n % 20)}`,
            username: `user${String(n % 20)}`,
            result: 'success',
            factor: 'duo_push',
            application: 'Okta',
            payload: JSON.stringify({ n }),
          };
        }),
      });
    if (t.kind === 'sqlite') {
      expect(await analyseChangedTables(t.db)).toEqual([]);
      const stats = await sql<{ n: number }>`
        select count(*) as n from sqlite_master where name = 'sqlite_stat1'`.execute(t.db);
      expect(stats.rows[0]?.n).toBe(0);
      return;
    }
    // PostgreSQL counts a session's changes in its statistics within a second of its commit.
    let analysed: string[] = [];
    for (let tries = 0; tries < 50 && !analysed.includes('activity_events'); tries++) {
      analysed = [...analysed, ...(await analyseChangedTables(t.db))];
      if (!analysed.includes('activity_events')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(analysed).toContain('activity_events');
    expect(analysed).not.toContain('settings');
    const events = await sql<{ analysed: boolean; changed: number }>`
      select last_analyze is not null as analysed, n_mod_since_analyze as changed
      from pg_stat_user_tables
      where schemaname = current_schema() and relname = 'activity_events'`.execute(t.db);
    expect(events.rows[0]).toEqual({ analysed: true, changed: 0 });
    // Analysed, the table is left alone until it changes again by a tenth.
    expect(await analyseChangedTables(t.db)).not.toContain('activity_events');
  });
});
