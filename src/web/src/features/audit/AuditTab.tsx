/** The audit trail: who created, configured, tested, synced or deleted what, newest first. */
import { useEffect, useState } from 'react';
import { Card, EmptyState, ErrorState, Spinner } from '../../ui/components';
import { formatDateTime } from '../../ui/format';
import { DataTable } from '../../ui/table';
import { useSession } from '../auth/session';
import { listAudit, type AuditEntry } from './api';

function target(entry: AuditEntry): string {
  return `${entry.targetType} ${entry.targetName ?? entry.targetId ?? ''}`.trim();
}

export function AuditTab() {
  const { api } = useSession();
  const [rows, setRows] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [state, setState] = useState<'loading' | 'ready' | { error: unknown }>('loading');
  useEffect(() => {
    listAudit(api).then(
      (page) => {
        setRows(page.items);
        setNext(page.next);
        setState('ready');
      },
      (error: unknown) => {
        setState({ error });
      },
    );
  }, [api]);
  async function more() {
    if (!next) return;
    const page = await listAudit(api, next);
    setRows((list) => [...list, ...page.items]);
    setNext(page.next);
  }
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
          csvName="audit-trail"
          empty={<EmptyState title="Nothing recorded yet" />}
          columns={[
            { label: 'When', value: (r) => formatDateTime(r.at) },
            { label: 'Who', value: (r) => r.actor },
            { label: 'Action', value: (r) => r.action, render: (r) => <code>{r.action}</code> },
            { label: 'Target', value: target },
            { label: 'From', value: (r) => r.ip ?? '', optional: true },
          ]}
          footer={
            next && (
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
