/**
 * The Duo client's writes against the simulator, over real HTTP: signed POST and DELETE (v5 and
 * v2) accepted, the change visible in later reads, the write permission probed without changing
 * anything, and a write sent again only when Duo did not apply it (429, 5xx), never after a 2xx.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDuoClient } from '../src/duo/client.js';
import type { DuoClient, DuoClientConfig } from '../src/duo/client.js';
import { DuoError } from '../src/duo/errors.js';
import type { DuoUser } from '../src/duo/wire.js';
import { startSimulator } from '../src/sim/server.js';
import type { RequestLogEntry, Simulator } from '../src/sim/server.js';
import { control } from '../src/sim/testing.js';

const WRITER = { ikey: 'DIWRITERTEST00000001', skey: 'writerTestSecretKey00000000000000000001' };
const READER = { ikey: 'DIREADERTEST00000001', skey: 'readerTestSecretKey00000000000000000001' };

const FAST: Pick<DuoClientConfig, 'rateLimits' | 'backoff'> = {
  rateLimits: 'off',
  backoff: {
    rateLimit: { initialMs: 10, maxDelayMs: 50, maxTotalWaitMs: 2_000 },
    transient: { retries: 2, initialMs: 10, maxDelayMs: 20 },
  },
};

let sim: Simulator;
const clients: DuoClient[] = [];

beforeAll(async () => {
  sim = await startSimulator({
    credentials: [WRITER, { ...READER, permissions: ['read_resource', 'read_log'] }],
    seed: 'duo-writes-test',
    users: 200,
    days: 1,
    authEventsPerDay: 100,
  });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control(sim, 'DELETE', '/_sim/faults');
  await control(sim, 'DELETE', '/_sim/requests');
});
afterEach(async () => {
  for (const duo of clients.splice(0)) await duo.close();
});

function client(
  credential: { ikey: string; skey: string } = WRITER,
  config: Partial<DuoClientConfig> = {},
): DuoClient {
  const duo = createDuoClient({ apiHost: sim.url, ...credential, ...FAST, ...config });
  clients.push(duo);
  return duo;
}

let picked = 0;
/** A different active user in at least two groups for each test. */
async function freshUser(duo: DuoClient): Promise<DuoUser> {
  for await (const page of duo.users()) {
    const candidates = page.records.filter(
      (u) => u.status === 'active' && (u.groups ?? []).length >= 2,
    );
    const user = candidates[picked++];
    if (user) return user;
  }
  throw new Error('no active user in two groups left');
}

async function requests(method: string, path: string): Promise<RequestLogEntry[]> {
  const { requests: all } = await control<{ requests: RequestLogEntry[] }>(
    sim,
    'GET',
    '/_sim/requests',
  );
  return all.filter((r) => r.method === method && r.path === path);
}

async function failureOf(promise: Promise<unknown>): Promise<DuoError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DuoError)) throw new Error(`expected a DuoError, got ${String(error)}`);
  return error;
}

describe.each([5, 2] as const)('signature v%i', (signatureVersion) => {
  it('sets a user status and answers the user as Duo has it now', async () => {
    const duo = client(WRITER, { signatureVersion });
    const user = await freshUser(duo);
    const disabled = await duo.setUserStatus(user.user_id, 'disabled');
    expect(disabled.user_id).toBe(user.user_id);
    expect(disabled.status).toBe('disabled');
    expect((await duo.user(user.user_id)).status).toBe('disabled');
    expect((await duo.setUserStatus(user.user_id, 'active')).status).toBe('active');
    const sent = await requests('POST', `/admin/v1/users/${user.user_id}`);
    expect(sent.map((r) => [r.status, r.params])).toEqual([
      [200, [['status', 'disabled']]],
      [200, [['status', 'active']]],
    ]);
  });

  it('takes a user out of a group, and the user and the group members both show it', async () => {
    const duo = client(WRITER, { signatureVersion });
    const user = await freshUser(duo);
    const groupId = user.groups?.[0]?.group_id ?? '';
    await duo.removeUserFromGroup(user.user_id, groupId);
    const after = await duo.user(user.user_id);
    expect(after.groups?.map((g) => g.group_id)).not.toContain(groupId);
    const memberIds: string[] = [];
    for await (const page of duo.groupMembers(groupId)) {
      memberIds.push(...page.records.map((m) => m.user_id));
    }
    expect(memberIds).not.toContain(user.user_id);
    // Again: Duo answers OK for a user no longer in the group.
    await duo.removeUserFromGroup(user.user_id, groupId);
    expect(
      await requests('DELETE', `/admin/v1/users/${user.user_id}/groups/${groupId}`),
    ).toHaveLength(2);
  });
});

