/**
 * Schedule (sync and aggregation intervals, backfill depth), name and description, Source Owner
 * and governance group, deletion.
 */
import { useEffect, useState, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/client';
import { Card, SelectField, TextField } from '../../ui/components';
import { useResource } from '../../ui/resource';
import { navigate } from '../../ui/router';
import { useToast } from '../../ui/toasts';
import { canManage, useSession } from '../auth/session';
import { listGovernanceGroups } from '../governance-groups/api';
import { getIdentity, type Identity } from '../identities/api';
import { IdentityPicker } from '../identities/IdentityPicker';
import { deleteSource, updateSource, type Source } from './api';

const HOUR = 3_600_000;

export function SourceSettingsTab({ source, onSaved }: { source: Source; onSaved: () => void }) {
  const { api, user } = useSession();
  const toast = useToast();
  const settings = source.settings;
  const [name, setName] = useState(source.name);
  const [description, setDescription] = useState(source.description ?? '');
  const [syncHours, setSyncHours] = useState(String(settings.syncIntervalMs / HOUR));
  const [aggregationHours, setAggregationHours] = useState(
    settings.aggregationIntervalMs ? String(settings.aggregationIntervalMs / HOUR) : '',
  );
  const [backfillDays, setBackfillDays] = useState(String(settings.backfillDays));
  const [owner, setOwner] = useState<Identity | null>(null);
  const [groupId, setGroupId] = useState(source.governanceGroupId ?? '');
  const groups = useResource(() => listGovernanceGroups(api), [api]);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [confirm, setConfirm] = useState('');
  const manage = canManage(user);

  useEffect(() => {
    let live = true;
    getIdentity(api, source.ownerIdentityId).then(
      (identity) => {
        if (live) setOwner(identity);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, source.ownerIdentityId]);

  const groupOptions = [
    { value: '', label: 'None' },
    ...(groups.state.data ?? []).map((g) => ({ value: g.id, label: g.name })),
  ];

  async function save(event: SyntheticEvent) {
    event.preventDefault();
    if (!owner) {
      setProblems({ ownerIdentityId: 'Choose the Source Owner.' });
      return;
    }
    try {
      await updateSource(api, source.id, {
        name: name.trim(),
        description: description.trim() || null,
        ownerIdentityId: owner.id,
        governanceGroupId: groupId || null,
        settings:
          source.type === 'duo'
            ? { aggregationIntervalHours: aggregationHours ? Number(aggregationHours) : null }
            : { syncIntervalHours: Number(syncHours), backfillDays: Number(backfillDays) },
      });
      setProblems({});
      toast.success('Settings saved.');
      onSaved();
    } catch (error) {
      const fields = error instanceof ApiError ? error.fieldProblems() : {};
      setProblems(
        Object.fromEntries(
          Object.entries(fields).map(([k, v]) => [k.replace(/^settings\./, ''), v]),
        ),
      );
      // A problem shown under its field is not repeated as a toast.
      if (Object.keys(fields).length === 0) toast.failure(error, 'The settings were not saved');
    }
  }

  async function remove() {
    try {
      await deleteSource(api, source.id, confirm);
      toast.success(`Source “${source.name}” and its data were deleted.`);
      navigate('/sources');
    } catch (error) {
      toast.failure(error, 'The source was not deleted');
    }
  }

  return (
    <div className="grid-2">
      <Card title="Schedule and settings">
        <form className="form" onSubmit={(event) => void save(event)} noValidate>
          <TextField
            label="Name"
            value={name}
            onChange={setName}
            error={problems['name']}
            disabled={!manage}
          />
          <TextField
            label="Description"
            value={description}
            onChange={setDescription}
            disabled={!manage}
          />
          {manage ? (
            <IdentityPicker
              label="Source Owner"
              value={owner}
              onChange={(picked) => {
                setOwner(picked);
                setProblems((p) => ({ ...p, ownerIdentityId: '' }));
              }}
              error={problems['ownerIdentityId'] || undefined}
              hint="The person accountable for this source. Matches appear after two letters."
            />
          ) : (
            <TextField
              label="Source Owner"
              value={owner?.displayName ?? ''}
              onChange={() => undefined}
              disabled
            />
          )}
          <SelectField
            label="Governance group"
            value={groupId}
            onChange={(value) => {
              setGroupId(value);
              setProblems((p) => ({ ...p, governanceGroupId: '' }));
            }}
            options={groupOptions}
            error={problems['governanceGroupId'] || undefined}
            hint="Optional: its members may manage this source."
            disabled={!manage}
          />
          {source.type === 'duo' ? (
            <TextField
              label="Aggregate every (hours)"
              type="number"
              min={1}
              value={aggregationHours}
              onChange={setAggregationHours}
              error={problems['aggregationIntervalHours']}
              hint="Leave empty to aggregate only when you press Aggregate."
              disabled={!manage}
            />
          ) : (
            <>
              <TextField
                label="Sync every (hours)"
                type="number"
                min={1}
                value={syncHours}
                onChange={setSyncHours}
                error={problems['syncIntervalHours']}
                hint="Default 24 hours. Each sync also re-reads the last 72 hours for late events."
                disabled={!manage}
              />
              <TextField
                label="History to fetch on the first sync (days)"
                type="number"
                min={1}
                max={180}
                value={backfillDays}
                onChange={setBackfillDays}
                error={problems['backfillDays']}
                hint="1 to 180 (Duo keeps 180 days). Fetched in the background after the last 24 hours."
                disabled={!manage}
              />
            </>
          )}
          {manage && (
            <div className="form-actions">
              <button type="submit" className="button button-primary">
                Save settings
              </button>
            </div>
          )}
        </form>
      </Card>
      {manage && (
        <Card title="Delete source" className="danger-card">
          <p>
            Deleting removes the source, its credentials and all the accounts, entitlements and
            activity it gathered. This cannot be undone.
          </p>
          <TextField
            label={`Type “${source.name}” to confirm`}
            value={confirm}
            onChange={setConfirm}
            autoComplete="off"
          />
          <div className="form-actions">
            <button
              type="button"
              className="button button-danger"
              disabled={confirm !== source.name}
              onClick={() => void remove()}
            >
              Delete source
            </button>
          </div>
        </Card>
      )}
    </div>
  );
}
