/**
 * Sources, their configuration, Test Connection, runs, streams, accounts and entitlements
 * (`/sources`, `/runs`). Field names of the REST contract live here and nowhere else.
 *
 * @example const { runId } = await startAggregation(api, source.id);
 */
import type { Api } from '../../api/client';
import { listFrom, objectFrom, pageFrom, type Page } from '../../api/shapes';

export type SourceType = 'duo' | 'duo-activity';
export type SourceState = 'unconfigured' | 'configured' | 'verified' | 'failing';
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';
export type StreamState = 'ok' | 'failing' | 'not_available' | 'idle';

export const SOURCE_TYPE_LABELS: Record<SourceType, string> = {
  duo: 'Duo',
  'duo-activity': 'Activity Insights – Duo',
};

export interface StoredError {
  readonly code: string;
  readonly message: string;
  readonly cause?: string;
}

export interface Run {
  readonly id: string;
  readonly sourceId: string;
  readonly kind: 'test' | 'aggregation' | 'sync';
  readonly trigger?: string;
  readonly status: RunStatus;
  readonly counts?: Record<string, unknown>;
  readonly progress?: unknown;
  readonly error?: StoredError | null;
  readonly startedAt?: number | null;
  readonly finishedAt?: number | null;
  readonly createdAt?: number;
}

export interface ConnectionTest {
  readonly ok: boolean;
  readonly code?: string;
  readonly message: string;
  readonly at?: number;
  readonly details?: {
    readonly fix?: string;
    readonly permission?: string;
    readonly clockSkewSeconds?: number;
    readonly networkReason?: string;
    readonly httpStatus?: number;
  };
}

export interface SourceSettings {
  readonly syncIntervalMs?: number;
  readonly aggregationIntervalMs?: number | null;
  readonly reconciliationHours?: number;
  readonly backfillDays?: number;
}

export interface Source {
  readonly id: string;
  readonly type: SourceType;
  readonly name: string;
  readonly description: string | null;
  readonly ownerIdentityId: string;
  readonly governanceGroupId: string | null;
  readonly apiHost: string | null;
  readonly integrationKey: string | null;
  readonly hasSecret: boolean;
  readonly state: SourceState;
  readonly settings?: SourceSettings;
  readonly lastTest?: ConnectionTest | null;
  readonly lastRun?: Run | null;
  readonly nextRunAt?: number | string | null;
  readonly health?: unknown;
  readonly createdAt?: number;
}

export interface NewSource {
  readonly type: SourceType;
  readonly name: string;
  readonly description?: string | null;
  readonly ownerIdentityId: string;
  readonly governanceGroupId?: string | null;
}

export interface Configuration {
  readonly apiHost: string;
  readonly integrationKey: string;
  readonly secretKey?: string;
}

export interface StreamHealth {
  readonly stream: string;
  readonly label?: string;
  readonly state: StreamState;
  readonly lastSuccessAt?: number | null;
  readonly syncedUntil?: number | null;
  readonly lagMs?: number | null;
  /** Share of the backfill done, 0–1; null when there is none. */
  readonly backfillProgress?: number | null;
  readonly pages?: number;
  readonly rateLimited?: number;
  readonly lastError?: StoredError | null;
}

export interface Account {
  readonly id: number | string;
  readonly sourceId?: string;
  readonly sourceName?: string;
  readonly duoUserId: string;
  readonly username: string;
  readonly realname?: string | null;
  readonly email?: string | null;
  readonly status: string;
  readonly groups?: readonly (string | { readonly name: string })[];
  readonly lastLoginMs?: number | null;
  readonly identityId?: string | null;
  readonly correlation?: string | null;
  readonly deletedAt?: number | null;
}

export interface Entitlement {
  readonly id: number | string;
  readonly duoGroupId: string;
  readonly name: string;
  readonly description?: string | null;
  readonly status?: string | null;
}

export async function listSources(api: Api): Promise<Source[]> {
  return listFrom<Source>(await api.get('/sources'), 'sources');
}

export async function getSource(api: Api, id: string): Promise<Source> {
  return objectFrom<Source>(await api.get(`/sources/${id}`), 'source');
}

export async function createSource(api: Api, input: NewSource): Promise<Source> {
  return objectFrom<Source>(await api.post('/sources', input), 'source');
}

export async function updateSource(
  api: Api,
  id: string,
  patch: Record<string, unknown>,
): Promise<Source> {
  return objectFrom<Source>(await api.patch(`/sources/${id}`, patch), 'source');
}

export async function deleteSource(api: Api, id: string, confirmName: string): Promise<void> {
  await api.del(`/sources/${id}`, { confirm: confirmName });
}

export async function configureSource(api: Api, id: string, input: Configuration): Promise<Source> {
  return objectFrom<Source>(await api.put(`/sources/${id}/configuration`, input), 'source');
}

export function testConnection(api: Api, id: string): Promise<ConnectionTest> {
  return api.post<ConnectionTest>(`/sources/${id}/test-connection`);
}

export async function startAggregation(api: Api, id: string): Promise<string> {
  return (await api.post<{ runId: string }>(`/sources/${id}/aggregate`)).runId;
}

export async function startSync(api: Api, id: string): Promise<string> {
  return (await api.post<{ runId: string }>(`/sources/${id}/sync`)).runId;
}

export async function listRuns(api: Api, id: string): Promise<Run[]> {
  return listFrom<Run>(await api.get(`/sources/${id}/runs`), 'runs');
}

export async function getRun(api: Api, runId: string): Promise<Run> {
  return objectFrom<Run>(await api.get(`/runs/${runId}`), 'run');
}

export async function listStreams(api: Api, id: string): Promise<StreamHealth[]> {
  return listFrom<StreamHealth>(await api.get(`/sources/${id}/streams`), 'streams');
}

export interface AccountFilter {
  readonly status?: string;
  readonly group?: string;
  readonly correlated?: string;
  readonly q?: string;
  readonly cursor?: string;
}

export async function listAccounts(
  api: Api,
  id: string,
  filter: AccountFilter,
): Promise<Page<Account>> {
  return pageFrom<Account>(await api.get(`/sources/${id}/accounts`, { ...filter }), 'accounts');
}

export async function listEntitlements(api: Api, id: string): Promise<Entitlement[]> {
  return listFrom<Entitlement>(await api.get(`/sources/${id}/entitlements`), 'entitlements');
}

export async function listEntitlementMembers(
  api: Api,
  id: string,
  entitlementId: string,
): Promise<Account[]> {
  return listFrom<Account>(
    await api.get(`/sources/${id}/entitlements/${entitlementId}/members`),
    'accounts',
  );
}

/** Group names of an account, whether the API sends names or objects. */
export function groupNames(account: Account): string[] {
  return (account.groups ?? []).map((g) => (typeof g === 'string' ? g : g.name));
}

export function isRunActive(run: Run | null | undefined): boolean {
  return run?.status === 'queued' || run?.status === 'running';
}
