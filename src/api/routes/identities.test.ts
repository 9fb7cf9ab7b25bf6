/**
 * The identity list's CSV holds every identity a search matches, by name, however many pages
 * the list has (the JSON pages followed to the end), on SQLite and on PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIdentities } from '../../store/identities.js';
import { startTestApi, type Client, type TestApi } from '../../../test/support/api.js';
import { describeEachDatabase } from '../../../test/support/db.js';

const PEOPLE = 1_120;

describeEachDatabase('the identity list as CSV', (t) => {
  let api: TestApi;
  let admin: Client;

  /** The display names of every JSON page of a list, followed to the end. */
  async function listed(query: string): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (
        await admin.get(`/api/v1/identities?limit=200${query}${cursor ? `&cursor=${cursor}` : ''}`)
      ).body as { identities: { displayName: string }[]; next: string | null };
      names.push(...page.identities.map((i) => i.displayName));
      cursor = page.next;
    } while (cursor);
    return names;
  }

  beforeAll(async () => {
    api = await startTestApi({}, { databaseUrl: t.url });
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
    await createIdentities(
      api.app.db,
      Array.from({ length: PEOPLE }, (_, i) => ({
        id: randomUUID(),
        displayName: `${i % 2 === 0 ? 'Ada' : 'Bob'} ${String((i * 7919) % PEOPLE).padStart(4, '0')}`,
        email: `p${String(i)}@example.com`,
        username: null,
      })),
    );
  }, 120_000);

  afterAll(async () => {
    await api.close();
  });

  it('exports every identity once, in the list’s order', async () => {
    const csv = await admin.get('/api/v1/identities?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="identities.csv"');
    const names = csv.text
      .split('\r\n')
      .slice(1, -1)
      .map((l) => l.split(',')[0]);
    expect(names).toHaveLength(PEOPLE);
    expect(names).toEqual(await listed(''));
  });

  it('exports every identity a search matches, and refuses a one-letter search', async () => {
    const csv = await admin.get('/api/v1/identities?format=csv&q=ada');
    const names = csv.text
      .split('\r\n')
      .slice(1, -1)
      .map((l) => l.split(',')[0]);
    expect(names).toHaveLength(PEOPLE / 2);
    expect(names).toEqual(await listed('&q=ada'));
    const short = await admin.get('/api/v1/identities?format=csv&q=a');
    expect(short.status).toBe(400);
  });
});
