/** Settings: console users, API tokens, governance groups, the audit trail and your password. */
import { Card, EmptyState, PageHeader, Tabs } from '../../ui/components';
import { useToast } from '../../ui/toasts';
import { AuditTab } from '../audit/AuditTab';
import { ChangePasswordForm } from '../auth/ChangePasswordForm';
import { useSession } from '../auth/session';
import { GovernanceGroupsTab } from '../governance-groups/GovernanceGroupsTab';
import { TokensTab } from '../tokens/TokensTab';
import { UsersTab } from '../users/UsersTab';

const TABS = [
  { id: 'users', label: 'Users' },
  { id: 'tokens', label: 'API tokens' },
  { id: 'governance-groups', label: 'Governance groups' },
  { id: 'audit', label: 'Audit trail' },
  { id: 'password', label: 'Your password' },
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
      ) : tab === 'password' ? (
        <PasswordTab />
      ) : (
        <EmptyState title="There is no such setting" />
      )}
    </>
  );
}

function PasswordTab() {
  const { api, user } = useSession();
  const toast = useToast();
  return (
    <Card title="Change your password" className="change-password-panel">
      <p className="muted">
        Signed in as {user.username}. Your other sessions are signed out when you change it.
      </p>
      <ChangePasswordForm
        api={api}
        onChanged={(_user, sessionsEnded) => {
          toast.success(
            sessionsEnded === 0
              ? 'Password changed.'
              : `Password changed. Your ${sessionsEnded === 1 ? 'other session was' : `${sessionsEnded} other sessions were`} signed out.`,
          );
        }}
      />
    </Card>
  );
}
