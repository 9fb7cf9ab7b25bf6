/**
 * Console users: list (with the identity each is linked to), add (with a role), change role,
 * link to an identity (what a source manager manages follows from it), set a new password
 * (the user changes it at their next sign-in), remove.
 */
import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/client';
import { Badge, Card, Loaded, SelectField, TextField } from '../../ui/components';
import { formatAgo, formatDateTime } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { Link } from '../../ui/router';
import { DataTable } from '../../ui/table';
import { useToast } from '../../ui/toasts';
import { PASSWORD_HINT, ROLE_LABELS, type Role } from '../auth/api';
import { problemsByField } from '../auth/ChangePasswordForm';
import { useSession } from '../auth/session';
import { getIdentity, type Identity } from '../identities/api';
import { IdentityPicker } from '../identities/IdentityPicker';
import { useIdentityNames } from '../identities/useIdentityNames';
import { useEscapeToClose } from '../../ui/escape';
import {
  createUser,
  deleteUser,
  listUsers,
  resetPassword,
  updateUser,
  type ConsoleUser,
  usersCsvUrl,
} from './api';
import './users.css';

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
  const [managedId, setManagedId] = useState<string | null>(null);
  useEscapeToClose(managedId !== null, () => {
    setManagedId(null);
  });
  const identityNames = useIdentityNames(
    (users.state.data ?? []).flatMap((u) => (u.identityId === null ? [] : [u.identityId])),
  );
  const managed = users.state.data?.find((u) => u.id === managedId);

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
      if (error instanceof ApiError) setProblems(problemsByField(error));
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
      if (managedId === id) setManagedId(null);
      users.refresh();
    } catch (error) {
      toast.failure(error, 'The user was not removed');
    }
  }

  return (
    <div className="grid-2 users-layout">
      <Card title="Users">
        <Loaded resource={users.state} retry={users.reload}>
          {(list) => (
            <DataTable
              caption="Users"
              rows={list}
              rowKey={(u) => u.id}
              csvHref={usersCsvUrl(api)}
              columns={[
                {
                  label: 'User name',
                  value: (u) => u.username,
                  render: (u) => (
                    <span className="users-name">
                      {u.username}
                      {u.mustChangePassword && <Badge tone="warn">Must change password</Badge>}
                    </span>
                  ),
                },
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
                  label: 'Identity',
                  value: (u) =>
                    u.identityId === null ? '' : (identityNames.get(u.identityId) ?? ''),
                  render: (u) =>
                    u.identityId === null ? (
                      <span className="muted users-nowrap">Not linked</span>
                    ) : (
                      (identityNames.get(u.identityId) ?? '…')
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
                  render: (u) => (
                    <span className="user-actions">
                      <button
                        type="button"
                        className="button button-small"
                        aria-label={`Manage ${u.username}`}
                        aria-pressed={managedId === u.id}
                        onClick={() => {
                          setManagedId(managedId === u.id ? null : u.id);
                        }}
                      >
                        Manage
                      </button>
                      {u.id === me.id ? (
                        <span className="muted small">You</span>
                      ) : (
                        <button
                          type="button"
                          className="button button-small button-ghost"
                          onClick={() => void remove(u.id, u.username)}
                        >
                          Remove
                        </button>
                      )}
                    </span>
                  ),
                },
              ]}
            />
          )}
        </Loaded>
      </Card>
      <div className="users-side">
        {managed && (
          <ManageUser
            key={managed.id}
            user={managed}
            isMe={managed.id === me.id}
            onChanged={users.refresh}
            onClose={() => {
              setManagedId(null);
              // Back to the button that opened the panel, which a keyboard user left for it.
              const name = managed.username;
              window.setTimeout(() => {
                document
                  .querySelector<HTMLElement>(`button[aria-label="Manage ${CSS.escape(name)}"]`)
                  ?.focus();
              }, 0);
            }}
          />
        )}
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
              hint={PASSWORD_HINT.new}
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
    </div>
  );
}