describe('refusals', () => {
  it('names "Grant write resource" when the credential lacks it, and changes nothing', async () => {
    const reader = client(READER);
    const user = await freshUser(client());
    const error = await failureOf(reader.setUserStatus(user.user_id, 'disabled'));
    expect(error.kind).toBe('permission_missing');
    expect(error.permission).toBe('Grant write resource');
    expect(error.fix).toContain('tick "Grant write resource"');
    const groupError = await failureOf(
      reader.removeUserFromGroup(user.user_id, user.groups?.[0]?.group_id ?? ''),
    );
    expect(groupError.permission).toBe('Grant write resource');
    expect((await reader.user(user.user_id)).status).toBe('active');
  });

  it('says a group that does not exist is a refused change, and an unknown user is not found', async () => {
    const duo = client();
    const user = await freshUser(duo);
    const badGroup = await failureOf(
      duo.removeUserFromGroup(user.user_id, 'DG0000000000000000000'),
    );
    expect(badGroup.kind).toBe('bad_request');
    expect(badGroup.message).toContain('group_id');
    expect(badGroup.message).toMatch(/refused the change/);
    const noUser = await failureOf(duo.setUserStatus('DU0000000000000000000', 'disabled'));
    expect(noUser.kind).toBe('not_found');
  });
});

describe('checkWritePermission', () => {
  it('says granted for a credential with "Grant write resource", not granted without, changing nothing', async () => {
    const granted = await client().checkWritePermission();
    expect(granted).toMatchObject({ ok: true, granted: true });
    const refused = await client(READER).checkWritePermission();
    expect(refused).toMatchObject({ ok: true, granted: false });
    if (refused.ok) expect(refused.message).toContain('"Grant write resource"');
    const probes = await requests('POST', '/admin/v1/users/DU0000000000000000000');
    expect(probes.map((r) => r.status)).toEqual([404, 403]);
  });

  it('reports a credential Duo does not know as the error, not as a verdict on writing', async () => {
    const verdict = await client({
      ikey: 'DIUNKNOWN00000000001',
      skey: 'x'.repeat(40),
    }).checkWritePermission();
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.error.kind).toBe('invalid_integration_key');
  });
});

describe('a write is sent again only when Duo did not apply it', () => {
  it('after a 429: once more, after the 429, and applied once', async () => {
    const duo = client();
    const user = await freshUser(duo);
    const path = `/admin/v1/users/${user.user_id}`;
    await control(sim, 'POST', '/_sim/faults', { kind: 'rate_limit', path, count: 1 });
    expect((await duo.setUserStatus(user.user_id, 'disabled')).status).toBe('disabled');
    const sent = await requests('POST', path);
    expect(sent.map((r) => r.status)).toEqual([429, 200]);
  });

  it('after a 500: once more', async () => {
    const duo = client();
    const user = await freshUser(duo);
    const groupId = user.groups?.[1]?.group_id ?? '';
    const path = `/admin/v1/users/${user.user_id}/groups/${groupId}`;
    await control(sim, 'POST', '/_sim/faults', { kind: '5xx', status: 500, path, count: 1 });
    await duo.removeUserFromGroup(user.user_id, groupId);
    expect((await requests('DELETE', path)).map((r) => r.status)).toEqual([500, 200]);
    expect((await duo.user(user.user_id)).groups?.map((g) => g.group_id)).not.toContain(groupId);
  });

  it('never after a 2xx whose answer was cut: it says Duo may have applied it, and Duo did', async () => {
    const duo = client();
    const user = await freshUser(duo);
    const path = `/admin/v1/users/${user.user_id}`;
    await control(sim, 'POST', '/_sim/faults', { kind: 'truncate', path, count: 1 });
    const error = await failureOf(duo.setUserStatus(user.user_id, 'disabled'));
    expect(error.kind).toBe('uncertain_outcome');
    expect(error.message).toMatch(/may have applied/);
    expect(error.fix).toMatch(/Verify/);
    expect(await requests('POST', path)).toHaveLength(1);
    expect((await duo.user(user.user_id)).status).toBe('disabled');
  });

  it('never after the connection dropped once the request was sent', async () => {
    const duo = client();
    const user = await freshUser(duo);
    const groupId = user.groups?.[0]?.group_id ?? '';
    const path = `/admin/v1/users/${user.user_id}/groups/${groupId}`;
    await control(sim, 'POST', '/_sim/faults', { kind: 'reset', path, count: 1 });
    const error = await failureOf(duo.removeUserFromGroup(user.user_id, groupId));
    expect(error.kind).toBe('uncertain_outcome');
    expect(await requests('DELETE', path)).toHaveLength(1);
  });

  it('while a read in the same situation is retried', async () => {
    const duo = client();
    const user = await freshUser(duo);
    const path = `/admin/v1/users/${user.user_id}`;
    await control(sim, 'POST', '/_sim/faults', { kind: 'truncate', path, count: 1 });
    expect((await duo.user(user.user_id)).user_id).toBe(user.user_id);
    expect(await requests('GET', path)).toHaveLength(2);
  });
});
