/**
 * An Activity Insights source's storage: what each stream holds (events, oldest, newest,
 * estimated size), how long events and rollups are kept, the last and next retention pass, a
 * form for the two retentions and "Apply retention now" (with a confirmation, then what it
 * deleted and what a forwarding destination held back).
 */
import { useEffect, useRef, useState, type ReactNode, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/client';
import { Card, Facts, Loaded, Stat, TextField } from '../../ui/components';
import {
  formatAgo,
  formatDate,
  formatDateTime,
  formatNumber,
  plural,
  sentenceCase,
} from '../../ui/format';
import { useResource } from '../../ui/resource';
import { DataTable } from '../../ui/table';
import { useToast } from '../../ui/toasts';
import { canManage, useSession } from '../auth/session';
import {
  applyRetention,
  getStorage,
  storageCsvUrl,
  updateSource,
  type RetentionPass,
  type SourceStorage,
  type SourceSummary,
  type StreamStorage,
} from './api';

/** Megabytes (10⁶ bytes), precise enough to compare streams: "0.4", "12", "< 0.1". */
export function megabytes(bytes: number): string {
  const mb = bytes / 1_000_000;
  if (bytes === 0) return '0';
  if (mb < 0.1) return '< 0.1';
  if (mb < 10) return mb.toFixed(1);
  return formatNumber(Math.round(mb));
}

/** "(about 13 months)", "(about 3 years)": a number of days as people think of them. */
function roughly(days: string): string {
  const n = Number(days);
  if (!Number.isFinite(n) || n <= 0) return '';
  if (n < 730) return ` (about ${String(Math.round(n / 30.44))} months)`;
  const years = Math.round((n / 365.25) * 10) / 10;
  return ` (about ${String(years)} years)`;
}

/** "keeps 400 days of events, 1,095 days of rollups" */
export function retentionSentence(retentionDays: number, rollupRetentionDays: number): string {
  return `Keeps ${plural(retentionDays, 'day')} of events, ${plural(rollupRetentionDays, 'day')} of rollups`;
}

function deletedEvents(pass: RetentionPass): number {
  return pass.streams.reduce((sum, s) => sum + s.deleted, 0);
}

export function StorageTab({ source, onSaved }: { source: SourceSummary; onSaved: () => void }) {
  const { api } = useSession();
  const storage = useResource(() => getStorage(api, source.id), [api, source.id]);
  return (
    <Loaded resource={storage.state} retry={storage.reload} label="Loading the storage…">
      {(data) => (
        <div className="grid-2">
          <StreamsStorageCard source={source} storage={data} />
          <RetentionPassCard source={source} storage={data} onApplied={storage.refresh} />
          <RetentionForm
            source={source}
            onSaved={() => {
              storage.refresh();
              onSaved();
            }}
          />
        </div>
      )}
    </Loaded>
  );
}

function StreamsStorageCard({
  source,
  storage,
}: {
  source: SourceSummary;
  storage: SourceStorage;
}) {
  const { api } = useSession();
  return (
    <Card title="Storage" className="span-2">
      <div className="stats">
        <Stat label="Events stored" value={formatNumber(storage.events)} />
        <Stat
          label="Estimated size"
          value={`${megabytes(storage.estimatedBytes)} MB`}
          detail="The store's event bytes shared out by event count"
        />
        <Stat
          label="Retention"
          value={plural(storage.retentionDays, 'day')}
          detail={retentionSentence(storage.retentionDays, storage.rollupRetentionDays)}
        />
      </div>
      <div className="compact-table">
        <DataTable
          caption="Storage per stream"
          rows={storage.streams}
          rowKey={(s) => s.stream}
          csvHref={storageCsvUrl(api, source.id)}
          empty={
            <p className="muted table-empty">
              No event stored yet. Events appear after the first sync.
            </p>
          }
          columns={[
            { label: 'Stream', value: (s: StreamStorage) => sentenceCase(s.stream) },
            {
              label: 'Events',
              value: (s) => s.events,
              render: (s) => formatNumber(s.events),
              align: 'right',
            },
            {
              label: 'Oldest',
              value: (s) => formatDateTime(s.oldestMs),
              render: (s) => (
                <span className="nowrap" title={formatDateTime(s.oldestMs)}>
                  {formatDate(s.oldestMs)}
                </span>
              ),
            },
            {
              label: 'Newest',
              value: (s) => formatDateTime(s.newestMs),
              render: (s) => (
                <span className="nowrap" title={formatDateTime(s.newestMs)}>
                  {formatAgo(s.newestMs)}
                </span>
              ),
              optional: true,
            },
            {
              label: 'Size (MB)',
              value: (s) => (s.estimatedBytes / 1_000_000).toFixed(3),
              render: (s) => megabytes(s.estimatedBytes),
              align: 'right',
              // On a phone the total above says it; the stream, its events and oldest fit.
              optional: true,
            },
          ]}
        />
      </div>
    </Card>
  );
}

function RetentionPassCard({
  source,
  storage,
  onApplied,
}: {
  source: SourceSummary;
  storage: SourceStorage;
  onApplied: () => void;
}) {
  const { api, user } = useSession();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const [applying, setApplying] = useState(false);
  const [result, setResult] = useState<RetentionPass | null>(null);
  const last = storage.lastPass;
  // The confirmation takes focus on its Cancel (the harmless answer); closed, focus goes back to
  // the button that opened it.
  const opener = useRef<HTMLButtonElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const opened = useRef(false);
  useEffect(() => {
    if (confirming) cancel.current?.focus();
    else if (opened.current) opener.current?.focus();
    opened.current = confirming;
  }, [confirming]);

  async function apply() {
    setApplying(true);
    try {
      const pass = await applyRetention(api, source.id);
      setResult(pass);
      setConfirming(false);
      toast.success(`Retention applied: ${plural(deletedEvents(pass), 'event')} deleted.`);
      onApplied();
    } catch (error) {
      toast.failure(
        error,
        error instanceof ApiError && error.code === 'conflict'
          ? 'Retention is already being applied'
          : 'Retention was not applied',
      );
    } finally {
      setApplying(false);
    }
  }

  return (
    <Card title="Retention passes">
      <Facts
        facts={[
          [
            'Last pass',
            last === null ? (
              'None yet'
            ) : (
              <span title={formatDateTime(last.at)}>
                {formatAgo(last.at)} · {plural(deletedEvents(last), 'event')} deleted
              </span>
            ),
          ],
          ...(last === null
            ? []
            : [['Held back', <HeldBack key="held" pass={last} />] as [string, ReactNode]]),
          [
            'Next pass',
            <span key="next" title={formatDateTime(storage.nextPassAt)}>
              {storage.nextPassAt <= Date.now() + 60_000
                ? 'Due now (within the next check)'
                : `${formatAgo(storage.nextPassAt)} (${formatDateTime(storage.nextPassAt)})`}
            </span>,
          ],
          ['Deletes events before', formatDateTime(storage.eventsCutoffMs)],
        ]}
      />
      {canManage(user) && !confirming && (
        <div className="form-actions">
          <button
            ref={opener}
            type="button"
            className="button"
            onClick={() => {
              setResult(null);
              setConfirming(true);
            }}
          >
            Apply retention now
          </button>
        </div>
      )}
      {confirming && (
        <div
          className="verdict verdict-warn"
          role="group"
          aria-label="Confirm applying retention"
          onKeyDown={(event) => {
            if (event.key === 'Escape' && !applying) setConfirming(false);
          }}
        >
          <p className="verdict-title">Apply retention now?</p>
          <p>
            This deletes the events older than {plural(storage.retentionDays, 'day')} (before{' '}
            {formatDate(storage.eventsCutoffMs)}) and the rollups older than{' '}
            {plural(storage.rollupRetentionDays, 'day')}. It cannot be undone. Events a forwarding
            destination has not delivered yet are kept.
          </p>
          <div className="form-actions">
            <button
              type="button"
              className="button button-danger"
              disabled={applying}
              onClick={() => void apply()}
            >
              {applying ? 'Deleting…' : 'Delete old events'}
            </button>
            <button
              ref={cancel}
              type="button"
              className="button button-ghost"
              disabled={applying}
              onClick={() => {
                setConfirming(false);
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
      {result !== null && <PassResult pass={result} />}
    </Card>
  );
}

/** Which destination kept events back on which stream, or "Nothing". */
function HeldBack({ pass }: { pass: RetentionPass }) {
  const held = pass.streams.filter((s) => s.heldBy !== undefined);
  if (held.length === 0) return <span className="muted">Nothing</span>;
  return (
    <span>{held.map((s) => `${sentenceCase(s.stream)} by ${s.heldBy ?? ''}`).join('; ')}</span>
  );
}

function PassResult({ pass }: { pass: RetentionPass }) {
  const held = pass.streams.some((s) => s.heldBy !== undefined);
  return (
    <div
      className={`verdict ${held || pass.interrupted ? 'verdict-warn' : 'verdict-good'}`}
      role="status"
      data-testid="retention-result"
    >
      <p className="verdict-title">
        Retention applied: {plural(deletedEvents(pass), 'event')} and{' '}
        {plural(pass.rollupRowsDeleted, 'rollup row')} deleted in {formatNumber(pass.tookMs)} ms
      </p>
      <ul className="plain-list">
        {pass.streams.map((s) => (
          <li key={s.stream}>
            {sentenceCase(s.stream)}: {plural(s.deleted, 'event')} deleted
            {s.heldBy !== undefined &&
              ` — events from ${formatDate(s.deletedBeforeMs)} on kept for ${s.heldBy}, which has not delivered them`}
          </li>
        ))}
      </ul>
      {pass.interrupted !== undefined && (
        <p>Stopped early ({pass.interrupted}); the next pass goes on.</p>
      )}
    </div>
  );
}

function RetentionForm({ source, onSaved }: { source: SourceSummary; onSaved: () => void }) {
  const { api, user } = useSession();
  const toast = useToast();
  const manage = canManage(user);
  const [days, setDays] = useState(String(source.settings.retentionDays));
  const [rollupDays, setRollupDays] = useState(String(source.settings.rollupRetentionDays));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);

  async function save(event: SyntheticEvent) {
    event.preventDefault();
    const missing: Record<string, string> = {};
    if (days.trim() === '') missing['retentionDays'] = 'Enter a number of days.';
    if (rollupDays.trim() === '') missing['rollupRetentionDays'] = 'Enter a number of days.';
    if (Object.keys(missing).length > 0) {
      setProblems(missing);
      return;
    }
    setSaving(true);
    try {
      await updateSource(api, source.id, {
        settings: { retentionDays: Number(days), rollupRetentionDays: Number(rollupDays) },
      });
      setProblems({});
      toast.success('Retention saved.');
      onSaved();
    } catch (error) {
      if (error instanceof ApiError) {
        setProblems(
          Object.fromEntries(
            Object.entries(error.fieldProblems()).map(([k, v]) => [
              k.replace(/^settings\./, ''),
              v,
            ]),
          ),
        );
      }
      toast.failure(error, 'The retention was not saved');
    } finally {
      setSaving(false);
    }
  }

  return (
    <Card title="Retention">
      <form className="form" onSubmit={(event) => void save(event)} noValidate>
        <TextField
          label="Keep events (days)"
          type="number"
          min={180}
          max={3650}
          value={days}
          onChange={setDays}
          error={problems['retentionDays']}
          hint={`180 to 3,650${roughly(days)}. Older events are deleted by the daily pass.`}
          disabled={!manage}
        />
        <TextField
          label="Keep rollups (days)"
          type="number"
          min={180}
          max={3650}
          value={rollupDays}
          onChange={setRollupDays}
          error={problems['rollupRetentionDays']}
          hint={`At least as long as events, up to 3,650${roughly(rollupDays)}. Rollups feed the daily chart, days active and usage reports.`}
          disabled={!manage}
        />
        {manage ? (
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={saving}>
              {saving ? 'Saving…' : 'Save retention'}
            </button>
          </div>
        ) : (
          <p className="muted">Only administrators and managers of this source can change it.</p>
        )}
      </form>
      <p className="muted small">
        Duo keeps 180 days of logs: events deleted here cannot be fetched from Duo again.
      </p>
    </Card>
  );
}
