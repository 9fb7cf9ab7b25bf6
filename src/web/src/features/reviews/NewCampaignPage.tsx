/**
 * A new campaign (`/reviews/new`, `?sourceId=&entitlementId=` picks a group, as the access-review
 * report's "Start a campaign" link does): a name; the scope — Duo groups or administrator roles
 * (searched among each source's entitlements) or every account of Duo sources; the reviewers —
 * each source's owner, a governance group or named identities; the due date. The API's problems
 * are shown beside their field.
 */
import { useEffect, useId, useMemo, useState, type SyntheticEvent } from 'react';
import { ApiError, describeError } from '../../api/client';
import { Card, Loaded, PageHeader, SelectField, TextField } from '../../ui/components';
import { formatNumber } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { navigate, useRoute } from '../../ui/router';
import { useToast } from '../../ui/toasts';
import { canManage, useSession } from '../auth/session';
import { listEntitlements, type Entitlement } from '../entitlements/api';
import { listGovernanceGroups } from '../governance-groups/api';
import type { Identity } from '../identities/api';
import { IdentityPicker } from '../identities/IdentityPicker';
import { listSources } from '../sources/api';
import { campaignPath, createCampaign, type NewCampaignBody } from './api';
import './reviews.css';

const DAY_MS = 86_400_000;

/** `yyyy-mm-dd` of a local date. */
function dateInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The end of the local day a date input names, epoch ms; null when not a date. */
function endOfDay(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 59).getTime();
}

/** A problem of the API's answer under the form's field it belongs to. */
function fieldOf(path: string): string {
  if (path.startsWith('scope')) return 'scope';
  if (path.startsWith('reviewers')) return 'reviewers';
  if (path.startsWith('due')) return 'due';
  if (path.startsWith('name')) return 'name';
  return 'form';
}