/** One user's identity link and a new password for them. */
function ManageUser({
  user,
  isMe,
  onChanged,
  onClose,
}: {
  user: ConsoleUser;
  isMe: boolean;
  onChanged: () => void;
  onClose: () => void;
}) {
  const { api } = useSession();
  const toast = useToast();
  const [linked, setLinked] = useState<Identity | null>(null);
  const [picked, setPicked] = useState<Identity | null>(null);
  const [newPassword, setNewPassword] = useState('');
  const [passwordProblem, setPasswordProblem] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  // Opened, the panel takes focus on its heading; Escape inside it (or on its Manage button)
  // closes it, as its Close button does.
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const heading = document.querySelector<HTMLElement>('.manage-user h2');
    heading?.setAttribute('tabindex', '-1');
    heading?.focus();
  }, []);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      const active = document.activeElement;
      const opener = active?.getAttribute('aria-label') === `Manage ${user.username}`;
      if (!opener && !document.querySelector('.manage-user')?.contains(active)) return;
      event.preventDefault();
      close.current();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
    };
  }, [user.username]);

  useEffect(() => {
    let live = true;
    if (user.identityId === null) {
      setLinked(null);
      setPicked(null);
      return;
    }
    getIdentity(api, user.identityId).then(
      (identity) => {
        if (!live) return;
        setLinked(identity);
        setPicked(identity);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, user.identityId]);

  const linkChanged = (picked?.id ?? null) !== user.identityId;

  async function saveLink() {
    setBusy(true);
    try {
      await updateUser(api, user.id, { identityId: picked?.id ?? null });
      toast.success(
        picked
          ? `${user.username} is linked to ${picked.displayName}.`
          : `${user.username} is linked to no identity.`,
      );
      onChanged();
    } catch (error) {
      toast.failure(error, 'The link was not saved');
    } finally {
      setBusy(false);
    }
  }

  async function setPassword(event: SyntheticEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      await resetPassword(api, user.id, newPassword);
      setNewPassword('');
      setPasswordProblem(undefined);
      toast.success(
        `New password set for ${user.username}. Their sessions ended; they choose their own at the next sign-in.`,
      );
      onChanged();
    } catch (error) {
      const problem = error instanceof ApiError ? problemsByField(error)['newPassword'] : undefined;
      setPasswordProblem(problem === undefined ? undefined : `The password ${problem}.`);
      if (problem === undefined) toast.failure(error, 'The password was not set');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card
      title={`Manage ${user.username}`}
      className="manage-user"
      actions={
        <button type="button" className="button button-small button-ghost" onClick={onClose}>
          Close
        </button>
      }
    >
      <section className="manage-user-part" aria-label={`Identity of ${user.username}`}>
        <h3>Linked identity</h3>
        <p className="muted small">
          {linked
            ? `Linked to ${linked.displayName}.`
            : user.identityId === null
              ? 'Not linked to an identity.'
              : 'Linked to an identity.'}{' '}
          A source manager manages the sources their identity owns or whose governance group it
          belongs to: until linked, they manage none.
        </p>
        <IdentityPicker
          label={`Identity of ${user.username}`}
          value={picked}
          onChange={setPicked}
          allowCreate={false}
        />
        <div className="form-actions">
          <button
            type="button"
            className="button button-primary"
            disabled={busy || !linkChanged}
            onClick={() => void saveLink()}
          >
            {picked || user.identityId === null ? 'Save link' : 'Remove link'}
          </button>
        </div>
      </section>
      <section className="manage-user-part" aria-label={`Password of ${user.username}`}>
        <h3>Password</h3>
        {isMe ? (
          <p className="muted small">
            Change your own password under <Link to="/settings/password">Your password</Link>.
          </p>
        ) : (
          <form className="form" onSubmit={(event) => void setPassword(event)} noValidate>
            <TextField
              label={`New password for ${user.username}`}
              type="password"
              value={newPassword}
              onChange={setNewPassword}
              error={passwordProblem}
              hint={`${PASSWORD_HINT.other} Their sessions end, and they choose their own at the next sign-in.`}
              autoComplete="new-password"
            />
            <div className="form-actions">
              <button
                type="submit"
                className="button button-primary"
                disabled={busy || !newPassword}
              >
                Set password
              </button>
            </div>
          </form>
        )}
      </section>
    </Card>
  );
}
