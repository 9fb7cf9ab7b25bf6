import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DuoGroup, DuoUser } from '../duo/wire.js';
import { startSimulator, type Simulator } from './server.js';
import { control, duoGet, duoWrite } from './testing.js';

const writer = { ikey: 'DIWRITES000000000001', skey: 'w'.repeat(40) };
const reader = { ikey: 'DIWRITES000000000002', skey: 'r'.repeat(40) };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({
    credentials: [writer, { ...reader, permissions: ['read_resource', 'read_log'] }],
    seed: 'writes-test',
    users: 300,
    days: 1,
    authEventsPerDay: 100,
  });
});
afterAll(() => sim.close());
beforeEach(() => control(sim, 'DELETE', '/_sim/requests'));

/** A user who is in at least two groups, and is active, found by reading the tenant. */
async function userInTwoGroups(skip = 0): Promise<DuoUser> {
  const page = await duoGet(sim, writer, '/admin/v1/users', [['limit', '300']]);
  const users = (page.body as { response: DuoUser[] }).response;
  const found = users.filter((u) => (u.groups ?? []).length >= 2 && u.status === 'active')[skip];
  if (!found) throw new Error('the tenant has no active user in two groups');
  return found;
}

async function getUser(id: string): Promise<DuoUser> {
  const response = await duoGet(sim, writer, `/admin/v1/users/${id}`);
  expect(response.status).toBe(200);
  return (response.body as { response: DuoUser }).response;
}

async function members(groupId: string): Promise<{ ids: string[]; total: number }> {
  const response = await duoGet(sim, writer, `/admin/v2/groups/${groupId}/users`, [
    ['limit', '500'],
  ]);
  const body = response.body as {
    response: { user_id: string }[];
    metadata: { total_objects: number };
  };
  return { ids: body.response.map((m) => m.user_id), total: body.metadata.total_objects };
}

describe('DELETE /admin/v1/users/{user_id}/groups/{group_id}', () => {
  it('takes the user out of the group in every later read: the user, its groups, the group members', async () => {
    const user = await userInTwoGroups();
    const group = user.groups?.[0] as DuoGroup;
    const before = await members(group.group_id);
    expect(before.ids).toContain(user.user_id);

    const response = await duoWrite(
      sim,
      writer,
      'DELETE',
      `/admin/v1/users/${user.user_id}/groups/${group.group_id}`,
    );
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({ stat: 'OK', response: '' });

    const after = await getUser(user.user_id);
    expect(after.groups?.map((g) => g.group_id)).not.toContain(group.group_id);
    expect(after.groups).toHaveLength((user.groups ?? []).length - 1);
    const listed = await duoGet(sim, writer, `/admin/v1/users/${user.user_id}/groups`);
    const listedIds = (listed.body as { response: DuoGroup[] }).response.map((g) => g.group_id);
    expect(listedIds).not.toContain(group.group_id);
    const page = await duoGet(sim, writer, '/admin/v1/users', [['limit', '300']]);
    const inPage = (page.body as { response: DuoUser[] }).response.find(
      (u) => u.user_id === user.user_id,
    );
    expect(inPage?.groups?.map((g) => g.group_id)).toEqual(after.groups?.map((g) => g.group_id));
    const afterMembers = await members(group.group_id);
    expect(afterMembers.ids).not.toContain(user.user_id);
    expect(afterMembers.total).toBe(before.total - 1);
  });

  it('answers OK when the user is not in the group (again), and changes nothing', async () => {
    const user = await userInTwoGroups(1);
    const group = user.groups?.[0] as DuoGroup;
    const path = `/admin/v1/users/${user.user_id}/groups/${group.group_id}`;
    expect((await duoWrite(sim, writer, 'DELETE', path)).status).toBe(200);
    const once = await members(group.group_id);
    const again = await duoWrite(sim, writer, 'DELETE', path, [], { scheme: 'v2-sha512' });
    expect(again.status, again.text).toBe(200);
    expect(await members(group.group_id)).toEqual(once);
  });

  it('answers 404 for an unknown user and 400 naming group_id for a group that does not exist', async () => {
    const user = await userInTwoGroups();
    const group = user.groups?.[1] as DuoGroup;
    const unknownUser = await duoWrite(
      sim,
      writer,
      'DELETE',
      `/admin/v1/users/DU0000000000000000000/groups/${group.group_id}`,
    );
    expect(unknownUser.status).toBe(404);
    expect(unknownUser.body).toMatchObject({ stat: 'FAIL', code: 40401 });
    const unknownGroup = await duoWrite(
      sim,
      writer,
      'DELETE',
      `/admin/v1/users/${user.user_id}/groups/DG0000000000000000000`,
    );
    expect(unknownGroup.status).toBe(400);
    expect(unknownGroup.body).toMatchObject({
      stat: 'FAIL',
      code: 40002,
      message_detail: 'group_id',
    });
    expect((await getUser(user.user_id)).groups).toEqual(user.groups);
  });

  it('answers 403 40301 without "Grant write resource", before looking the user up', async () => {
    const user = await userInTwoGroups();
    const group = user.groups?.[1] as DuoGroup;
    for (const path of [
      `/admin/v1/users/${user.user_id}/groups/${group.group_id}`,
      `/admin/v1/users/DU0000000000000000000/groups/${group.group_id}`,
    ]) {
      const response = await duoWrite(sim, reader, 'DELETE', path);
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ stat: 'FAIL', code: 40301 });
    }
    expect((await getUser(user.user_id)).groups).toEqual(user.groups);
  });

  it('refuses a request whose signature does not match', async () => {
    const user = await userInTwoGroups();
    const group = user.groups?.[1] as DuoGroup;
    const response = await duoWrite(
      sim,
      writer,
      'DELETE',
      `/admin/v1/users/${user.user_id}/groups/${group.group_id}`,
      [],
      { skey: 'x'.repeat(40) },
    );
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 40103 });
    expect((await getUser(user.user_id)).groups).toEqual(user.groups);
  });
});

