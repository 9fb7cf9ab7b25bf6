import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuoParams } from '../duo/signing.js';
import { AdminSchema } from '../duo/wire.js';
import { startSimulator, type Simulator } from './server.js';
import { control, duoGet } from './testing.js';

const cred = { ikey: 'DIOBJECTS00000000001', skey: 'o'.repeat(40) };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({
    credentials: [cred],
    seed: 'objects-test',
    users: 1234,
    days: 1,
    authEventsPerDay: 1000,
  });
});
afterAll(() => sim.close());

interface ListBody {
  stat: string;
  response: Record<string, unknown>[];
  metadata: { next_offset?: number; prev_offset?: number; total_objects: number };
}

async function list(path: string, params: DuoParams = []): Promise<ListBody> {
  const response = await duoGet(sim, cred, path, params);
  expect(response.status, response.text).toBe(200);
  return response.body as ListBody;
}

interface TruthUser {
  user_id: string;
  username: string;
  email: string | null;
  status: string;
  group_ids: string[];
}

async function truthUsers(): Promise<TruthUser[]> {
  return (await control<{ users: TruthUser[] }>(sim, 'GET', '/_sim/truth/users')).users;
}

async function pageAll(path: string, limit: number): Promise<ListBody['response']> {
  const all: ListBody['response'] = [];
  let offset: number | undefined = 0;
  while (offset !== undefined) {
    const page = await list(path, [
      ['limit', String(limit)],
      ['offset', String(offset)],
    ]);
    all.push(...page.response);
    offset = page.metadata.next_offset;
  }
  return all;
}

