/**
 * Sources, their configuration, Test Connection, runs and streams (`/sources`, `/runs`); accounts
 * and entitlements have their own folders. Field names of the REST contract live here and nowhere else.
 *
 * @example const { runId } = await startAggregation(api, source.id);
 */
import type { Api } from '../../api/client';
import type {
  ConnectionTest,
  ConnectionTestWait,
  Run,
  RunList,
  RunStarted,
  Source,
  SourceList,
  SourceSummary,
  SourceType,
  RetentionPass,
  SourceStorage,
  Stream,
  StreamList,
} from '../../../../api/contract/index.js';

export type {
  ConnectionTest,
  Run,
  RunStatus,
  Source,
  SourceSettings,
  SourceState,
  SourceSummary,
  SourceType,
  RetentionPass,
  SourceStorage,
  Stream,
  StreamRetention,
  StreamState,
  StreamStorage,
  StreamRunCounts,
} from '../../../../api/contract/index.js';

export const SOURCE_TYPE_LABELS: Record<SourceType, string> = {
  duo: 'Duo',
  'duo-activity': 'Activity Insights – Duo',
};

/** The fix, permission, clock skew, … a connection test found (its `details`). */
export interface ConnectionTestDetails {
  readonly fix?: string;
  readonly permission?: string;
  readonly clockSkewSeconds?: number;
  readonly networkReason?: string;
  readonly httpStatus?: number;
}

/** A connection test's details as the console reads them (an object, or nothing). */
export function testDetails(test: ConnectionTest): ConnectionTestDetails {
  const details = test.details;
  return typeof details === 'object' && details !== null ? details : {};
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

/** The server's CSV of every source. */
export function sourcesCsvUrl(api: Api): string {
  return api.url('/sources', { format: 'csv' });
}

export async function listSources(api: Api): Promise<SourceSummary[]> {
  return (await api.get<SourceList>('/sources')).sources;
}

export function getSource(api: Api, id: string): Promise<SourceSummary> {
  return api.get<SourceSummary>(`/sources/${id}`);
}

export function createSource(api: Api, input: NewSource): Promise<Source> {
  return api.post<Source>('/sources', input);
}

export function updateSource(
  api: Api,
  id: string,
  patch: Record<string, unknown>,
): Promise<Source> {
  return api.patch<Source>(`/sources/${id}`, patch);
}

export async function deleteSource(
  api: Api,
  id: string,
  confirmName: string,
  options: { keepalive?: boolean } = {},
): Promise<void> {
  await api.del(`/sources/${id}`, { confirm: confirmName }, options);
}

export function configureSource(api: Api, id: string, input: Configuration): Promise<Source> {
  return api.put<Source>(`/sources/${id}/configuration`, input);
}

export function testConnection(api: Api, id: string): Promise<ConnectionTest> {
  return api.post<ConnectionTest>(`/sources/${id}/test-connection`);
}

/** Seconds a Test Connection started now would wait for Duo's rate limit (0: none). */
export async function connectionTestWait(api: Api, id: string): Promise<number> {
  return (await api.get<ConnectionTestWait>(`/sources/${id}/test-connection`)).waitSeconds;
}

export async function startAggregation(api: Api, id: string): Promise<string> {
  return (await api.post<RunStarted>(`/sources/${id}/aggregate`)).runId;
}

export async function startSync(api: Api, id: string): Promise<string> {
  return (await api.post<RunStarted>(`/sources/${id}/sync`)).runId;
}

/** The server's CSV of every run of a source (not only those listed). */
export function runsCsvUrl(api: Api, id: string): string {
  return api.url(`/sources/${id}/runs`, { format: 'csv' });
}

/** The server's CSV of the streams a run read. */
export function runStreamsCsvUrl(api: Api, runId: string): string {
  return api.url(`/runs/${runId}`, { format: 'csv' });
}

export async function listRuns(api: Api, id: string): Promise<Run[]> {
  return (await api.get<RunList>(`/sources/${id}/runs`)).runs;
}

export function getRun(api: Api, runId: string): Promise<Run> {
  return api.get<Run>(`/runs/${runId}`);
}

/** The server's CSV of a source's streams. */
export function streamsCsvUrl(api: Api, id: string): string {
  return api.url(`/sources/${id}/streams`, { format: 'csv' });
}

export async function listStreams(api: Api, id: string): Promise<Stream[]> {
  return (await api.get<StreamList>(`/sources/${id}/streams`)).streams;
}

/** What an Activity Insights source's streams hold, its retention and its retention passes. */
/** The server's CSV of what each stream of a source holds. */
export function storageCsvUrl(api: Api, id: string): string {
  return api.url(`/sources/${id}/storage`, { format: 'csv' });
}

export function getStorage(api: Api, id: string): Promise<SourceStorage> {
  return api.get<SourceStorage>(`/sources/${id}/storage`);
}

/** Applies the source's retention now: what the pass deleted, and what held events back. */
export function applyRetention(api: Api, id: string): Promise<RetentionPass> {
  return api.post<RetentionPass>(`/sources/${id}/retention`);
}

export function isRunActive(run: Run | null | undefined): boolean {
  return run?.status === 'queued' || run?.status === 'running';
}
