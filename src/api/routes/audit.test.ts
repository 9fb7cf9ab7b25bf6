/**
 * The audit trail's CSV holds every entry, newest first, however many pages the list has (the
 * JSON pages followed to the end), on SQLite and on PostgreSQL; only admins get it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ms } from '../../domain/time.js';
import { recordAudit } from '../../store/audit.js';
import { startTestApi, type Client, type TestApi } from '../../../test/support/api.js';
import { describeEachDatabase } from '../../../test/support/db.js';

const ENTRIES = 1_150;
const START = Date.UTC(2025, 0, 6);

describeEachDatabase('the audit trail as CSV', (t) => {
  let api: TestApi;
  let admin: Client;
  let viewer: Client;

  beforeAll(async () => {
    api = await startTestApi({}, { databaseUrl: t.url });
    await api.createUser('admin', 'admin');
    await api.createUser('val', 'viewer');
    admin = await api.signIn('admin');
    viewer = await api.signIn('val');
    for (let i = 0; i < ENTRIES; i += 1)
      await recordAudit(api.app.db, {
        actor: 'cli:root',
        action: 'source.update',
        targetType: 'source',
        targetId: `src_${String(i)}`,
        targetName: `Source, "${String(i)}"`,
        // Several entries in one millisecond: the id orders them.
        at: ms(START + Math.floor(i / 3)),
      });
  }, 120_000);

  afterAll(async () => {
    await api.close();
  });

  it('exports every entry once, newest first, as the JSON pages list them', async () => {
    const csv = await admin.get('/api/v1/audit?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="audit-trail.csv"');
    const lines = csv.text.split('\r\n').slice(1, -1);
    // The sign-ins are in the trail too.
    expect(lines.length).toBeGreaterThanOrEqual(ENTRIES);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await admin.get(`/api/v1/audit?limit=400${cursor ? `&cursor=${cursor}` : ''}`))
        .body as { entries: { targetId: string | null; action: string }[]; next: string | null };
      ids.push(...page.entries.map((e) => `${e.action} ${e.targetId ?? ''}`));
      cursor = page.next;
    } while (cursor);
    expect(lines).toHaveLength(ids.length);
    expect(lines.map((l) => `${l.split(',')[2] ?? ''} ${l.split(',')[4] ?? ''}`)).toEqual(ids);
    expect(lines).toContain(
      `${new Date(START).toISOString()},cli:root,source.update,source,src_0,"Source, ""0""",,`,
    );
  });

  it('refuses the CSV to a viewer, as it refuses the list', async () => {
    const answer = await viewer.get('/api/v1/audit?format=csv');
    expect(answer.status).toBe(403);
  });
});
