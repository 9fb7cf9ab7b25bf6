/** The audit trail (admin): who created, configured, tested, synced or deleted what. */
import type { Api } from '../../api/client';
import { pageOf, type Page } from '../../api/shapes';
import type { AuditEntry, AuditList } from '../../../../api/contract/index.js';

export type { AuditEntry } from '../../../../api/contract/index.js';

export async function listAudit(api: Api, cursor?: string): Promise<Page<AuditEntry>> {
  const body = await api.get<AuditList>('/audit', { cursor });
  return pageOf(body.entries, body.next);
}

/** The server's CSV of the whole trail, newest first (`format=csv`). */
export function auditCsvUrl(api: Api): string {
  return api.url('/audit', { format: 'csv' });
}
