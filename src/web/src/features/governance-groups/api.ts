/** Governance groups: named sets of identities that may manage the sources attached to them. */
import type { Api } from '../../api/client';
import { listFrom, objectFrom } from '../../api/shapes';
import type { Identity } from '../identities/api';

export interface GovernanceGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly memberCount?: number;
  readonly members?: readonly Identity[];
}

export async function listGovernanceGroups(api: Api): Promise<GovernanceGroup[]> {
  return listFrom<GovernanceGroup>(await api.get('/governance-groups'), 'governanceGroups');
}

export async function getGovernanceGroup(api: Api, id: string): Promise<GovernanceGroup> {
  return objectFrom<GovernanceGroup>(await api.get(`/governance-groups/${id}`), 'governanceGroup');
}

export async function createGovernanceGroup(
  api: Api,
  input: { name: string; description?: string | null },
): Promise<GovernanceGroup> {
  return objectFrom<GovernanceGroup>(
    await api.post('/governance-groups', input),
    'governanceGroup',
  );
}

export async function deleteGovernanceGroup(api: Api, id: string): Promise<void> {
  await api.del(`/governance-groups/${id}`);
}

export async function addGroupMember(api: Api, id: string, identityId: string): Promise<void> {
  await api.post(`/governance-groups/${id}/members`, { identityId });
}

export async function removeGroupMember(api: Api, id: string, identityId: string): Promise<void> {
  await api.del(`/governance-groups/${id}/members/${identityId}`);
}

/** Members of a group detail, wherever the API puts them. */
export function membersOf(group: GovernanceGroup): readonly Identity[] {
  return group.members ?? [];
}
