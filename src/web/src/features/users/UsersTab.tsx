/** Console users: list, add (with a role), change role, remove. */
import { useState, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/client';
import { Card, Loaded, SelectField, TextField } from '../../ui/components';
import { formatAgo, formatDateTime } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { DataTable } from '../../ui/table';
import { useToast } from '../../ui/toasts';
import { ROLE_LABELS, type Role } from '../auth/api';
import { useSession } from '../auth/session';
import { createUser, deleteUser, listUsers, updateUser } from './api';

const ROLE_OPTIONS = (Object.keys(ROLE_LABELS) as Role[]).map((role) => ({
  value: role,
  label: ROLE_LABELS[role],
}));

export function UsersTab() {
  const { api, user: me } = useSession();
  const toast = useToast();
  const users = useResource(() => listUsers(api), [api]);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [problems, setProblems] = useState<Record<string, string>>({});

  async function add(event: SyntheticEvent) {
    event.preventDefault();
    try {
      await createUser(api, { username: username.trim(), password, role });
      toast.success(`User ${username.trim()} added.`);
      setUsername('');
      setPassword('');
      setProblems({});
      users.reload();
    } catch (error) {
      if (error instanceof ApiError) setProblems(error.fieldProblems());
      toast.failure(error, 'The user was not added');
    }
  }

  async function change(id: string, next: Role) {
    try {
      await updateUser(api, id, { role: next });
      toast.success('Role changed.');
      users.refresh();
    } catch (error) {
      toast.failure(error, 'The role was not changed');
    }
  }

  async function remove(id: string, name: string) {
    if (!window.confirm(`Remove the user ${name}? Their sessions end at once.`)) return;
    try {
      await deleteUser(api, id);
      toast.success(`User ${name} removed.`);
      users.refresh();
    } catch (error) {
      toast.failure(error, 'The user was not removed');
    }
  }

  return (
    <div className="grid-2">
      <Card title="Users">
        <Loaded resource={users.state} retry={users.reload}>
          {(list) => (
            <DataTable
              caption="Users"
              rows={list}
              rowKey={(u) => u.id}
              csvName="users"
              columns={[
                { label: 'User name', value: (u) => u.username },
                {
                  label: 'Role',
                  value: (u) => ROLE_LABELS[u.role],
                  render: (u) =>
                    u.id === me.id ? (
                      ROLE_LABELS[u.role]
                    ) : (
                      <select
                        aria-label={`Role of ${u.username}`}
                        value={u.role}
                        onChange={(event) => void change(u.id, event.target.value as Role)}
                      >
                        {ROLE_OPTIONS.map((o) => (
                          <option key={o.value} value={o.value}>
                            {o.label}
                          </option>
                        ))}
                      </select>
                    ),
                },
                {
                  label: 'Last sign-in',
                  value: (u) => formatDateTime(u.lastSignInAt),
                  render: (u) =>
                    u.lastSignInAt === null ? (
                      'never'
                    ) : (
                      <time
                        dateTime={new Date(u.lastSignInAt).toISOString()}
                        title={formatDateTime(u.lastSignInAt)}
                      >
                        {formatAgo(u.lastSignInAt)}
                      </time>
                    ),
                  optional: true,
                },
                {
                  label: 'Actions',
                  value: () => '',
                  render: (u) =>
                    u.id === me.id ? (
                      <span className="muted small">You</span>
                    ) : (
                      <button
                        type="button"
                        className="button button-small button-ghost"
                        onClick={() => void remove(u.id, u.username)}
                      >
                        Remove
                      </button>
                    ),
                },
              ]}
            />
          )}
        </Loaded>
      </Card>
      <Card title="Add a user">
        <form className="form" onSubmit={(event) => void add(event)} noValidate>
          <TextField
            label="User name"
            value={username}
            onChange={setUsername}
            error={problems['username']}
            autoComplete="off"
          />
          <TextField
            label="Password"
            type="password"
            value={password}
            onChange={setPassword}
            error={problems['password']}
            autoComplete="new-password"
            hint="At least 12 characters."
          />
          <SelectField
            label="Role"
            value={role}
            onChange={(v) => {
              setRole(v as Role);
            }}
            options={ROLE_OPTIONS}
            error={problems['role']}
          />
          <div className="form-actions">
            <button
              type="submit"
              className="button button-primary"
              disabled={!username.trim() || !password}
            >
              Add user
            </button>
          </div>
        </form>
      </Card>
    </div>
  );
}
