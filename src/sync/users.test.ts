import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import type { User } from '../domain/users.js';
import type { Db } from '../store/dialect.js';
import { countAdmins, createUser, findUser, listUsers } from '../store/users.js';
import { removeUser, updateUserFromInput } from './users.js';

const newAdmin = (db: Db): Promise<User> =>
  createUser(db, {
    username: `admin-${randomBytes(4).toString('hex')}`,
    passwordHash: 'not-a-hash',
    role: 'admin',
  });

describeEachDatabase('the last admin rule', (t) => {
  // PostgreSQL: a second pool, as a second server process would have. SQLite: one process has
  // one connection (two in one thread would wait for each other's lock synchronously), whose
  // transactions the driver serialises; other processes are serialised by the file lock.
  const secondConnection = (): Db => (t.kind === 'postgres' ? t.connect() : t.db);

  it('two admins demoting each other at the same moment: exactly one succeeds, one admin remains', async () => {
    const other = secondConnection();
    let survivor = await newAdmin(t.db);
    expect(await countAdmins(t.db)).toBe(1);
    for (let round = 0; round < 4; round++) {
      const newcomer = await newAdmin(t.db);
      const outcomes = await Promise.allSettled([
        updateUserFromInput(t.db, newcomer.id, { role: 'viewer' }),
        updateUserFromInput(other, survivor.id, { role: 'viewer' }),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = outcomes.find((o) => o.status === 'rejected');
      expect(String(refused?.reason)).toMatch(/the last admin cannot be demoted/);
      expect(await countAdmins(t.db)).toBe(1);
      survivor = outcomes[0].status === 'fulfilled' ? survivor : newcomer;
      expect((await findUser(t.db, survivor.id))?.role).toBe('admin');
    }
  });

  it('two admins deleting each other at the same moment: exactly one succeeds, one admin remains', async () => {
    const other = secondConnection();
    let survivor = await theOnlyAdmin(t.db);
    for (let round = 0; round < 4; round++) {
      const newcomer = await newAdmin(t.db);
      const outcomes = await Promise.allSettled([
        removeUser(t.db, newcomer.id, survivor.id),
        removeUser(other, survivor.id, newcomer.id),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = outcomes.find((o) => o.status === 'rejected');
      expect(String(refused?.reason)).toMatch(/the last admin cannot be deleted/);
      expect(await countAdmins(t.db)).toBe(1);
      survivor = outcomes[0].status === 'fulfilled' ? survivor : newcomer;
      expect(await findUser(t.db, survivor.id)).toBeDefined();
    }
  });

  it('refuses an admin deleting itself, and disabling the last admin', async () => {
    const lone = await theOnlyAdmin(t.db);
    await expect(removeUser(t.db, lone.id, lone.id)).rejects.toThrow(/cannot delete yourself/);
    await expect(updateUserFromInput(t.db, lone.id, { disabled: true })).rejects.toThrow(
      /the last admin cannot be demoted or disabled/,
    );
    expect(await countAdmins(t.db)).toBe(1);
  });
});

async function theOnlyAdmin(db: Db): Promise<User> {
  const admins = (await listUsers(db)).filter((u) => u.role === 'admin' && !u.disabled);
  expect(admins).toHaveLength(1);
  const [admin] = admins;
  if (!admin) throw new Error('no admin');
  return admin;
}
