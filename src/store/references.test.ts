import { expect, it } from 'vitest';
import { MissingReferenceError } from '../domain/errors.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { findAccountByDuoUserId, setAccountIdentity, upsertAccounts } from './accounts.js';
import { addGovernanceGroupMember, createGovernanceGroup } from './governance-groups.js';
import { createIdentity } from './identities.js';
import { createSource, getSource, updateSource } from './sources.js';
import { createUser, updateUser } from './users.js';

/** The error a write raised, for its fields. */
async function refusal(write: Promise<unknown>): Promise<MissingReferenceError> {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MissingReferenceError);
  return error as MissingReferenceError;
}

describeEachDatabase('writes that refer to other rows', (t) => {
  it('refuse an owner or governance group that does not exist, naming each field, and write nothing', async () => {
    const owner = await createIdentity(t.db, { displayName: 'Olga Owner' });
    const source = await createSource(t.db, {
      type: 'duo',
      name: `Duo ${String(Math.random())}`,
      ownerIdentityId: owner.id,
    });
    const both = await refusal(
      updateSource(t.db, source.id, {
        name: 'renamed',
        ownerIdentityId: 'no-such-identity',
        governanceGroupId: 'no-such-group',
      }),
    );
    expect(both.problems).toEqual([
      { field: 'ownerIdentityId', message: 'no identity has the id "no-such-identity"' },
      { field: 'governanceGroupId', message: 'no governance group has the id "no-such-group"' },
    ]);
    expect((await getSource(t.db, source.id)).name).toBe(source.name);
    const created = await refusal(
      createSource(t.db, { type: 'duo', name: 'never', ownerIdentityId: 'nobody\u0000' }),
    );
    expect(created.problems.map((p) => p.field)).toEqual(['ownerIdentityId']);
  });

  it('refuse a user, a member or an account link naming an identity that does not exist', async () => {
    const group = await createGovernanceGroup(t.db, { name: `G ${String(Math.random())}` });
    const identity = await createIdentity(t.db, { displayName: 'Ida' });
    const source = await createSource(t.db, {
      type: 'duo',
      name: `Duo ${String(Math.random())}`,
      ownerIdentityId: identity.id,
    });
    await upsertAccounts(t.db, {
      sourceId: source.id,
      runId: 'r1',
      accounts: [{ duoUserId: 'DU1', username: 'ida', status: 'active' }],
    });
    const user = await createUser(t.db, {
      username: `u${String(Math.random()).slice(2)}`,
      passwordHash: 'x',
      role: 'viewer',
    });
    const writes = [
      () =>
        createUser(t.db, { username: 'v', passwordHash: 'x', role: 'viewer', identityId: 'gone' }),
      () => updateUser(t.db, user.id, { identityId: 'gone' }),
      () => addGovernanceGroupMember(t.db, group.id, 'gone'),
    ];
    for (const write of writes)
      expect((await refusal(write())).problems).toEqual([
        { field: 'identityId', message: 'no identity has the id "gone"' },
      ]);
    const account = await findAccountByDuoUserId(t.db, source.id, 'DU1');
    if (!account) throw new Error('the account was not stored');
    expect(
      (
        await refusal(
          setAccountIdentity(t.db, account.id, { identityId: 'gone', correlation: 'manual' }),
        )
      ).problems,
    ).toEqual([{ field: 'identityId', message: 'no identity has the id "gone"' }]);
  });
});
