/** The audit trail: who created, configured, tested, synced or deleted what, newest first. */
import { Card, EmptyState, ErrorState, Spinner } from '../../ui/components';
import { formatDateTime } from '../../ui/format';
import { usePagedList } from '../../ui/resource';
import { DataTable } from '../../ui/table';
import { useSession } from '../auth/session';
import { auditCsvUrl, listAudit, type AuditEntry } from './api';

function target(entry: AuditEntry): string {
  return `${entry.targetType} ${entry.targetName ?? entry.targetId ?? ''}`.trim();
}

export function AuditTab() {
  const { api } = useSession();
  const { rows, state, hasMore, more } = usePagedList(
    (cursor?: string) => listAudit(api, cursor),
    [api],
  );
  return (
    <Card title="Audit trail">
      {typeof state === 'object' ? (
        <ErrorState error={state.error} />
      ) : state === 'loading' ? (
        <Spinner />
      ) : (
        <DataTable
          caption="Audit trail"
          rows={rows}
          rowKey={(r) => String(r.id)}
          csvHref={auditCsvUrl(api)}
          noun={['entry', 'entries']}
          partial={hasMore}
          empty={<EmptyState title="Nothing recorded yet" />}
          columns={[
            { label: 'When', value: (r) => formatDateTime(r.at), sortValue: (r) => r.at },
            { label: 'Who', value: (r) => r.actor },
            { label: 'Action', value: (r) => r.action, render: (r) => <code>{r.action}</code> },
            { label: 'Target', value: target },
            { label: 'From', value: (r) => r.ip ?? '', optional: true },
          ]}
          footer={
            hasMore && (
              <div className="table-more">
                <button type="button" className="button" onClick={() => void more()}>
                  Load more
                </button>
              </div>
            )
          }
        />
      )}
    </Card>
  );
}