export function NewCampaignPage() {
  const { api, user } = useSession();
  const toast = useToast();
  const route = useRoute();
  const sources = useResource(
    async () => (await listSources(api)).filter((s) => s.type === 'duo'),
    [api],
  );
  const groups = useResource(() => listGovernanceGroups(api), [api]);

  const [name, setName] = useState('');
  const [scopeKind, setScopeKind] = useState<'entitlements' | 'accounts'>('entitlements');
  const [sourceId, setSourceId] = useState(route.query.get('sourceId') ?? '');
  const [picked, setPicked] = useState<Entitlement[]>([]);
  const [accountSources, setAccountSources] = useState<string[]>([]);
  const [reviewerKind, setReviewerKind] = useState<
    'source_owner' | 'governance_group' | 'identities'
  >('source_owner');
  const [groupId, setGroupId] = useState('');
  const [people, setPeople] = useState<Identity[]>([]);
  const [due, setDue] = useState(dateInput(Date.now() + 14 * DAY_MS));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);

  const activeSource = sourceId || sources.state.data?.[0]?.id || '';
  const entitlements = useResource(
    () => (activeSource ? listEntitlements(api, activeSource) : Promise.resolve([])),
    [api, activeSource],
  );

  // The group the address names (the access-review report's link) starts chosen.
  const wanted = route.query.get('entitlementId');
  useEffect(() => {
    if (!wanted) return;
    const found = entitlements.state.data?.find((e) => String(e.id) === wanted);
    if (found) {
      setPicked((list) => (list.some((e) => e.id === found.id) ? list : [...list, found]));
      setName((current) => current || `Review of ${found.name}`);
    }
  }, [wanted, entitlements.state.data]);

  if (!canManage(user)) {
    return (
      <>
        <PageHeader title="New campaign" back={{ to: '/reviews', label: 'Reviews' }} />
        <Card>
          <p>Only administrators and source managers start campaigns.</p>
        </Card>
      </>
    );
  }

  function body(): NewCampaignBody | null {
    const missing: Record<string, string> = {};
    if (!name.trim()) missing['name'] = 'Give the campaign a name.';
    if (scopeKind === 'entitlements' && picked.length === 0)
      missing['scope'] = 'Choose at least one group or administrator role.';
    if (scopeKind === 'accounts' && accountSources.length === 0)
      missing['scope'] = 'Choose at least one Duo source.';
    if (reviewerKind === 'governance_group' && !groupId)
      missing['reviewers'] = 'Choose a governance group.';
    if (reviewerKind === 'identities' && people.length === 0)
      missing['reviewers'] = 'Add at least one reviewer.';
    const dueMs = endOfDay(due);
    if (dueMs === null) missing['due'] = 'Choose the due date.';
    setProblems(missing);
    if (Object.keys(missing).length > 0 || dueMs === null) return null;
    return {
      name: name.trim(),
      scope:
        scopeKind === 'entitlements'
          ? { kind: 'entitlements', entitlementIds: picked.map((e) => e.id) }
          : { kind: 'accounts', sourceIds: accountSources },
      reviewers:
        reviewerKind === 'source_owner'
          ? { kind: 'source_owner' }
          : reviewerKind === 'governance_group'
            ? { kind: 'governance_group', governanceGroupId: groupId }
            : { kind: 'identities', identityIds: people.map((p) => p.id) },
      dueMs,
    };
  }

  async function submit(event: SyntheticEvent) {
    event.preventDefault();
    const input = body();
    if (!input) return;
    setSaving(true);
    try {
      const campaign = await createCampaign(api, input);
      toast.success(
        `Campaign “${campaign.name}” started: ${formatNumber(campaign.progress.total)} items to review.`,
      );
      navigate(campaignPath(campaign.id));
    } catch (error) {
      const byField: Record<string, string> = {};
      if (error instanceof ApiError) {
        for (const [path, message] of Object.entries(error.fieldProblems())) {
          const field = fieldOf(path);
          byField[field] = byField[field] ? `${byField[field]} ${message}` : message;
        }
      }
      if (Object.keys(byField).length === 0) byField['form'] = describeError(error);
      setProblems(byField);
      setSaving(false);
    }
  }

  return (
    <>
      <PageHeader
        title="New campaign"
        subtitle="Reviewers keep or revoke each access; the items are fixed now, with the activity they show today."
        back={{ to: '/reviews', label: 'Reviews' }}
      />
      <Card>
        <form className="form review-form" onSubmit={(event) => void submit(event)} noValidate>
          <TextField
            label="Name"
            value={name}
            onChange={setName}
            error={problems['name']}
            placeholder="VPN users, Q4"
            maxLength={200}
          />

          <fieldset className="review-fieldset">
            <legend>What is reviewed</legend>
            <div className="radio-row">
              <label>
                <input
                  type="radio"
                  name="scope"
                  checked={scopeKind === 'entitlements'}
                  onChange={() => {
                    setScopeKind('entitlements');
                  }}
                />{' '}
                Members of groups or administrator roles
              </label>
              <label>
                <input
                  type="radio"
                  name="scope"
                  checked={scopeKind === 'accounts'}
                  onChange={() => {
                    setScopeKind('accounts');
                  }}
                />{' '}
                Every account of a Duo source
              </label>
            </div>
            <Loaded resource={sources.state} retry={sources.reload} label="Loading sources…">
              {(list) =>
                list.length === 0 ? (
                  <p className="muted">A campaign needs a Duo source with aggregated accounts.</p>
                ) : scopeKind === 'entitlements' ? (
                  <>
                    <SelectField
                      label="Duo source"
                      value={activeSource}
                      onChange={setSourceId}
                      options={list.map((s) => ({ value: s.id, label: s.name }))}
                    />
                    <EntitlementPicker
                      entitlements={entitlements.state.data ?? []}
                      loading={entitlements.state.status === 'loading'}
                      picked={picked}
                      onChange={setPicked}
                      error={problems['scope']}
                    />
                  </>
                ) : (
                  <div className={`field ${problems['scope'] ? 'field-invalid' : ''}`}>
                    <span className="label">Duo sources</span>
                    <ul className="review-checklist">
                      {list.map((s) => (
                        <li key={s.id}>
                          <label>
                            <input
                              type="checkbox"
                              checked={accountSources.includes(s.id)}
                              onChange={(event) => {
                                const on = event.target.checked;
                                setAccountSources((ids) =>
                                  on ? [...ids, s.id] : ids.filter((id) => id !== s.id),
                                );
                              }}
                            />{' '}
                            {s.name}
                          </label>
                        </li>
                      ))}
                    </ul>
                    <p className={problems['scope'] ? 'field-error' : 'field-hint'}>
                      {problems['scope'] ??
                        'Each account is one item; a revocation disables the Duo user.'}
                    </p>
                  </div>
                )
              }
            </Loaded>
          </fieldset>

          <fieldset className="review-fieldset">
            <legend>Reviewers</legend>
            <div className="radio-row">
              <label>
                <input
                  type="radio"
                  name="reviewers"
                  checked={reviewerKind === 'source_owner'}
                  onChange={() => {
                    setReviewerKind('source_owner');
                  }}
                />{' '}
                Each source’s owner
              </label>
              <label>
                <input
                  type="radio"
                  name="reviewers"
                  checked={reviewerKind === 'governance_group'}
                  onChange={() => {
                    setReviewerKind('governance_group');
                  }}
                />{' '}
                A governance group
              </label>
              <label>
                <input
                  type="radio"
                  name="reviewers"
                  checked={reviewerKind === 'identities'}
                  onChange={() => {
                    setReviewerKind('identities');
                  }}
                />{' '}
                Named people
              </label>
            </div>
            {reviewerKind === 'governance_group' && (
              <SelectField
                label="Governance group"
                value={groupId}
                onChange={setGroupId}
                error={problems['reviewers']}
                hint="Its members when the campaign starts review every item."
                options={[
                  {
                    value: '',
                    label: groups.state.status === 'loading' ? 'Loading…' : 'Choose a group',
                  },
                  ...(groups.state.data ?? []).map((g) => ({ value: g.id, label: g.name })),
                ]}
              />
            )}
            {reviewerKind === 'identities' && (
              <>
                {people.length > 0 && (
                  <ul className="review-people" aria-label="Reviewers chosen">
                    {people.map((p) => (
                      <li key={p.id}>
                        <span>{p.displayName}</span>
                        <button
                          type="button"
                          className="button button-small button-ghost"
                          aria-label={`Remove ${p.displayName}`}
                          onClick={() => {
                            setPeople((list) => list.filter((x) => x.id !== p.id));
                          }}
                        >
                          Remove
                        </button>
                      </li>
                    ))}
                  </ul>
                )}
                <IdentityPicker
                  label="Add a reviewer"
                  value={null}
                  allowCreate={false}
                  error={problems['reviewers']}
                  hint="Each named person reviews every item (never their own access)."
                  onChange={(identity) => {
                    if (identity)
                      setPeople((list) =>
                        list.some((p) => p.id === identity.id) ? list : [...list, identity],
                      );
                  }}
                />
              </>
            )}
            {reviewerKind === 'source_owner' && (
              <p className="field-hint">
                {problems['reviewers'] ?? 'The owner of each item’s source reviews it.'}
              </p>
            )}
          </fieldset>

          <TextField
            label="Due"
            type="date"
            value={due}
            onChange={setDue}
            error={problems['due']}
            min={dateInput(Date.now() + DAY_MS)}
          />

          {problems['form'] && (
            <p className="field-error review-form-error" role="alert">
              {problems['form']}
            </p>
          )}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={saving}>
              {saving ? 'Starting…' : 'Start campaign'}
            </button>
            <a className="button button-ghost" href="/reviews">
              Cancel
            </a>
          </div>
        </form>
      </Card>
    </>
  );
}