describe('POST /admin/v1/users/{user_id}', () => {
  it('sets the status (JSON body, v5) and answers the user after the change, as later reads see it', async () => {
    const user = await userInTwoGroups(2);
    const path = `/admin/v1/users/${user.user_id}`;
    const response = await duoWrite(sim, writer, 'POST', path, [['status', 'disabled']]);
    expect(response.status, response.text).toBe(200);
    const answered = (response.body as { response: DuoUser }).response;
    expect(answered.status).toBe('disabled');
    expect(await getUser(user.user_id)).toEqual(answered);

    const back = await duoWrite(sim, writer, 'POST', path, [['status', 'active']], {
      scheme: 'v2-sha512',
    });
    expect(back.status, back.text).toBe(200);
    expect((await getUser(user.user_id)).status).toBe('active');

    const posts = (
      await control<{ requests: { method: string; path: string; params: string[][] }[] }>(
        sim,
        'GET',
        '/_sim/requests',
      )
    ).requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.params)).toEqual([[['status', 'disabled']], [['status', 'active']]]);
  });

  it('unlocks a locked-out user when set to active', async () => {
    const user = await userInTwoGroups(3);
    await control(sim, 'POST', `/_sim/users/${user.user_id}/status`, {
      status: 'locked out',
      lockout_reason: 'Failed Attempts',
    });
    expect((await getUser(user.user_id)).status).toBe('locked out');
    const response = await duoWrite(sim, writer, 'POST', `/admin/v1/users/${user.user_id}`, [
      ['status', 'active'],
    ]);
    expect(response.status).toBe(200);
    const after = await getUser(user.user_id);
    expect(after.status).toBe('active');
    expect(after.lockout_reason).toBeNull();
  });

  it('refuses a status Duo does not let one set, naming status', async () => {
    const user = await userInTwoGroups(4);
    for (const status of ['locked out', 'pending deletion', 'enabled']) {
      const response = await duoWrite(sim, writer, 'POST', `/admin/v1/users/${user.user_id}`, [
        ['status', status],
      ]);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 40002, message_detail: 'status' });
    }
    expect((await getUser(user.user_id)).status).toBe('active');
  });

  it('answers 404 for no such user with the permission, 403 40301 without it', async () => {
    const path = '/admin/v1/users/DU0000000000000000000';
    const granted = await duoWrite(sim, writer, 'POST', path, [['status', 'active']]);
    expect(granted.status).toBe(404);
    expect(granted.body).toMatchObject({ code: 40401 });
    const refused = await duoWrite(sim, reader, 'POST', path, [['status', 'active']]);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 40301 });
  });

  it('follows a permission taken away at run time through the control API', async () => {
    const user = await userInTwoGroups(5);
    await control(sim, 'POST', '/_sim/credentials', {
      ikey: writer.ikey,
      permissions: ['read_resource'],
    });
    try {
      const response = await duoWrite(sim, writer, 'POST', `/admin/v1/users/${user.user_id}`, [
        ['status', 'disabled'],
      ]);
      expect(response.status).toBe(403);
      expect((await getUser(user.user_id)).status).toBe('active');
    } finally {
      await control(sim, 'POST', '/_sim/credentials', {
        ikey: writer.ikey,
        permissions: ['read_resource', 'read_log', 'read_info', 'admins', 'write_resource'],
      });
    }
  });

  it('answers an injected 500 without applying the change', async () => {
    const user = await userInTwoGroups(6);
    const path = `/admin/v1/users/${user.user_id}`;
    await control(sim, 'POST', '/_sim/faults', { kind: '5xx', status: 500, path, count: 1 });
    const failed = await duoWrite(sim, writer, 'POST', path, [['status', 'disabled']]);
    expect(failed.status).toBe(500);
    expect((await getUser(user.user_id)).status).toBe('active');
  });
});
