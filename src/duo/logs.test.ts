import { afterEach, describe, expect, it } from 'vitest';
import { ms, seconds } from '../domain/time.js';
import { createDuoClient } from './client.js';
import type { DuoClient } from './client.js';
import { ok, startFakeDuo } from './fake-duo.js';
import type { FakeDuo, FakeDuoScript } from './fake-duo.js';
import { joinNextOffset, nextV1Mintime } from './logs.js';
import type { DuoPage } from './pages.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function duoAnswering(script: FakeDuoScript): Promise<{ duo: FakeDuo; client: DuoClient }> {
  const duo = await startFakeDuo(script);
  const client = createDuoClient({
    apiHost: duo.url,
    ikey: 'DIWJ8X6AEYOR5OMC6TQ1',
    skey: 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep',
    rateLimits: 'off',
  });
  cleanups.push(
    () => duo.close(),
    () => client.close(),
  );
  return { duo, client };
}

async function allPages<T, C>(pages: AsyncIterable<DuoPage<T, C>>): Promise<DuoPage<T, C>[]> {
  const out: DuoPage<T, C>[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

/** The documented authentication record (reference/duo-admin-api.md §5.1), with its oddities. */
function authRecord(txid: string, timestamp: number): Record<string, unknown> {
  return {
    access_device: {
      browser: 'Chrome',
      ip: '169.232.89.219',
      is_encryption_enabled: 'unknown',
      is_firewall_enabled: true,
      is_password_set: null,
      location: { city: 'Ann Arbor', country: 'United States', state: 'Michigan' },
      security_agents: 'unknown',
    },
    application: { key: 'DIY231J8BR23QK4UKBY8', name: 'Microsoft Azure Active Directory' },
    event_type: 'authentication',
    factor: 'duo_push',
    isotimestamp: new Date(timestamp * 1000).toISOString(),
    reason: 'user_approved',
    result: 'success',
    timestamp,
    txid,
    user: { groups: ['Duo Users'], key: 'DU3KC77WJ06Y5HIV7XKQ', name: 'narroway@example.com' },
    brand_new_field: { added: 'by Duo next year' },
  };
}

/** JSON as Python's `json.dumps` writes it by default: `", "` and `": "` between items. */
function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

const window = { mintime: ms(1_581_620_000_000), maxtime: ms(1_581_630_000_000) };

describe('authentication logs v2', () => {
  it('pages with next_offset sent back comma-joined, the window fixed, until an empty page', async () => {
    const { duo, client } = await duoAnswering((request) => {
      const offset = request.params.find(([key]) => key === 'next_offset')?.[1];
      if (offset === undefined) {
        return ok({
          authlogs: [authRecord('tx-1', 1_581_620_180), authRecord('tx-2', 1_581_620_181)],
          metadata: { next_offset: ['1581620181000', 'tx-2'], total_objects: 3 },
        });
      }
      if (offset === '1581620181000,tx-2') {
        // The documented last page still carries a next_offset.
        return ok({
          authlogs: [authRecord('tx-3', 1_581_620_190)],
          metadata: { next_offset: ['1581620190000', 'tx-3'], total_objects: 3 },
        });
      }
      return ok({ authlogs: [], metadata: { total_objects: 3 } });
    });
    const pages = await allPages(client.authLogs(window));
    expect(pages.map((page) => page.records.map((record) => record.txid))).toEqual([
      ['tx-1', 'tx-2'],
      ['tx-3'],
      [],
    ]);
    expect(pages.map((page) => page.next)).toEqual([
      '1581620181000,tx-2',
      '1581620190000,tx-3',
      undefined,
    ]);
    expect(pages[0]?.totalObjects).toBe(3);
    for (const request of duo.requests) {
      expect(request.params).toEqual(
        expect.arrayContaining([
          ['mintime', '1581620000000'],
          ['maxtime', '1581630000000'],
          ['limit', '1000'],
          ['sort', 'ts:asc'],
        ]),
      );
    }
  });

  it('keeps fields Duo adds later and accepts the documented odd values', async () => {
    const { client } = await duoAnswering(() =>
      ok({ authlogs: [authRecord('tx-1', 1_581_620_180)], metadata: {} }),
    );
    const [page] = await allPages(client.authLogs(window));
    const record = page?.records[0];
    expect(record?.access_device?.security_agents).toBe('unknown');
    expect(record?.access_device?.is_encryption_enabled).toBe('unknown');
    expect(record?.['brand_new_field']).toEqual({ added: 'by Duo next year' });
    expect(page?.next).toBeUndefined();
  });

  it('reports a record that fails its schema with its position, and keeps the others', async () => {
    const broken = { ...authRecord('x', 1_581_620_181), txid: 12345 };
    const { client } = await duoAnswering(() =>
      ok({
        authlogs: [authRecord('tx-1', 1_581_620_180), broken, authRecord('tx-3', 1_581_620_182)],
      }),
    );
    const [page] = await allPages(client.authLogs(window));
    expect(page?.records.map((record) => record.txid)).toEqual(['tx-1', 'tx-3']);
    expect(page?.rejected).toEqual([
      { position: 1, error: expect.stringMatching(/^txid:/) as unknown, raw: broken },
    ]);
  });

  it("hands out each valid record's own text as Duo sent it, aligned with the records", async () => {
    const records = [
      authRecord('tx-1', 1_581_620_180),
      { ...authRecord('x', 1_581_620_181), txid: 12345 },
      { ...authRecord('tx-3', 1_581_620_182), reason: 'caf\u00e9 "quoted" [x]' },
    ];
    // Python's separators (", " and ": "), as Duo's own JSON has them, and an escaped unicode.
    const texts = records.map((r) => pythonJson(r).replace('café', 'caf\\u00e9'));
    const body = `{"stat": "OK", "response": {"authlogs": [${texts.join(', ')}], "metadata": {}}}`;
    const { client } = await duoAnswering(() => ({ body }));
    const [page] = await allPages(client.authLogs(window));
    expect(page?.records.map((record) => record.txid)).toEqual(['tx-1', 'tx-3']);
    expect(page?.texts).toEqual([texts[0], texts[2]]);
    expect(page?.texts?.map((t) => JSON.parse(t) as unknown)).toEqual([records[0], records[2]]);
  });

  it('resumes a window from a committed next_offset', async () => {
    const { duo, client } = await duoAnswering(() => ok({ authlogs: [] }));
    await allPages(client.authLogs({ ...window, nextOffset: '1581620181000,tx-2' }));
    expect(duo.requests[0]?.params).toContainEqual(['next_offset', '1581620181000,tx-2']);
  });

  it('refuses to loop when Duo hands back the next_offset it was sent', async () => {
    const { client } = await duoAnswering(() =>
      ok({
        authlogs: [authRecord('tx-2', 1_581_620_181)],
        metadata: { next_offset: ['1581620181000', 'tx-2'] },
      }),
    );
    await expect(
      allPages(client.authLogs({ ...window, nextOffset: '1581620181000,tx-2' })),
    ).rejects.toMatchObject({ kind: 'bad_response' });
  });

  it('refuses a window that ends before it starts, before asking Duo', async () => {
    const { duo, client } = await duoAnswering(() => ok({ authlogs: [] }));
    await expect(
      allPages(client.authLogs({ mintime: window.maxtime, maxtime: window.mintime })),
    ).rejects.toThrow(RangeError);
    expect(duo.requests).toHaveLength(0);
  });
});

describe('telephony and activity logs v2', () => {
  it('reads telephony items with a "ms,id" next_offset and total_objects as an object', async () => {
    const item = {
      context: 'authentication',
      credits: 2,
      phone: '+17345551311',
      telephony_id: '60799fee-0000-4000-8000-000000000001',
      ts: '2023-01-26T20:54:12.573580+00:00',
      txid: '373bd5f3-0000-4000-8000-000000000001',
      type: 'phone',
    };
    const { client } = await duoAnswering((request) =>
      request.params.some(([key]) => key === 'next_offset')
        ? ok({ items: [], metadata: { total_objects: { relation: 'eq', value: 1 } } })
        : ok({
            items: [item],
            metadata: {
              next_offset: '1674766452573,60799fee-0000-4000-8000-000000000001',
              total_objects: { relation: 'eq', value: 1 },
            },
          }),
    );
    const pages = await allPages(client.telephonyLogs(window));
    expect(pages[0]?.records).toEqual([item]);
    expect(pages[0]?.next).toBe('1674766452573,60799fee-0000-4000-8000-000000000001');
    expect(pages[0]?.totalObjects).toBe(1);
    expect(pages).toHaveLength(2);
  });

  it('accepts an activity action as an object or as a plain string', async () => {
    const base = { activity_id: 'a-1', ts: '2023-03-21T15:51:22.591015+00:00' };
    const { client } = await duoAnswering(() =>
      ok({
        items: [
          { ...base, action: { name: 'webauthncredential_create', details: null } },
          { ...base, activity_id: 'a-2', action: 'admin_login' },
        ],
      }),
    );
    const [page] = await allPages(client.activityLogs(window));
    expect(page?.records).toHaveLength(2);
    expect(page?.rejected).toEqual([]);
  });
});

function adminRecord(timestamp: number, n: number): Record<string, unknown> {
  return {
    action: 'user_update',
    description: n % 2 === 0 ? null : 'not {json',
    isotimestamp: new Date(timestamp * 1000).toISOString(),
    object: `user${n}`,
    timestamp,
    username: n % 3 === 0 ? '' : 'admin',
  };
}

describe('administrator and offline enrollment logs v1', () => {
  it('pages by mintime: inclusive at the latest second, +1 s with a warning for a one-second page', async () => {
    const { duo, client } = await duoAnswering((request) => {
      const mintime = Number(request.params.find(([key]) => key === 'mintime')?.[1]);
      if (mintime === 100) {
        return ok(Array.from({ length: 1000 }, (_, n) => adminRecord(n < 500 ? 100 : 105, n)));
      }
      if (mintime === 105) return ok(Array.from({ length: 1000 }, (_, n) => adminRecord(105, n)));
      return ok([adminRecord(106, 1), adminRecord(107, 2)]);
    });
    const pages = await allPages(client.administratorLogs({ mintime: seconds(100) }));
    expect(duo.requests.map((request) => request.params)).toEqual([
      [['mintime', '100']],
      [['mintime', '105']],
      [['mintime', '106']],
    ]);
    expect(pages.map((page) => page.next)).toEqual([105, 106, undefined]);
    expect(pages[0]?.warnings).toEqual([]);
    expect(pages[1]?.warnings[0]).toMatch(/possible loss: 1000 records share the second 105/);
    expect(pages[2]?.records).toHaveLength(2);
    expect(pages[0]?.rejected).toEqual([]);
  });

  it("hands out each record's own text on v1 pages too", async () => {
    const records = [adminRecord(106, 1), adminRecord(107, 2)];
    const body = `{"stat": "OK", "response": [${records.map(pythonJson).join(', ')}]}`;
    const { client } = await duoAnswering(() => ({ body }));
    const [page] = await allPages(client.administratorLogs({ mintime: seconds(100) }));
    expect(page?.texts).toEqual(records.map(pythonJson));
  });

  it('reads offline enrollment logs the same way', async () => {
    const record = {
      action: 'o2fa_user_provisioned',
      description: '{"hostname": "WKSW10x64", "factor": "duo_otp"}',
      isotimestamp: '2019-08-30T16:10:05+00:00',
      object: 'Acme Laptop Windows Logon',
      timestamp: 1_567_181_405,
      username: 'narroway',
    };
    const { duo, client } = await duoAnswering(() => ok([record]));
    const pages = await allPages(client.offlineEnrollmentLogs({ mintime: seconds(1_567_000_000) }));
    expect(pages).toEqual([
      {
        records: [record],
        rejected: [],
        texts: [JSON.stringify(record)],
        next: undefined,
        warnings: [],
      },
    ]);
    expect(duo.requests[0]?.path).toBe('/admin/v1/logs/offline_enrollment');
  });

  it('nextV1Mintime: done below 1000 records', () => {
    expect(nextV1Mintime(seconds(5), 999, [5, 6])).toEqual({ next: undefined, warnings: [] });
    expect(nextV1Mintime(seconds(5), 1000, [5, 9, 7]).next).toBe(9);
  });
});

describe('users, groups and members', () => {
  it('advances by the next_offset Duo sends, even when it clamps the page size', async () => {
    const user = (n: number) => ({ user_id: `DU${n}`, username: `user${n}`, status: 'active' });
    const { duo, client } = await duoAnswering((request) => {
      const offset = Number(request.params.find(([key]) => key === 'offset')?.[1]);
      return offset === 0
        ? ok([user(0), user(1)], { next_offset: 2, prev_offset: null, total_objects: 3 })
        : ok([user(2)], { prev_offset: 0, total_objects: 3 });
    });
    const pages = await allPages(client.users());
    expect(pages.map((page) => page.records.map((record) => record.user_id))).toEqual([
      ['DU0', 'DU1'],
      ['DU2'],
    ]);
    expect(pages.map((page) => page.next)).toEqual([2, undefined]);
    expect(duo.requests.map((request) => request.params)).toEqual([
      [
        ['limit', '300'],
        ['offset', '0'],
      ],
      [
        ['limit', '300'],
        ['offset', '2'],
      ],
    ]);
  });

  it('asks for 100 groups and 500 members a page, on the documented paths', async () => {
    const { duo, client } = await duoAnswering(() => ok([]));
    await allPages(client.groups());
    await allPages(client.groupMembers('DG 1'));
    expect(duo.requests.map((request) => `${request.path}?${request.query}`)).toEqual([
      '/admin/v1/groups?limit=100&offset=0',
      '/admin/v2/groups/DG%201/users?limit=500&offset=0',
    ]);
  });

  it('refuses a next_offset that does not move forward', async () => {
    const { client } = await duoAnswering(() => ok([], { next_offset: 0 }));
    await expect(allPages(client.groups())).rejects.toMatchObject({ kind: 'bad_response' });
  });
});

describe('joinNextOffset', () => {
  it('joins the authentication array and keeps the telephony string', () => {
    expect(joinNextOffset(['1532951895000', 'af0ba235'])).toBe('1532951895000,af0ba235');
    expect(joinNextOffset('1666714065304,5bf1a860')).toBe('1666714065304,5bf1a860');
    expect(joinNextOffset(null)).toBeUndefined();
    expect(joinNextOffset([])).toBeUndefined();
  });
});