/** Searchable checkboxes of a source's entitlements; the chosen ones (of any source) as chips. */
function EntitlementPicker({
  entitlements,
  loading,
  picked,
  onChange,
  error,
}: {
  entitlements: readonly Entitlement[];
  loading: boolean;
  picked: readonly Entitlement[];
  onChange: (list: Entitlement[]) => void;
  error: string | undefined;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const shown = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return entitlements
      .filter((e) => !needle || e.name.toLowerCase().includes(needle))
      .slice(0, 50);
  }, [entitlements, text]);
  const isPicked = (e: Entitlement) => picked.some((p) => p.id === e.id);
  return (
    <div className={`field ${error ? 'field-invalid' : ''}`}>
      <label htmlFor={id}>Groups and administrator roles</label>
      <input
        id={id}
        type="search"
        value={text}
        placeholder="Search this source’s entitlements"
        aria-describedby={`${id}-hint`}
        onChange={(event) => {
          setText(event.target.value);
        }}
      />
      {picked.length > 0 && (
        <ul className="review-chips" aria-label="Chosen">
          {picked.map((e) => (
            <li key={e.id}>
              <span>{e.name}</span>
              <button
                type="button"
                className="review-chip-remove"
                aria-label={`Remove ${e.name}`}
                onClick={() => {
                  onChange(picked.filter((p) => p.id !== e.id));
                }}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <ul className="review-checklist review-entitlements" aria-label="Entitlements of the source">
        {loading && <li className="muted">Loading…</li>}
        {!loading && shown.length === 0 && (
          <li className="muted">{text ? `Nothing matches “${text}”.` : 'No entitlement.'}</li>
        )}
        {shown.map((e) => (
          <li key={e.id}>
            <label>
              <input
                type="checkbox"
                checked={isPicked(e)}
                onChange={(event) => {
                  onChange(
                    event.target.checked ? [...picked, e] : picked.filter((p) => p.id !== e.id),
                  );
                }}
              />{' '}
              {e.name}{' '}
              <span className="muted small">
                {e.kind === 'admin_role' ? 'Administrator role' : 'Duo group'}
              </span>
            </label>
          </li>
        ))}
      </ul>
      <p className={error ? 'field-error' : 'field-hint'} id={`${id}-hint`}>
        {error ?? 'Each current member is one item.'}
      </p>
    </div>
  );
}
