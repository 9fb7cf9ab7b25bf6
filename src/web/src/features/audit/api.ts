/** The audit trail (admin): who created, configured, tested, synced or deleted what. */
import type { Api } from '../../api/client';
import { pageFrom, type Page } from '../../api/shapes';

export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly targetName: string | null;
  readonly details?: unknown;
  readonly ip?: string | null;
}

export async function listAudit(api: Api, cursor?: string): Promise<Page<AuditEntry>> {
  return pageFrom<AuditEntry>(await api.get('/audit', { cursor }), 'entries');
}
