/**
 * Governance groups: named sets of identities that may manage the sources attached to them.
 *
 * @example const group = await getGovernanceGroup(api, id); group.members
 */
import type { Api } from '../../api/client';
import type {
  GovernanceGroup,
  GovernanceGroupDetail,
  GovernanceGroupList,
} from '../../../../api/contract/index.js';

export type { GovernanceGroup, GovernanceGroupDetail } from '../../../../api/contract/index.js';

/** The server's CSV of every governance group. */
export function governanceGroupsCsvUrl(api: Api): string {
  return api.url('/governance-groups', { format: 'csv' });
}

export async function listGovernanceGroups(api: Api): Promise<GovernanceGroup[]> {
  return (await api.get<GovernanceGroupList>('/governance-groups')).governanceGroups;
}

export function getGovernanceGroup(api: Api, id: string): Promise<GovernanceGroupDetail> {
  return api.get<GovernanceGroupDetail>(`/governance-groups/${id}`);
}

export function createGovernanceGroup(
  api: Api,
  input: { name: string; description?: string | null },
): Promise<GovernanceGroup> {
  return api.post<GovernanceGroup>('/governance-groups', input);
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
