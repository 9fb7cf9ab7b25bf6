/** Governance groups: create, delete, and manage members (identities picked by typing). */
import { useState, type SyntheticEvent } from 'react';
import { Card, Loaded, TextField } from '../../ui/components';
import { useResource } from '../../ui/resource';
import { href } from '../../ui/router';
import { DataTable } from '../../ui/table';
import { useToast } from '../../ui/toasts';
import { canManage, useSession } from '../auth/session';
import type { Identity } from '../identities/api';
import { IdentityPicker } from '../identities/IdentityPicker';
import { useEscapeToClose } from '../../ui/escape';
import {
  addGroupMember,
  createGovernanceGroup,
  deleteGovernanceGroup,
  getGovernanceGroup,
  listGovernanceGroups,
  removeGroupMember,
  type GovernanceGroup,
  governanceGroupsCsvUrl,
} from './api';

export function GovernanceGroupsTab() {
  const { api, user } = useSession();
  const toast = useToast();
  const groups = useResource(() => listGovernanceGroups(api), [api]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  useEscapeToClose(open !== null, () => {
    setOpen(null);
  });
  const admin = user.role === 'admin';

  async function create(event: SyntheticEvent) {
    event.preventDefault();
    try {
      const group = await createGovernanceGroup(api, {
        name: name.trim(),
        description: description.trim() || null,
      });
      toast.success(`Governance group “${group.name}” created.`);
      setName('');
      setDescription('');
      setOpen(group.id);
      groups.reload();
    } catch (error) {
      toast.failure(error, 'The group was not created');
    }
  }

  async function remove(group: GovernanceGroup) {
    if (!window.confirm(`Delete the governance group “${group.name}”?`)) return;
    try {
      await deleteGovernanceGroup(api, group.id);
      toast.success('Group deleted.');
      if (open === group.id) setOpen(null);
      groups.refresh();
    } catch (error) {
      toast.failure(error, 'The group was not deleted');
    }
  }

  return (
    <div className="grid-2">
      <Card title="Governance groups">
        <Loaded resource={groups.state} retry={groups.reload}>
          {(list) => (
            <DataTable
              caption="Governance groups"
              rows={list}
              rowKey={(g) => g.id}
              csvHref={governanceGroupsCsvUrl(api)}
              empty={
                <p className="muted table-empty">
                  No governance group yet. Members of a group may manage the sources attached to it.
                </p>
              }
              columns={[
                {
                  label: 'Name',
                  value: (g) => g.name,
                  render: (g) => (
                    <button
                      type="button"
                      className="link-button"
                      aria-pressed={open === g.id}
                      onClick={() => {
                        setOpen(open === g.id ? null : g.id);
                      }}
                    >
                      {g.name}
                    </button>
                  ),
                },
                { label: 'Description', value: (g) => g.description ?? '', optional: true },
                ...(admin
                  ? [
                      {
                        label: 'Actions',
                        value: () => '',
                        render: (g: GovernanceGroup) => (
                          <button
                            type="button"
                            className="button button-small button-ghost"
                            onClick={() => void remove(g)}
                          >
                            Delete
                          </button>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
          )}
        </Loaded>
      </Card>
      {open ? (
        <GroupMembers id={open} editable={canManage(user)} onChanged={groups.refresh} />
      ) : (
        admin && (
          <Card title="Create a governance group">
            <form className="form" onSubmit={(event) => void create(event)}>
              <TextField label="Name" value={name} onChange={setName} autoComplete="off" />
              <TextField label="Description" value={description} onChange={setDescription} />
              <div className="form-actions">
                <button type="submit" className="button button-primary" disabled={!name.trim()}>
                  Create group
                </button>
              </div>
            </form>
          </Card>
        )
      )}
    </div>
  );
}

function GroupMembers({
  id,
  editable,
  onChanged,
}: {
  id: string;
  editable: boolean;
  onChanged: () => void;
}) {
  const { api } = useSession();
  const toast = useToast();
  const group = useResource(() => getGovernanceGroup(api, id), [api, id]);
  const [person, setPerson] = useState<Identity | null>(null);

  async function add() {
    if (!person) return;
    try {
      await addGroupMember(api, id, person.id);
      toast.success(`${person.displayName} added.`);
      setPerson(null);
      group.refresh();
      onChanged();
    } catch (error) {
      toast.failure(error, 'The member was not added');
    }
  }

  async function remove(identity: Identity) {
    try {
      await removeGroupMember(api, id, identity.id);
      toast.success(`${identity.displayName} removed.`);
      group.refresh();
      onChanged();
    } catch (error) {
      toast.failure(error, 'The member was not removed');
    }
  }

  return (
    <Card title={group.state.data ? `Members of ${group.state.data.name}` : 'Members'}>
      <Loaded resource={group.state} retry={group.reload}>
        {(data) => (
          <>
            <DataTable
              caption="Members"
              rows={data.members}
              rowKey={(i) => i.id}
              empty={<p className="muted table-empty">No member yet.</p>}
              columns={[
                {
                  label: 'Name',
                  value: (i) => i.displayName,
                  render: (i) => <a href={href(`/identities/${i.id}`)}>{i.displayName}</a>,
                },
                { label: 'E-mail', value: (i) => i.email ?? '', optional: true },
                ...(editable
                  ? [
                      {
                        label: 'Actions',
                        value: () => '',
                        render: (i: Identity) => (
                          <button
                            type="button"
                            className="button button-small button-ghost"
                            onClick={() => void remove(i)}
                          >
                            Remove
                          </button>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
            {editable && (
              <div className="inline-panel">
                <IdentityPicker
                  label="Add a member"
                  value={person}
                  onChange={setPerson}
                  allowCreate={false}
                />
                <div className="form-actions">
                  <button
                    type="button"
                    className="button button-primary"
                    disabled={!person}
                    onClick={() => void add()}
                  >
                    Add member
                  </button>
                </div>
              </div>
            )}
          </>
        )}
      </Loaded>
    </Card>
  );
}