describe('users', () => {
  it('pages of 300 reassemble exactly the users the tenant has, with their groups', async () => {
    const truth = await truthUsers();
    expect(truth).toHaveLength(1234);
    const users = await pageAll('/admin/v1/users', 300);
    expect(
      users.map((u) => ({
        user_id: u.user_id,
        username: u.username,
        email: u.email ?? null,
        status: u.status,
        group_ids: (u.groups as { group_id: string }[]).map((g) => g.group_id),
      })),
    ).toEqual(truth);
  });

  it('puts paging metadata at the top level: next_offset while more remain, prev_offset after the first page', async () => {
    const first = await list('/admin/v1/users', [['limit', '300']]);
    expect(first.metadata).toEqual({ next_offset: 300, total_objects: 1234 });
    const middle = await list('/admin/v1/users', [
      ['limit', '300'],
      ['offset', '600'],
    ]);
    expect(middle.metadata).toEqual({ next_offset: 900, prev_offset: 300, total_objects: 1234 });
    const last = await list('/admin/v1/users', [
      ['limit', '300'],
      ['offset', '1200'],
    ]);
    expect(last.response).toHaveLength(34);
    expect(last.metadata).toEqual({ prev_offset: 900, total_objects: 1234 });
  });

  it('defaults limit to 100 and clamps it to 300', async () => {
    expect((await list('/admin/v1/users')).response).toHaveLength(100);
    const clamped = await list('/admin/v1/users', [['limit', '1000']]);
    expect(clamped.response).toHaveLength(300);
    expect(clamped.metadata.next_offset).toBe(300);
  });

  it('answers a limit that is not a number with 400 40002', async () => {
    const response = await duoGet(sim, cred, '/admin/v1/users', [['limit', 'many']]);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 40002, message_detail: 'limit' });
  });

  it('finds one user by username, by email, and several by user_id_list or username_list', async () => {
    const [a, b] = await truthUsers();
    if (!a || !b) throw new Error('no users');
    expect((await list('/admin/v1/users', [['username', a.username]])).response).toMatchObject([
      { user_id: a.user_id },
    ]);
    if (a.email) {
      const byEmail = await list('/admin/v1/users', [['email', a.email]]);
      expect(byEmail.response).toMatchObject([{ user_id: a.user_id }]);
    }
    const byIds = await list('/admin/v1/users', [
      ['user_id_list', JSON.stringify([a.user_id, b.user_id, 'DUNOSUCHUSER00000000'])],
    ]);
    expect(byIds.response.map((u) => u.user_id)).toEqual([a.user_id, b.user_id]);
    expect(byIds.metadata.total_objects).toBe(2);
    const byNames = await list('/admin/v1/users', [
      ['username_list', JSON.stringify([b.username])],
    ]);
    expect(byNames.response.map((u) => u.user_id)).toEqual([b.user_id]);
    expect((await list('/admin/v1/users', [['username', 'nobody-here']])).response).toEqual([]);
  });

  it('returns one user by id, and 404 40401 for an unknown id', async () => {
    const [a] = await truthUsers();
    const found = await duoGet(sim, cred, `/admin/v1/users/${a?.user_id ?? ''}`);
    expect(found.body).toMatchObject({ stat: 'OK', response: { user_id: a?.user_id } });
    const missing = await duoGet(sim, cred, '/admin/v1/users/DUNOSUCHUSER00000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ stat: 'FAIL', code: 40401, message: 'Resource not found' });
  });

  it("lists a user's groups as full group objects", async () => {
    const [a] = await truthUsers();
    const groups = await list(`/admin/v1/users/${a?.user_id ?? ''}/groups`);
    expect(groups.response.map((g) => g.group_id)).toEqual(a?.group_ids);
    expect(groups.response[0]).toHaveProperty('push_enabled');
  });

  it('hides a user deleted through the control API, and shows a changed status', async () => {
    const s = await startSimulator({ credentials: [cred], seed: 'changes', users: 20, days: 1 });
    try {
      const users = (await control<{ users: TruthUser[] }>(s, 'GET', '/_sim/truth/users')).users;
      const [gone, locked] = users;
      if (!gone || !locked) throw new Error('no users');
      await control(s, 'POST', `/_sim/users/${gone.user_id}/delete`);
      await control(s, 'POST', `/_sim/users/${locked.user_id}/status`, {
        status: 'locked out',
        lockout_reason: 'Failed Attempts',
      });
      const page = (await duoGet(s, cred, '/admin/v1/users', [['limit', '300']])).body as ListBody;
      expect(page.metadata.total_objects).toBe(19);
      expect(page.response.map((u) => u.user_id)).not.toContain(gone.user_id);
      expect(page.response.find((u) => u.user_id === locked.user_id)).toMatchObject({
        status: 'locked out',
        lockout_reason: 'Failed Attempts',
      });
      expect((await duoGet(s, cred, `/admin/v1/users/${gone.user_id}`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});

describe('groups', () => {
  it('pages groups (at most 100 a page) and their members agree with the users', async () => {
    const groups = await pageAll('/admin/v1/groups', 100);
    const truth = await control<{ groups: { group_id: string }[] }>(
      sim,
      'GET',
      '/_sim/truth/groups',
    );
    expect(groups.map((g) => g.group_id)).toEqual(truth.groups.map((g) => g.group_id));
    const clamped = await list('/admin/v1/groups', [['limit', '500']]);
    expect(clamped.response.length).toBeLessThanOrEqual(100);

    const users = await truthUsers();
    const group = groups[0];
    if (!group) throw new Error('no groups');
    const groupId = String(group.group_id);
    const members = await pageAll(`/admin/v2/groups/${groupId}/users`, 7);
    const expected = users.filter((u) => u.group_ids.includes(groupId)).map((u) => u.user_id);
    expect(members.map((m) => m.user_id).sort()).toEqual([...expected].sort());
    expect(members[0]).toEqual({ user_id: members[0]?.user_id, username: members[0]?.username });
  });

  it('returns one group by id (v2), and 404 40401 for an unknown one', async () => {
    const [group] = (await list('/admin/v1/groups')).response;
    const found = await duoGet(sim, cred, `/admin/v2/groups/${String(group?.group_id)}`);
    expect(found.body).toMatchObject({ stat: 'OK', response: { group_id: group?.group_id } });
    const missing = await duoGet(sim, cred, '/admin/v2/groups/DGNOSUCHGROUP0000000');
    expect(missing.body).toMatchObject({ code: 40401 });
    const members = await duoGet(sim, cred, '/admin/v2/groups/DGNOSUCHGROUP0000000/users');
    expect(members.status).toBe(404);
  });
});

describe('administrators and info', () => {
  it('lists administrators and a summary whose user count matches the tenant', async () => {
    const admins = await list('/admin/v1/admins');
    expect(admins.response.length).toBeGreaterThan(0);
    expect(admins.response[0]).toHaveProperty('admin_id');
    const summary = await duoGet(sim, cred, '/admin/v1/info/summary');
    expect(summary.body).toMatchObject({
      stat: 'OK',
      response: { user_count: 1234, admin_count: admins.metadata.total_objects },
    });
  });

  it('serves administrators in Duo’s shape, paged by offset, with the roles and statuses a review needs', async () => {
    const all = (await list('/admin/v1/admins')).response;
    for (const admin of all) {
      expect(AdminSchema.safeParse(admin).success, String(admin['admin_id'])).toBe(true);
      expect(String(admin['admin_id'])).toMatch(/^DE[0-9A-Z]{18}$/);
      for (const field of ['name', 'email', 'role', 'status', 'created', 'admin_units'])
        expect(admin, field).toHaveProperty(field);
      expect(typeof admin['restricted_by_admin_units']).toBe('boolean');
    }
    const roles = all.map((a) => a['role']);
    expect(roles[0]).toBe('Owner');
    for (const role of ['Owner', 'Administrator', 'Help Desk', 'Read-only'])
      expect(roles, role).toContain(role);
    expect(all.filter((a) => a['status'] === 'Disabled')).toHaveLength(1);
    // Two administrators are people who are also Duo users: same name and e-mail.
    const alsoUsers: unknown[] = [];
    for (const admin of all) {
      const found = await list('/admin/v1/users', [['email', String(admin['email'])]]);
      if (found.response.length > 0) alsoUsers.push(admin['admin_id']);
    }
    expect(alsoUsers).toEqual([all[1]?.['admin_id'], all[3]?.['admin_id']]);

    // Pages of two: next_offset while more remain, total_objects always, every admin once.
    const paged: unknown[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page = await list('/admin/v1/admins', [
        ['limit', '2'],
        ['offset', String(offset)],
      ]);
      expect(page.metadata.total_objects).toBe(all.length);
      paged.push(...page.response);
      offset = page.metadata.next_offset;
    }
    expect(paged).toEqual(all);
  });
});
