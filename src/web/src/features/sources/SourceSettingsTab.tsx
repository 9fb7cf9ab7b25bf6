/** Schedule (sync and aggregation intervals, backfill depth), name and description, deletion. */
import { useState, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/client';
import { Card, TextField } from '../../ui/components';
import { navigate } from '../../ui/router';
import { useToast } from '../../ui/toasts';
import { canManage, useSession } from '../auth/session';
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
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [confirm, setConfirm] = useState('');
  const manage = canManage(user);

  async function save(event: SyntheticEvent) {
    event.preventDefault();
    try {
      await updateSource(api, source.id, {
        name: name.trim(),
        description: description.trim() || null,
        settings:
          source.type === 'duo'
            ? { aggregationIntervalHours: aggregationHours ? Number(aggregationHours) : null }
            : { syncIntervalHours: Number(syncHours), backfillDays: Number(backfillDays) },
      });
      setProblems({});
      toast.success('Settings saved.');
      onSaved();
    } catch (error) {
      if (error instanceof ApiError) {
        const fields = error.fieldProblems();
        setProblems(
          Object.fromEntries(
            Object.entries(fields).map(([k, v]) => [k.replace(/^settings\./, ''), v]),
          ),
        );
      }
      toast.failure(error, 'The settings were not saved');
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
