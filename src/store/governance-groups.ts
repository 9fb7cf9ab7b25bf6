/**
 * Governance groups and their members.
 *
 * @example await addGovernanceGroupMember(db, group.id, identity.id);
 */
import type { Selectable } from 'kysely';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import type { GovernanceGroup, NewGovernanceGroup } from '../domain/governance-groups.js';
import type { Identity } from '../domain/identities.js';
import { nowMs } from '../domain/time.js';
import { epochMs, newId } from './columns.js';
import type { Db } from './dialect.js';
import { assertReferencesExist } from './references.js';
import { toIdentity } from './identities.js';
import type { GovernanceGroupsTable } from './schema.js';

export function toGovernanceGroup(row: Selectable<GovernanceGroupsTable>): GovernanceGroup {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    createdAt: epochMs(row.created_at),
  };
}

/** Throws `ConflictError` when the name is taken. */
export async function createGovernanceGroup(
  db: Db,
  input: NewGovernanceGroup,
): Promise<GovernanceGroup> {
  const taken = await db
    .selectFrom('governance_groups')
    .select('id')
    .where('name', '=', input.name)
    .executeTakeFirst();
  if (taken) throw new ConflictError(`a governance group named "${input.name}" exists`);
  const row = await db
    .insertInto('governance_groups')
    .values({
      id: newId(),
      name: input.name,
      description: input.description ?? null,
      created_at: nowMs(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toGovernanceGroup(row);
}

export async function findGovernanceGroup(
  db: Db,
  id: string,
): Promise<GovernanceGroup | undefined> {
  const row = await db
    .selectFrom('governance_groups')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row && toGovernanceGroup(row);
}

export async function getGovernanceGroup(db: Db, id: string): Promise<GovernanceGroup> {
  const group = await findGovernanceGroup(db, id);
  if (!group) throw new NotFoundError('governance group', id);
  return group;
}

export async function listGovernanceGroups(db: Db): Promise<GovernanceGroup[]> {
  const rows = await db.selectFrom('governance_groups').selectAll().orderBy('name').execute();
  return rows.map(toGovernanceGroup);
}

export async function deleteGovernanceGroup(db: Db, id: string): Promise<void> {
  const result = await db.deleteFrom('governance_groups').where('id', '=', id).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new NotFoundError('governance group', id);
}

/**
 * Adds an identity to a group; adding a member twice is harmless. Throws
 * `MissingReferenceError` (`identityId`) when the identity does not exist.
 */
export async function addGovernanceGroupMember(
  db: Db,
  groupId: string,
  identityId: string,
): Promise<void> {
  await assertReferencesExist(db, [{ field: 'identityId', table: 'identities', id: identityId }]);
  await db
    .insertInto('governance_group_members')
    .values({ governance_group_id: groupId, identity_id: identityId })
    .onConflict((oc) => oc.columns(['governance_group_id', 'identity_id']).doNothing())
    .execute();
}

export async function removeGovernanceGroupMember(
  db: Db,
  groupId: string,
  identityId: string,
): Promise<void> {
  await db
    .deleteFrom('governance_group_members')
    .where('governance_group_id', '=', groupId)
    .where('identity_id', '=', identityId)
    .execute();
}

export async function listGovernanceGroupMembers(db: Db, groupId: string): Promise<Identity[]> {
  const rows = await db
    .selectFrom('governance_group_members as m')
    .innerJoin('identities as i', 'i.id', 'm.identity_id')
    .selectAll('i')
    .where('m.governance_group_id', '=', groupId)
    .orderBy('i.display_name')
    .execute();
  return rows.map(toIdentity);
}

/** The groups an identity belongs to (what it may manage through them). */
export async function listGovernanceGroupsOfIdentity(
  db: Db,
  identityId: string,
): Promise<GovernanceGroup[]> {
  const rows = await db
    .selectFrom('governance_group_members as m')
    .innerJoin('governance_groups as g', 'g.id', 'm.governance_group_id')
    .selectAll('g')
    .where('m.identity_id', '=', identityId)
    .orderBy('g.name')
    .execute();
  return rows.map(toGovernanceGroup);
}
