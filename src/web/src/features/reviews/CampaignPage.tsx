/**
 * One campaign (`/reviews/:id`): its state, due date and progress (in all and per reviewer); the
 * items a page at a time, sorted and filtered by the server, with keep or revoke for the selected
 * rows (or every row the filters match), per row, and the two quick decisions; sign-off once every
 * item is decided; then a dry run, remediation in Duo (polled while it runs) with each item's
 * step and verification, or — when the revocations cannot be made through the API — the list to
 * make them by hand; and the evidence as CSV or JSON.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { ApiError, describeError } from '../../api/client';
import {
  Badge,
  Card,
  ErrorState,
  Facts,
  Loaded,
  PageHeader,
  SelectField,
  Spinner,
  TextField,
  type Tone,
} from '../../ui/components';
import { formatAgo, formatDate, formatDateTime, formatNumber, plural } from '../../ui/format';
import { useInterval, useResource } from '../../ui/resource';
import { href } from '../../ui/router';
import { DataTable, type TableSort } from '../../ui/table';
import { useToast } from '../../ui/toasts';
import { useSession } from '../auth/session';
import { AccountStatusBadge } from '../sources/badges';
import {
  decide,
  evidenceUrl,
  getCampaign,
  itemsCsvUrl,
  listReviewItems,
  remediate,
  signOff,
  type Campaign,
  type Decision,
  type DecisionsBody,
  type PlannedChange,
  type ReviewItem,
  type ReviewItemFilter,
  type ReviewItemQuery,
  type ReviewItemSort,
  type ReviewStep,
} from './api';
import { CampaignStateBadge, DueDate, ProgressBar, remediationText } from './parts';
import './reviews.css';

const PAGE_SIZE = 100;

export function CampaignPage({ id }: { id: string }) {
  const { api } = useSession();
  const campaign = useResource(() => getCampaign(api, id), [api, id]);
  const state = campaign.state.data?.state;
  useInterval(campaign.refresh, 2000, state === 'remediating');

  return (
    <Loaded resource={campaign.state} retry={campaign.reload} label="Loading the campaign…">
      {(c) => <CampaignView campaign={c} onChanged={campaign.refresh} />}
    </Loaded>
  );
}

function CampaignView({ campaign, onChanged }: { campaign: Campaign; onChanged: () => void }) {
  const { api } = useSession();
  // Items are read again whenever the campaign changes (decisions, sign-off, remediation).
  const version = `${campaign.state}:${campaign.progress.decided}:${campaign.progress.keep}:${campaign.remediation.accepted}:${campaign.remediation.removed}:${campaign.remediation.failed}:${campaign.remediation.stillPresent}`;
  return (
    <>
      <PageHeader
        title={campaign.name}
        subtitle={
          <span className="review-header-facts">
            <CampaignStateBadge state={campaign.state} />
            <span>
              Due <DueDate campaign={campaign} />
            </span>
            <span>{campaign.sources.map((s) => s.name).join(', ')}</span>
          </span>
        }
        back={{ to: '/reviews', label: 'Reviews' }}
        actions={
          <span className="review-evidence">
            <a className="button button-small" href={evidenceUrl(api, campaign.id, 'csv')} download>
              Download evidence (CSV)
            </a>
            <a
              className="button button-small"
              href={evidenceUrl(api, campaign.id, 'json')}
              download
            >
              Evidence (JSON)
            </a>
          </span>
        }
      />
      <div className="review-top">
        <Card title="Progress">
          <ProgressBar progress={campaign.progress} label="Items decided" wide />
          <p className="review-counts">
            <Badge tone="good">{formatNumber(campaign.progress.keep)} keep</Badge>{' '}
            <Badge tone="bad">{formatNumber(campaign.progress.revoke)} revoke</Badge>{' '}
            <span className="muted">
              {formatNumber(campaign.progress.total - campaign.progress.decided)} undecided
            </span>
          </p>
          {campaign.mine && (
            <p className="review-mine">
              Yours: {formatNumber(campaign.mine.decided)} of {formatNumber(campaign.mine.total)}{' '}
              decided
            </p>
          )}
          {campaign.byReviewer.length > 0 && (
            <ul className="review-reviewers" aria-label="Progress per reviewer">
              {campaign.byReviewer.map((r) => (
                <li key={r.identityId}>
                  <a href={href(`/identities/${r.identityId}`)}>{r.identityName ?? r.identityId}</a>
                  <ProgressBar
                    progress={r}
                    label={`Progress of ${r.identityName ?? r.identityId}`}
                  />
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Campaign">
          <Facts
            facts={[
              ['Created', `${formatDateTime(campaign.createdAt)} by ${campaign.createdBy}`],
              ['Due', formatDate(campaign.dueMs)],
              ['Reviewers', reviewersText(campaign)],
              [
                'Signed off',
                campaign.signedOffAt
                  ? `${formatDateTime(campaign.signedOffAt)} by ${campaign.signedOffBy ?? '—'}`
                  : 'Not yet',
              ],
              ['Remediation', remediationText(campaign)],
            ]}
          />
        </Card>
      </div>
      <NextStep campaign={campaign} onChanged={onChanged} />
      <Items campaign={campaign} version={version} onChanged={onChanged} />
    </>
  );
}

function reviewersText(campaign: Campaign): string {
  switch (campaign.reviewers.kind) {
    case 'source_owner':
      return 'Each source’s owner';
    case 'governance_group':
      return 'A governance group';
    case 'identities':
      return plural(campaign.reviewers.identityIds.length, 'named person', 'named people');
  }
}

/** Sign-off while open; dry run and remediation once signed off; remediation's progress after. */
function NextStep({ campaign, onChanged }: { campaign: Campaign; onChanged: () => void }) {
  const { api } = useSession();
  const toast = useToast();
  const [confirming, setConfirming] = useState<'sign-off' | 'remediate' | null>(null);
  const [busy, setBusy] = useState(false);
  const [plan, setPlan] = useState<readonly PlannedChange[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    if (confirming) cancel.current?.focus();
  }, [confirming]);

  function close() {
    setConfirming(null);
    opener.current?.focus();
  }

  async function run(action: () => Promise<unknown>, done: string) {
    setBusy(true);
    setProblem(null);
    try {
      await action();
      toast.success(done);
      setConfirming(null);
      onChanged();
    } catch (error) {
      setProblem(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  async function dryRun() {
    setBusy(true);
    setProblem(null);
    try {
      const answer = await remediate(api, campaign.id, true);
      setPlan(answer.changes);
    } catch (error) {
      setProblem(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  const undecided = campaign.progress.total - campaign.progress.decided;
  const r = campaign.remediation;

  if (campaign.state === 'open') {
    if (!campaign.can.signOff) return null;
    const reason =
      undecided > 0 ? `${plural(undecided, 'item is', 'items are')} still undecided.` : null;
    return (
      <Card title="Sign-off">
        <p className="muted">
          Signing off locks every decision; the revocations can then be made in Duo.
        </p>
        {confirming === 'sign-off' ? (
          <Confirm
            label="Confirm the sign-off"
            title={`Sign off “${campaign.name}”?`}
            action="Sign off"
            busy={busy}
            cancelRef={cancel}
            onCancel={close}
            onConfirm={() => void run(() => signOff(api, campaign.id), 'Campaign signed off.')}
          >
            {formatNumber(campaign.progress.keep)} kept and {formatNumber(campaign.progress.revoke)}{' '}
            revoked. Decisions cannot change afterwards.
          </Confirm>
        ) : (
          <div className="review-step-actions">
            <button
              type="button"
              className="button button-primary"
              disabled={reason !== null}
              aria-describedby={reason ? 'sign-off-reason' : undefined}
              onClick={(event) => {
                opener.current = event.currentTarget;
                setConfirming('sign-off');
              }}
            >
              Sign off
            </button>
            {reason && (
              <span className="muted" id="sign-off-reason">
                {reason}
              </span>
            )}
          </div>
        )}
        {problem && (
          <p className="form-error" role="alert">
            {problem}
          </p>
        )}
      </Card>
    );
  }

  const finished = r.accepted + r.failed + r.uncertain + r.manual;
  return (
    <Card title="Remediation">
      {r.mode === 'manual' && (
        <div className="verdict verdict-warn" data-testid="manual-remediation">
          <p className="verdict-title">The revocations are made by hand</p>
          <p>
            This campaign’s source cannot be changed through the Admin API (its credential lacks
            “Grant write resource”, or the access is an administrator role). Make each revocation in
            the Duo Admin Panel from the list.
          </p>
          <p>
            <a
              className="button button-small"
              href={itemsCsvUrl(api, campaign.id, { decision: 'revoke' })}
              download
            >
              Download the revocations (CSV)
            </a>
          </p>
        </div>
      )}
      {campaign.state === 'signed_off' && (
        <>
          <p>
            {plural(campaign.progress.revoke, 'revocation')} to make
            {r.mode === 'duo' ? ' in Duo' : ''}. A dry run lists them without changing anything.
          </p>
          {campaign.can.remediate &&
            (confirming === 'remediate' ? (
              <Confirm
                label="Confirm the remediation"
                title="Make the revocations in Duo?"
                action="Remediate in Duo"
                busy={busy}
                cancelRef={cancel}
                onCancel={close}
                onConfirm={() =>
                  void run(() => remediate(api, campaign.id, false), 'Remediation started.')
                }
              >
                {plural(campaign.progress.revoke, 'access', 'accesses')} will be revoked through the
                Admin API; the source is then aggregated again to verify each one.
              </Confirm>
            ) : (
              <div className="review-step-actions">
                <button
                  type="button"
                  className="button"
                  disabled={busy}
                  onClick={() => void dryRun()}
                >
                  Dry run
                </button>
                <button
                  type="button"
                  className="button button-primary"
                  disabled={busy}
                  onClick={(event) => {
                    opener.current = event.currentTarget;
                    setConfirming('remediate');
                  }}
                >
                  {r.mode === 'manual' ? 'Record as manual' : 'Remediate in Duo'}
                </button>
              </div>
            ))}
        </>
      )}
      {campaign.state !== 'signed_off' && (
        <div className="review-remediation" data-testid="remediation-progress">
          <p className="verdict-title">
            {campaign.state === 'remediating'
              ? 'Remediating…'
              : `Remediated ${formatAgo(r.finishedAt)}`}
          </p>
          <ProgressBar
            progress={{ decided: finished, total: r.steps }}
            label="Remediation steps finished"
            wide
          />
          <p className="review-counts">
            <Badge tone="good">{formatNumber(r.accepted)} accepted by Duo</Badge>{' '}
            {r.failed > 0 && <Badge tone="bad">{formatNumber(r.failed)} failed</Badge>}{' '}
            {r.uncertain > 0 && <Badge tone="warn">{formatNumber(r.uncertain)} uncertain</Badge>}{' '}
            {r.manual > 0 && <Badge tone="muted">{formatNumber(r.manual)} manual</Badge>}{' '}
            {r.pending > 0 && <Badge tone="info">{formatNumber(r.pending)} pending</Badge>}
          </p>
          <p className="review-counts">
            Verified after aggregation: <Badge tone="good">{formatNumber(r.removed)} removed</Badge>{' '}
            {r.stillPresent > 0 && (
              <Badge tone="bad">{formatNumber(r.stillPresent)} still present</Badge>
            )}
          </p>
        </div>
      )}
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {plan && campaign.state === 'signed_off' && (
        <div className="review-plan" data-testid="dry-run">
          <h3>Dry run: {plural(plan.length, 'change')}</h3>
          <DataTable
            caption="Planned changes"
            rows={plan}
            rowKey={(p) => String(p.itemId)}
            noun={['change', 'changes']}
            columns={[
              { label: 'User name', value: (p) => p.username },
              { label: 'Entitlement', value: (p) => p.entitlementName ?? 'The account' },
              { label: 'Action', value: (p) => ACTION_LABELS[p.action] },
              {
                label: 'Request',
                value: (p) => p.request ?? p.why,
                render: (p) => (p.request ? <code>{p.request}</code> : p.why),
                optional: true,
              },
            ]}
          />
        </div>
      )}
    </Card>
  );
}

function Confirm({
  label,
  title,
  action,
  busy,
  cancelRef,
  onCancel,
  onConfirm,
  children,
}: {
  label: string;
  title: string;
  action: string;
  busy: boolean;
  cancelRef: React.RefObject<HTMLButtonElement | null>;
  onCancel: () => void;
  onConfirm: () => void;
  children: React.ReactNode;
}) {
  return (
    <div
      className="verdict verdict-warn"
      role="group"
      aria-label={label}
      onKeyDown={(event) => {
        if (event.key === 'Escape' && !busy) onCancel();
      }}
    >
      <p className="verdict-title">{title}</p>
      <p>{children}</p>
      <div className="form-actions">
        <button type="button" className="button button-primary" disabled={busy} onClick={onConfirm}>
          {busy ? 'Working…' : action}
        </button>
        <button
          ref={cancelRef}
          type="button"
          className="button button-ghost"
          disabled={busy}
          onClick={onCancel}
        >
          Cancel
        </button>
      </div>
    </div>
  );
}

const ACTION_LABELS: Record<PlannedChange['action'], string> = {
  remove_from_group: 'Remove from the group',
  disable_user: 'Disable the Duo user',
  manual: 'By hand',
};

const STEP_TONES: Record<ReviewStep['state'], Tone> = {
  pending: 'info',
  accepted: 'good',
  failed: 'bad',
  uncertain: 'warn',
  manual: 'muted',
};

/** The Duo answer of a step in one line: its message, its status, or the JSON cut short. */
function answerText(step: ReviewStep): string {
  if (step.error) return step.error;
  const answer = step.answer;
  if (answer === null || answer === undefined) return '';
  if (typeof answer === 'object') {
    const record = answer as Record<string, unknown>;
    const parts = ['stat', 'code', 'message', 'message_detail']
      .map((key) => record[key])
      .filter((v) => typeof v === 'string' || typeof v === 'number');
    if (parts.length > 0) return parts.join(' ');
  }
  const text = JSON.stringify(answer);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

function StepCell({ step }: { step: ReviewStep | null }) {
  if (!step) return <span className="muted">—</span>;
  const answer = answerText(step);
  return (
    <span className="review-step">
      <Badge tone={STEP_TONES[step.state]}>{step.state === 'accepted' ? 'Done' : step.state}</Badge>{' '}
      <span className="small">{ACTION_LABELS[step.action]}</span>
      {step.verification && (
        <>
          {' '}
          <Badge tone={step.verification === 'removed' ? 'good' : 'bad'}>
            {step.verification === 'removed' ? 'Verified removed' : 'Still present'}
          </Badge>
        </>
      )}
      {answer && <span className="review-answer small muted optional">Duo: {answer}</span>}
    </span>
  );
}

interface Filters {
  decision: string;
  suggestion: string;
  mine: boolean;
  q: string;
  inactiveForDays: string;
  activeWithinDays: string;
}

const NO_FILTERS: Filters = {
  decision: '',
  suggestion: '',
  mine: false,
  q: '',
  inactiveForDays: '',
  activeWithinDays: '',
};

function days(text: string): number | undefined {
  const n = Number(text);
  return text.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 3650 ? n : undefined;
}

function filterOf(f: Filters, q: string): ReviewItemFilter {
  const inactive = days(f.inactiveForDays);
  const active = days(f.activeWithinDays);
  return {
    ...(f.decision ? { decision: f.decision as 'keep' | 'revoke' | 'undecided' } : {}),
    ...(f.suggestion ? { suggestion: f.suggestion as Decision } : {}),
    ...(f.mine ? { mine: true } : {}),
    ...(q ? { q } : {}),
    ...(inactive !== undefined ? { inactiveForDays: inactive } : {}),
    ...(active !== undefined ? { activeWithinDays: active } : {}),
  };
}

function Items({
  campaign,
  version,
  onChanged,
}: {
  campaign: Campaign;
  version: string;
  onChanged: () => void;
}) {
  const { api } = useSession();
  const toast = useToast();
  const commentId = useId();
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [q, setQ] = useState('');
  const [sort, setSort] = useState<TableSort | null>(null);
  const [items, setItems] = useState<ReviewItem[]>([]);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'more' | { error: unknown }>('loading');
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [deciding, setDeciding] = useState(false);
  const open = campaign.state === 'open' && campaign.can.decide;

  useEffect(() => {
    const timer = window.setTimeout(() => {
      setQ(filters.q.trim());
    }, 250);
    return () => {
      window.clearTimeout(timer);
    };
  }, [filters.q]);

  const filter = filterOf(filters, q);
  const query: ReviewItemQuery = {
    ...filter,
    ...(sort ? { sort: sort.column as ReviewItemSort, order: sort.order } : {}),
    limit: PAGE_SIZE,
  };
  const queryKey = JSON.stringify(query);

  // Another filter or sort selects other rows: the selection goes.
  useEffect(() => {
    setSelected(new Set());
    setAllMatching(false);
  }, [queryKey]);

  useEffect(() => {
    let live = true;
    setState((s) => (s === 'ready' ? 'ready' : 'loading'));
    listReviewItems(api, campaign.id, JSON.parse(queryKey) as ReviewItemQuery).then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setTotal(page.total);
        setNext(page.next);
        setState('ready');
      },
      (error: unknown) => {
        if (live) setState({ error });
      },
    );
    return () => {
      live = false;
    };
  }, [api, campaign.id, queryKey, version]);

  async function more() {
    if (!next) return;
    setState('more');
    try {
      const page = await listReviewItems(api, campaign.id, { ...query, cursor: next });
      setItems((list) => [...list, ...page.items]);
      setTotal(page.total);
      setNext(page.next);
      setState('ready');
    } catch (error) {
      setState({ error });
    }
  }

  async function send(body: DecisionsBody, what: string) {
    setDeciding(true);
    setProblem(null);
    try {
      const result = await decide(api, campaign.id, body);
      toast.success(`${what}: ${plural(result.decided, 'item')} decided.`);
      setSelected(new Set());
      setAllMatching(false);
      onChanged();
    } catch (error) {
      // A field's problem ("items.0.comment: …") reads better without the field's path.
      const fields =
        error instanceof ApiError ? [...new Set(Object.values(error.fieldProblems()))] : [];
      const text = fields.length > 0 ? fields.join(' ') : describeError(error);
      setProblem(text.charAt(0).toUpperCase() + text.slice(1));
    } finally {
      setDeciding(false);
    }
  }

  const note = comment.trim();
  function decideSelection(decision: Decision) {
    const body: DecisionsBody = allMatching
      ? { select: filter, decision, ...(note ? { comment: note } : {}) }
      : {
          items: [...selected].map((itemId) => ({
            itemId,
            decision,
            ...(note ? { comment: note } : {}),
          })),
        };
    void send(body, decision === 'keep' ? 'Kept' : 'Revoked');
  }

  function decideRow(item: ReviewItem, decision: Decision) {
    void send(
      { items: [{ itemId: item.id, decision, ...(note ? { comment: note } : {}) }] },
      `${decision === 'keep' ? 'Kept' : 'Revoked'} ${item.username}`,
    );
  }

  const pageIds = items.map((i) => i.id);
  const allOnPage = pageIds.length > 0 && pageIds.every((i) => selected.has(i));
  const count = allMatching ? total : selected.size;
  const keepsAgainst =
    !allMatching && items.some((i) => selected.has(i.id) && i.suggestion === 'revoke');

  return (
    <Card title="Items">
      <div className="filters review-filters">
        <TextField
          label="Search"
          type="search"
          value={filters.q}
          onChange={(value) => {
            setFilters((f) => ({ ...f, q: value }));
          }}
          placeholder="User name, name, e-mail or identity"
        />
        <SelectField
          label="Decision"
          value={filters.decision}
          onChange={(value) => {
            setFilters((f) => ({ ...f, decision: value }));
          }}
          options={[
            { value: '', label: 'Any decision' },
            { value: 'undecided', label: 'Undecided' },
            { value: 'keep', label: 'Keep' },
            { value: 'revoke', label: 'Revoke' },
          ]}
        />
        <SelectField
          label="Suggestion"
          value={filters.suggestion}
          onChange={(value) => {
            setFilters((f) => ({ ...f, suggestion: value }));
          }}
          options={[
            { value: '', label: 'Any suggestion' },
            { value: 'keep', label: 'Keep' },
            { value: 'revoke', label: 'Revoke' },
          ]}
        />
        <TextField
          label="Inactive for (days)"
          type="number"
          min={0}
          max={3650}
          value={filters.inactiveForDays}
          onChange={(value) => {
            setFilters((f) => ({ ...f, inactiveForDays: value }));
          }}
        />
        <TextField
          label="Active within (days)"
          type="number"
          min={0}
          max={3650}
          value={filters.activeWithinDays}
          onChange={(value) => {
            setFilters((f) => ({ ...f, activeWithinDays: value }));
          }}
        />
        {campaign.mine && (
          <label className="review-mine-filter">
            <input
              type="checkbox"
              checked={filters.mine}
              onChange={(event) => {
                const on = event.target.checked;
                setFilters((f) => ({ ...f, mine: on }));
              }}
            />{' '}
            Only mine
          </label>
        )}
      </div>

      {open && (
        <div className="review-decide" role="group" aria-label="Decide">
          <div className="review-quick">
            <span className="muted small">Quick decisions:</span>
            <button
              type="button"
              className="button button-small"
              disabled={deciding}
              onClick={() => {
                void send(
                  { select: { suggestion: 'revoke' }, decision: 'revoke' },
                  'Revoked every suggested revoke',
                );
              }}
            >
              Revoke every suggested revoke
            </button>
            <button
              type="button"
              className="button button-small"
              disabled={deciding}
              onClick={() => {
                void send(
                  {
                    select: { activeWithinDays: 30 },
                    decision: 'keep',
                    ...(note ? { comment: note } : {}),
                  },
                  'Kept everyone active in the last 30 days',
                );
              }}
            >
              Keep everyone active in the last 30 days
            </button>
          </div>
          <div className="review-selection">
            <label className="review-select-page">
              <input
                type="checkbox"
                checked={allOnPage}
                disabled={pageIds.length === 0}
                onChange={(event) => {
                  const on = event.target.checked;
                  setAllMatching(false);
                  setSelected(on ? new Set(pageIds) : new Set());
                }}
              />{' '}
              Select all on this page
            </label>
            {(allOnPage || allMatching) && total > items.length && (
              <button
                type="button"
                className="link-button"
                aria-pressed={allMatching}
                onClick={() => {
                  setAllMatching((on) => !on);
                }}
              >
                {allMatching
                  ? `All ${formatNumber(total)} matching selected (undo)`
                  : `Select all ${formatNumber(total)} matching`}
              </button>
            )}
            <span className="review-selected" aria-live="polite">
              {count > 0 ? `${plural(count, 'item')} selected` : 'Nothing selected'}
            </span>
          </div>
          <div className="field review-comment">
            <label htmlFor={commentId}>Comment</label>
            <textarea
              id={commentId}
              rows={2}
              maxLength={2000}
              value={comment}
              aria-describedby={`${commentId}-hint`}
              onChange={(event) => {
                setComment(event.target.value);
              }}
            />
            <p className="field-hint" id={`${commentId}-hint`}>
              {keepsAgainst && !note
                ? 'Some selected items are suggested for revocation: say why they stay.'
                : 'Recorded with each decision; required to keep an access suggested for revocation.'}
            </p>
          </div>
          <div className="review-decide-actions">
            <button
              type="button"
              className="button"
              disabled={deciding || count === 0}
              onClick={() => {
                decideSelection('keep');
              }}
            >
              Keep{count > 0 ? ` ${formatNumber(count)}` : ''}
            </button>
            <button
              type="button"
              className="button button-danger"
              disabled={deciding || count === 0}
              onClick={() => {
                decideSelection('revoke');
              }}
            >
              Revoke{count > 0 ? ` ${formatNumber(count)}` : ''}
            </button>
          </div>
          {problem && (
            <p className="form-error" role="alert" data-testid="decision-problem">
              {problem}
            </p>
          )}
        </div>
      )}

      {typeof state === 'object' ? (
        <ErrorState error={state.error} />
      ) : state === 'loading' && items.length === 0 ? (
        <Spinner label="Loading items…" />
      ) : (
        <DataTable
          caption="Review items"
          rows={items}
          rowKey={(i) => String(i.id)}
          total={total}
          noun={['item', 'items']}
          sort={sort}
          onSortChange={setSort}
          empty={
            <p className="muted table-empty">
              {Object.keys(filter).length > 0 ? 'No item matches these filters.' : 'No item.'}
            </p>
          }
          columns={[
            ...(open
              ? [
                  {
                    label: 'Select',
                    value: (i: ReviewItem) => (selected.has(i.id) ? 1 : 0),
                    render: (i: ReviewItem) => (
                      <input
                        type="checkbox"
                        aria-label={`Select ${i.username}${i.entitlement ? ` in ${i.entitlement.name}` : ''}`}
                        checked={allMatching || selected.has(i.id)}
                        onChange={(event) => {
                          const on = event.target.checked;
                          setAllMatching(false);
                          setSelected((set) => {
                            const nextSet = new Set(set);
                            if (on) nextSet.add(i.id);
                            else nextSet.delete(i.id);
                            return nextSet;
                          });
                        }}
                      />
                    ),
                  },
                ]
              : []),
            { label: 'User name', value: (i) => i.username, sortKey: 'username' },
            // After sign-off what happened to each item comes first.
            ...(campaign.state === 'open'
              ? []
              : [
                  {
                    label: 'Remediation',
                    value: (i: ReviewItem) => i.step?.state ?? '',
                    render: (i: ReviewItem) => <StepCell step={i.step} />,
                  },
                ]),
            { label: 'Name', value: (i) => i.realname ?? '', optional: true },
            {
              label: 'Identity',
              value: (i) => i.identityName ?? '',
              render: (i) =>
                i.identityId ? (
                  <a href={href(`/identities/${i.identityId}`)}>{i.identityName ?? i.identityId}</a>
                ) : (
                  <Badge tone="warn">Not linked</Badge>
                ),
              optional: true,
            },
            {
              label: 'Entitlement',
              value: (i) => i.entitlement?.name ?? 'Account',
              sortKey: 'entitlement',
              optional: true,
            },
            {
              label: 'Status',
              value: (i) => i.accountStatus,
              render: (i) => <AccountStatusBadge status={i.accountStatus} />,
              optional: true,
            },
            {
              label: 'Last activity',
              value: (i) => formatDateTime(i.lastActivityMs),
              sortKey: 'lastActivity',
              render: (i) => (
                <span title={formatDateTime(i.lastActivityMs)}>{formatAgo(i.lastActivityMs)}</span>
              ),
            },
            {
              label: 'Last success',
              value: (i) => formatDateTime(i.lastSuccessMs),
              render: (i) => (
                <span title={formatDateTime(i.lastSuccessMs)}>{formatAgo(i.lastSuccessMs)}</span>
              ),
              optional: true,
            },
            {
              label: 'Days active (90)',
              value: (i) => i.daysActive90,
              sortKey: 'daysActive90',
              align: 'right',
              optional: true,
            },
            {
              label: 'Suggestion',
              value: (i) => `${i.suggestion}: ${i.reason}`,
              sortKey: 'suggestion',
              render: (i) => (
                <span className="review-suggestion">
                  <Badge tone={i.suggestion === 'keep' ? 'good' : 'bad'}>
                    {i.suggestion === 'keep' ? 'Keep' : 'Revoke'}
                  </Badge>
                  <span className="small muted optional">{i.reason}</span>
                </span>
              ),
            },
            {
              label: 'Decision',
              value: (i) => i.decision ?? '',
              sortKey: 'decision',
              render: (i) => <DecisionCell item={i} />,
            },
            {
              label: 'Decided by',
              value: (i) => i.decidedBy ?? '',
              render: (i) =>
                i.decidedBy ? (
                  <span title={formatDateTime(i.decidedAt)}>{i.decidedBy}</span>
                ) : (
                  <span className="muted">—</span>
                ),
              optional: true,
            },
            ...(open
              ? [
                  {
                    label: 'Actions',
                    value: () => '',
                    render: (i: ReviewItem) => (
                      <span className="review-row-actions">
                        <button
                          type="button"
                          className="button button-small"
                          disabled={deciding}
                          aria-label={`Keep ${i.username}`}
                          onClick={() => {
                            decideRow(i, 'keep');
                          }}
                        >
                          Keep
                        </button>
                        <button
                          type="button"
                          className="button button-small button-danger"
                          disabled={deciding}
                          aria-label={`Revoke ${i.username}`}
                          onClick={() => {
                            decideRow(i, 'revoke');
                          }}
                        >
                          Revoke
                        </button>
                      </span>
                    ),
                  },
                ]
              : []),
          ]}
          footer={
            next && (
              <div className="table-more">
                <button
                  type="button"
                  className="button"
                  onClick={() => void more()}
                  disabled={state === 'more'}
                >
                  {state === 'more' ? 'Loading…' : 'Load more'}
                </button>
              </div>
            )
          }
        />
      )}
    </Card>
  );
}

function DecisionCell({ item }: { item: ReviewItem }) {
  if (!item.decision) return <span className="muted">Undecided</span>;
  return (
    <span className="review-decision">
      <Badge tone={item.decision === 'keep' ? 'good' : 'bad'}>
        {item.decision === 'keep' ? 'Keep' : 'Revoke'}
      </Badge>
      {item.comment && <span className="small muted">“{item.comment}”</span>}
    </span>
  );
}
