/**
 * The security events report over HTTP (in process): Trust Monitor events of two activity
 * sources, newest first, keyset-paged with nothing twice, filtered by source, state, type and
 * time, each with its user and identity; the CSV holds every row; a state re-read after triage
 * replaces the stored one; an unknown state or type is refused naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecurityEventList, type SecurityEvent } from '../contract/reports.js';
import { DAY_MS, ms } from '../../domain/time.js';
import {
  findAccountByDuoUserId,
  setAccountIdentity,
  upsertAccounts,
} from '../../store/accounts.js';
import { ingestActivityPage } from '../../store/activity/ingest.js';
import { createIdentity } from '../../store/identities.js';
import { createDataset } from '../../sim/dataset.js';
import { normalise } from '../../sync/normalise.js';
import { newSource } from '../../../test/support/activity-fixtures.js';
import { errorOf, startTestApi, type Client, type TestApi } from '../../../test/support/api.js';

const START = ms(Date.UTC(2025, 2, 1));

describe('the security events report', () => {
  let api: TestApi;
  let admin: Client;
  const sources: string[] = [];
  const records: Record<string, unknown>[][] = [];
  let linkedUser = '';

  beforeAll(async () => {
    api = await startTestApi();
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
    const db = api.app.db;
    for (const seed of ['security-a', 'security-b']) {
      const ds = createDataset({
        seed,
        users: 200,
        days: 60,
        start: START,
        authEventsPerDay: 3000,
      });
      const events = [...ds.events('trust_monitor', ms(START - 60 * DAY_MS), START)];
      records.push(events.map((e) => e.record as Record<string, unknown>));
      const { sourceId } = await newSource(db);
      sources.push(sourceId);
      await ingestActivityPage(db, {
        sourceId,
        stream: 'trust_monitor',
        events: events.map((e) => normalise('trust_monitor', e.record)),
        cursor: null,
      });
    }
    // One Duo user of the first source belongs to an identity through a Duo account.
    const first = records[0]?.find((r) => r.type === 'auth') as {
      surfaced_auth: { user: { key: string; name: string } };
    };
    linkedUser = first.surfaced_auth.user.key;
    const { sourceId: duo } = await newSource(db, 'duo');
    await upsertAccounts(db, {
      sourceId: duo,
      runId: 'r1',
      now: START,
      accounts: [
        {
          duoUserId: linkedUser,
          username: first.surfaced_auth.user.name,
          status: 'active',
          groups: [],
        },
      ],
    });
    const identity = await createIdentity(db, { displayName: 'Linked Person' });
    const account = await findAccountByDuoUserId(db, duo, linkedUser);
    if (account === undefined) throw new Error('the account was not stored');
    await setAccountIdentity(db, account.id, { identityId: identity.id, correlation: 'manual' });
  }, 120_000);

  afterAll(async () => {
    await api.close();
  });

  async function allPages(query: string, limit: number): Promise<SecurityEvent[]> {
    const out: SecurityEvent[] = [];
    let cursor: string | null = null;
    do {
      const res = await admin.get(
        `/api/v1/reports/security-events?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status, res.text).toBe(200);
      const page = SecurityEventList.parse(res.body);
      out.push(...page.events);
      cursor = page.next;
    } while (cursor !== null);
    return out;
  }

  it('pages through every event of every source, newest first, each once', async () => {
    const events = await allPages('', 13);
    const total = records.reduce((n, list) => n + list.length, 0);
    expect(total).toBeGreaterThan(200);
    expect(events).toHaveLength(total);
    expect(new Set(events.map((e) => e.sv4Id)).size).toBe(total);
    for (let i = 1; i < events.length; i++)
      expect(events[i - 1]?.surfacedMs).toBeGreaterThanOrEqual(events[i]?.surfacedMs ?? 0);
  });

  it('filters by source, state, type and time', async () => {
    const [a] = sources;
    const bySource = await allPages(`&sourceId=${a}`, 50);
    expect(bySource).toHaveLength(records[0]?.length ?? -1);
    const fresh = await allPages('&state=new', 50);
    const expectedNew = records.flat().filter((r) => r.state === 'new').length;
    expect(fresh).toHaveLength(expectedNew);
    expect(fresh.every((e) => e.state === 'new')).toBe(true);
    const bypass = await allPages('&type=bypass_status', 50);
    expect(bypass.length).toBe(records.flat().filter((r) => r.type === 'bypass_status').length);
    expect(bypass.every((e) => e.type === 'bypass_status' && e.enabledBy !== null)).toBe(true);
    expect(bypass[0]?.summary).toMatch(/was put in bypass by /);
    const from = START - 10 * DAY_MS;
    const recent = await allPages(`&from=${from}&to=${START}`, 50);
    const inRange = records.flat().filter((r) => (r.surfaced_timestamp as number) >= from).length;
    expect(recent).toHaveLength(inRange);
    const both = await allPages('&state=new,processed&type=auth,bypass_status', 200);
    expect(both).toHaveLength(records.flat().length);
  });

  it('shows each event’s user, its identity, priority, reasons and triage state', async () => {
    const events = await allPages('&type=auth', 200);
    const linked = events.filter((e) => e.duoUserKey === linkedUser);
    expect(linked.length).toBeGreaterThan(0);
    for (const e of linked) expect(e.identityName).toBe('Linked Person');
    const auth = events.find((e) => e.priority);
    expect(auth?.reasons.length).toBeGreaterThan(0);
    expect(auth?.summary).toMatch(/^Unusual authentication \((denied|fraud)\) by /);
    expect(auth?.explanations.length).toBeGreaterThan(0);
  });

  it('exports every row as CSV', async () => {
    const res = await admin.get('/api/v1/reports/security-events?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const lines = res.text.split('\r\n').slice(0, -1);
    expect(lines[0]).toBe(
      'surfaced,type,state,priority,reasons,username,identity,summary,explanations,state_updated,sv4_id,duo_user_id',
    );
    expect(lines.length - 1).toBe(records.flat().length);
  });

  it('shows the state of the last read after an event is triaged in Duo, without a duplicate', async () => {
    const record = records[1]?.find((r) => r.state === 'new');
    if (record === undefined) throw new Error('no new event to triage');
    const triaged = { ...record, state: 'processed', triaged_as_interesting: true };
    await ingestActivityPage(api.app.db, {
      sourceId: sources[1] ?? '',
      stream: 'trust_monitor',
      events: [normalise('trust_monitor', triaged)],
      cursor: null,
    });
    const events = await allPages(`&sourceId=${sources[1]}`, 200);
    const found = events.filter((e) => e.sv4Id === record.sv4_id);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ state: 'processed', triagedAsInteresting: true });
  });

  it('refuses a state or type Duo does not have, naming it', async () => {
    for (const [field, value] of [
      ['state', 'closed'],
      ['type', 'device_registration'],
    ] as const) {
      const res = await admin.get(`/api/v1/reports/security-events?${field}=${value}`);
      expect(res.status).toBe(400);
      expect(errorOf(res.body).code).toBe('validation_failed');
      expect(errorOf(res.body).details).toEqual([
        { field, message: expect.stringContaining(value) as unknown },
      ]);
    }
  });
});
