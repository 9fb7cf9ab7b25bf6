import { userInfo } from 'node:os';
import { beforeAll, expect, it } from 'vitest';
import { ForbiddenError } from '../domain/errors.js';
import type { Identity } from '../domain/identities.js';
import type { Source } from '../domain/sources.js';
import { ms } from '../domain/time.js';
import type { User } from '../domain/users.js';
import { listAudit } from '../store/audit.js';
import { addGovernanceGroupMember, createGovernanceGroup } from '../store/governance-groups.js';
import { createIdentity } from '../store/identities.js';
import { recordConnectionTest } from '../store/sources.js';
import { createUser } from '../store/users.js';
import { SourceNotReadyError } from '../sync/context.js';
import { Runner } from '../sync/runner.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { syncContext } from '../../test/support/sync.js';
import { cliActor, SCHEDULER, type Actor } from './actor.js';
import {
  createSource,
  deleteSource,
  mayManageSource,
  showSource,
  startSourceRun,
  updateSource,
  type SourceDeps,
} from './sources.js';

describeEachDatabase('source use cases', (t) => {
  let deps: SourceDeps;
  let owner: Identity;
  let member: Identity;
  let stranger: Identity;
  let groupId: string;
  const now = Date.UTC(2026, 11, 1, 12);

  async function userActor(role: User['role'], identityId: string | null): Promise<Actor> {
    const user = await createUser(t.db, {
      username: `${role}-${Math.random().toString(36).slice(2, 8)}`,
      passwordHash: 'x',
      role,
      identityId,
    });
    return { kind: 'user', user, via: 'token', ip: '192.0.2.7' };
  }

  beforeAll(async () => {
    const sync = syncContext(t.db, { clock: () => now });
    deps = { db: t.db, sync, runs: new Runner(sync), allowLoopbackHosts: true };
    owner = await createIdentity(t.db, { displayName: 'Owner', email: 'owner@example.com' });
    member = await createIdentity(t.db, { displayName: 'Member', email: 'member@example.com' });
    stranger = await createIdentity(t.db, { displayName: 'Other', email: 'other@example.com' });
    groupId = (await createGovernanceGroup(t.db, { name: `IAM ${t.kind}` })).id;
    await addGovernanceGroupMember(t.db, groupId, member.id);
  });

  async function newSource(actor: Actor, name: string): Promise<Source> {
    return createSource(deps, actor, {
      type: 'duo',
      name,
      ownerIdentityId: owner.id,
      governanceGroupId: groupId,
    });
  }

  it('lets a source manager manage the sources it owns or whose governance group it is in, and no other', async () => {
    const source = await newSource(cliActor('alice'), 'Duo managed');
    const ownerActor = await userActor('source_manager', owner.id);
    const memberActor = await userActor('source_manager', member.id);
    const strangerActor = await userActor('source_manager', stranger.id);
    const viewer = await userActor('viewer', owner.id);
    expect(await mayManageSource(t.db, ownerActor, source)).toBe(true);
    expect(await mayManageSource(t.db, memberActor, source)).toBe(true);
    expect(await mayManageSource(t.db, strangerActor, source)).toBe(false);
    expect(await mayManageSource(t.db, viewer, source)).toBe(false);
    expect(await mayManageSource(t.db, SCHEDULER, source)).toBe(true);
    await expect(
      updateSource(deps, strangerActor, { sourceId: source.id, changes: { description: 'x' } }),
    ).rejects.toThrow(/you manage only sources you own .*"Duo managed" is not one of them/);
    await expect(
      updateSource(deps, viewer, { sourceId: source.id, changes: { description: 'x' } }),
    ).rejects.toThrow(/needs the role admin or source_manager; you are viewer/);
    await expect(
      createSource(deps, strangerActor, {
        type: 'duo',
        name: 'Not mine',
        ownerIdentityId: owner.id,
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const changed = await updateSource(deps, memberActor, {
      sourceId: source.id,
      changes: { description: 'kept by IAM' },
    });
    expect(changed.description).toBe('kept by IAM');
  });

  it('refuses to run a source that has not passed Test Connection, for every actor', async () => {
    const source = await newSource(cliActor('alice'), 'Duo untested');
    for (const actor of [cliActor('alice'), SCHEDULER, await userActor('admin', null)])
      await expect(
        startSourceRun(deps, actor, { sourceId: source.id, kind: 'aggregation' }),
      ).rejects.toThrow(
        new SourceNotReadyError(
          'source "Duo untested" is unconfigured: it must pass Test Connection before it runs',
        ),
      );
    await expect(
      startSourceRun(deps, SCHEDULER, { sourceId: source.id, kind: 'sync' }),
    ).rejects.toThrow(/is a Duo source: aggregate it instead/);
  });

  it('shows when a tested source runs next: at once on its first run, never without a schedule', async () => {
    const source = await newSource(cliActor('alice'), 'Duo scheduled');
    expect((await showSource(deps, source.id)).nextRunAt).toBeNull();
    await updateSource(deps, SCHEDULER, {
      sourceId: source.id,
      changes: { settings: { aggregationIntervalHours: 6 } },
    });
    await recordConnectionTest(t.db, source.id, { ok: true, at: ms(now), message: 'ok' });
    expect((await showSource(deps, source.id)).nextRunAt).toBe(now);
  });

  it('records each action under its actor: the API token user with the address, cli:<user>', async () => {
    const admin = await userActor('admin', null);
    const source = await newSource(admin, 'Duo audited');
    await deleteSource(deps, cliActor(userInfo().username), {
      sourceId: source.id,
      confirm: 'Duo audited',
    });
    const entries = (await listAudit(t.db)).filter((e) => e.targetId === source.id);
    const admins = admin.kind === 'user' ? admin.user.username : '';
    expect(entries.map((e) => [e.action, e.actor, e.ip])).toEqual([
      ['source.delete', `cli:${userInfo().username}`, null],
      ['source.create', `${admins} (API token)`, '192.0.2.7'],
    ]);
  });
});
