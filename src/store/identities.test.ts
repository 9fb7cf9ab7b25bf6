import { expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { describeEachDatabase } from '../../test/support/db.js';
import {
  addGovernanceGroupMember,
  createGovernanceGroup,
  getGovernanceGroup,
  listGovernanceGroupMembers,
  listGovernanceGroupsOfIdentity,
  removeGovernanceGroupMember,
} from './governance-groups.js';
import {
  createIdentity,
  findIdentitiesByEmail,
  findIdentity,
  getIdentity,
  searchIdentities,
  updateIdentity,
} from './identities.js';

describeEachDatabase('identities and governance groups', (t) => {
  it('round-trip an identity and update it', async () => {
    const ann = await createIdentity(t.db, {
      displayName: 'Ann Lee',
      email: 'Ann.Lee@Example.com',
      username: 'alee',
    });
    expect(await getIdentity(t.db, ann.id)).toEqual(ann);
    const renamed = await updateIdentity(t.db, ann.id, { displayName: 'Ann Lee-Smith' });
    expect(renamed).toMatchObject({ displayName: 'Ann Lee-Smith', email: 'Ann.Lee@Example.com' });
    expect((await findIdentitiesByEmail(t.db, 'ann.lee@example.com')).map((i) => i.id)).toEqual([
      ann.id,
    ]);
    expect(await findIdentity(t.db, 'nobody')).toBeUndefined();
    await expect(getIdentity(t.db, 'nobody')).rejects.toThrow(NotFoundError);
  });

  it('find owners by two typed letters, case-insensitively, page by page', async () => {
    const tag = `zq${String(Math.floor(Math.random() * 1e6))}`;
    for (const name of ['Bob', 'Bea', 'Ben', 'Carl'])
      await createIdentity(t.db, {
        displayName: `${name} ${tag}`,
        username: `${name.toLowerCase()}_${tag}`,
      });
    const first = await searchIdentities(t.db, { query: `B`, limit: 1000 });
    expect(first.filter((i) => i.displayName.endsWith(tag)).map((i) => i.displayName)).toEqual([
      `Bea ${tag}`,
      `Ben ${tag}`,
      `Bob ${tag}`,
    ]);
    const page1 = await searchIdentities(t.db, { query: tag.toUpperCase(), limit: 2 });
    const page2 = await searchIdentities(t.db, {
      query: tag,
      limit: 2,
      ...(page1[1] ? { after: page1[1] } : {}),
    });
    expect([...page1, ...page2].map((i) => i.displayName.split(' ')[0])).toEqual([
      'Bea',
      'Ben',
      'Bob',
      'Carl',
    ]);
    expect(await searchIdentities(t.db, { query: '%_' })).toEqual([]);
  });

  it('rank owners whose name, a word of it, e-mail or username starts with the text first', async () => {
    const tag = `qx${String(Math.floor(Math.random() * 1e6))}`;
    const make = (displayName: string, extra: { email?: string; username?: string } = {}) =>
      createIdentity(t.db, { displayName: `${displayName} ${tag}`, ...extra });
    await make('Joanna Wu');
    await make('Ana Silva');
    await make('Brian Ng');
    await make('Carla Anders');
    await make('Zoe Kay', { email: `an.${tag}@example.com` });
    await make('Dean Rowe', { username: `dean_${tag}` });
    await make('Andrew Sa');
    const mine = (list: readonly { displayName: string }[]) =>
      list
        .filter((i) => i.displayName.endsWith(tag))
        .map((i) => i.displayName.replace(` ${tag}`, ''));
    const expected = [
      'Ana Silva',
      'Andrew Sa',
      'Carla Anders',
      'Zoe Kay',
      'Brian Ng',
      'Dean Rowe',
      'Joanna Wu',
    ];
    expect(mine(await searchIdentities(t.db, { query: 'AN', limit: 1000 }))).toEqual(expected);

    // Keyset pages of two, within the tag, go on across the two ranks without a gap or a repeat.
    const pages: string[] = [];
    let after: Awaited<ReturnType<typeof searchIdentities>>[number] | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await searchIdentities(t.db, {
        query: `an`,
        limit: 2,
        ...(after ? { after } : {}),
      });
      if (page.length === 0) break;
      pages.push(...mine(page));
      after = page[page.length - 1];
      if (page.length < 2) break;
    }
    expect(pages.filter((name) => expected.includes(name))).toEqual(expected);
  });

  it('keep governance group members and refuse a duplicate name', async () => {
    const name = `Access reviewers ${String(Math.random())}`;
    const group = await createGovernanceGroup(t.db, { name, description: 'Review Duo access' });
    await expect(createGovernanceGroup(t.db, { name })).rejects.toThrow(ConflictError);
    expect(await getGovernanceGroup(t.db, group.id)).toEqual(group);
    const a = await createIdentity(t.db, { displayName: 'A member' });
    const b = await createIdentity(t.db, { displayName: 'B member' });
    await addGovernanceGroupMember(t.db, group.id, a.id);
    await addGovernanceGroupMember(t.db, group.id, a.id);
    await addGovernanceGroupMember(t.db, group.id, b.id);
    expect((await listGovernanceGroupMembers(t.db, group.id)).map((i) => i.id)).toEqual([
      a.id,
      b.id,
    ]);
    await removeGovernanceGroupMember(t.db, group.id, a.id);
    expect(await listGovernanceGroupsOfIdentity(t.db, a.id)).toEqual([]);
    expect((await listGovernanceGroupsOfIdentity(t.db, b.id)).map((g) => g.id)).toEqual([group.id]);
  });
});
