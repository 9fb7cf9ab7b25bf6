/** Settings: console users, API tokens, governance groups and the audit trail. */
import { Card, EmptyState, PageHeader, Tabs } from '../../ui/components';
import { AuditTab } from '../audit/AuditTab';
import { useSession } from '../auth/session';
import { GovernanceGroupsTab } from '../governance-groups/GovernanceGroupsTab';
import { TokensTab } from '../tokens/TokensTab';
import { UsersTab } from '../users/UsersTab';

const TABS = [
  { id: 'users', label: 'Users' },
  { id: 'tokens', label: 'API tokens' },
  { id: 'governance-groups', label: 'Governance groups' },
  { id: 'audit', label: 'Audit trail' },
];

export function SettingsPage({ tab }: { tab: string }) {
  const { user } = useSession();
  const adminOnly = tab === 'users' || tab === 'tokens' || tab === 'audit';
  return (
    <>
      <PageHeader
        title="Settings"
        subtitle="Who may use duo-insights, API access, and what happened."
      />
      <Tabs tabs={TABS} current={tab} base="/settings" />
      {adminOnly && user.role !== 'admin' ? (
        <Card>
          <EmptyState title="Administrators only">
            Ask an administrator for access to this page.
          </EmptyState>
        </Card>
      ) : tab === 'users' ? (
        <UsersTab />
      ) : tab === 'tokens' ? (
        <TokensTab />
      ) : tab === 'governance-groups' ? (
        <GovernanceGroupsTab />
      ) : tab === 'audit' ? (
        <AuditTab />
      ) : (
        <EmptyState title="There is no such setting" />
      )}
    </>
  );
}
