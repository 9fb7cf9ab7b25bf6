/**
 * Create source, as a new user walks it: 1 connector → 2 name, description, Source Owner,
 * governance group → 3 Configuration → 4 Review and Test. Every step has Back and Cancel. Nothing
 * reaches the server before Test Connection on the review step: the source is created (and its
 * credentials stored) then, as a draft; Cancel, or leaving the wizard before a test passed
 * (closing the tab too), deletes the draft, so an abandoned wizard leaves no half-made source.
 * Problems with a field show under it, on its step, and clear as soon as it is changed; they are
 * not also toasts.
 */
import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { ApiError, describeError } from '../../api/client';
import { Badge, Card, Facts, PageHeader, SelectField, TextField } from '../../ui/components';
import { useStepFocus } from '../../ui/focus';
import { useResource } from '../../ui/resource';
import { href, navigate } from '../../ui/router';
import { useToast } from '../../ui/toasts';
import { useSession } from '../auth/session';
import { listGovernanceGroups } from '../governance-groups/api';
import type { Identity } from '../identities/api';
import { IdentityPicker } from '../identities/IdentityPicker';
import {
  configureSource,
  createSource,
  deleteSource,
  SOURCE_TYPE_LABELS,
  startAggregation,
  updateSource,
  type ConnectionTest,
  type Source,
  type SourceType,
} from './api';
import { CredentialFields, credentialProblems, type Credentials } from './CredentialFields';
import { RateLimitWait, testConnectionWaiting } from './RateLimitWait';
import { Verdict } from './TestConnectionPanel';
import './CreateSourceWizard.css';

const STEPS = ['Connector', 'Details', 'Configuration', 'Review and Test'] as const;

const CONNECTORS: readonly { type: SourceType; body: string; permission: string }[] = [
  {
    type: 'duo',
    body: 'Identity governance: aggregates Duo users as accounts (status, groups) and Duo groups as entitlements.',
    permission: 'Needs “Grant read resource”.',
  },
  {
    type: 'duo-activity',
    body: 'Syncs authentication, telephony, offline enrollment and administrator logs, at once and then every 24 hours.',
    permission: 'Needs only “Grant read log”.',
  },
];

type Problems = Record<string, string>;

interface Details {
  readonly name: string;
  readonly description: string;
  readonly owner: Identity | null;
  readonly groupId: string;
}

/** Which step shows a field's problem. */
const DETAIL_FIELDS = new Set([
  'type',
  'name',
  'description',
  'ownerIdentityId',
  'governanceGroupId',
]);

/** A copy of `problems` without `field`: a field's problem goes as soon as it is changed. */
function without(problems: Problems, field: string): Problems {
  if (!(field in problems)) return problems;
  return Object.fromEntries(Object.entries(problems).filter(([key]) => key !== field));
}

export function CreateSourceWizard() {
  const { api } = useSession();
  const toast = useToast();
  const [step, setStep] = useState(0);
  useStepFocus(step, '.wizard-card');
  const [type, setType] = useState<SourceType | null>(null);
  const [details, setDetails] = useState<Details>({
    name: '',
    description: '',
    owner: null,
    groupId: '',
  });
  const [credentials, setCredentials] = useState<Credentials>({
    integrationKey: '',
    secretKey: '',
    apiHost: '',
  });
  const [problems, setProblems] = useState<Problems>({});
  // The draft on the server, once Test Connection created it, and what it was last sent.
  const [draft, setDraft] = useState<Source | null>(null);
  const sent = useRef<{ details: Details | null; credentials: Credentials | null }>({
    details: null,
    credentials: null,
  });
  const [verdict, setVerdict] = useState<ConnectionTest | null>(null);
  const groups = useResource(() => listGovernanceGroups(api), [api]);

  // Leaving the wizard before a test passed deletes the draft: no half-made source stays behind.
  const unfinished = useRef<Source | null>(null);
  unfinished.current = draft && !verdict?.ok ? draft : null;
  useEffect(() => {
    // Closing the tab or the browser leaves the wizard too: the deletion is sent as the page
    // goes, and outlives it.
    const onPageHide = () => {
      const left = unfinished.current;
      unfinished.current = null;
      if (left)
        void deleteSource(api, left.id, left.name, { keepalive: true }).catch(() => undefined);
    };
    window.addEventListener('pagehide', onPageHide);
    return () => {
      window.removeEventListener('pagehide', onPageHide);
      const left = unfinished.current;
      if (left) void deleteSource(api, left.id, left.name).catch(() => undefined);
    };
  }, [api]);

  function chooseType(next: SourceType) {
    setType(next);
    // A source keeps its connector: a draft of the other one goes.
    if (draft && draft.type !== next) {
      void deleteSource(api, draft.id, draft.name).catch(() => undefined);
      setDraft(null);
      setVerdict(null);
      sent.current = { details: null, credentials: null };
    }
    if (!details.name || details.name === 'Duo' || details.name === 'Duo activity')
      setDetails((d) => ({ ...d, name: next === 'duo' ? 'Duo' : 'Duo activity' }));
  }

  function changeDetails(field: keyof Details, problem: string, value: Details[keyof Details]) {
    setDetails((d) => ({ ...d, [field]: value }));
    setProblems((p) => without(p, problem));
    setVerdict(null);
  }

  function changeCredentials(field: keyof Credentials, value: string) {
    setCredentials((c) => ({ ...c, [field]: value }));
    setProblems((p) => without(p, field));
    setVerdict(null);
  }

  async function cancel() {
    const left = draft;
    unfinished.current = null;
    if (left) {
      try {
        await deleteSource(api, left.id, left.name);
      } catch (error) {
        toast.failure(error, `The draft source “${left.name}” was not deleted`);
      }
    }
    navigate('/sources');
  }

  /**
   * Creates the draft (or brings it up to date) with what the steps hold. A problem with a field
   * goes back to that field's step; the answer is the draft, or null.
   */
  async function save(): Promise<Source | null> {
    if (!type || !details.owner) return null;
    let source = draft;
    try {
      if (!source) {
        source = await createSource(api, {
          type,
          name: details.name.trim(),
          description: details.description.trim() || null,
          ownerIdentityId: details.owner.id,
          ...(details.groupId ? { governanceGroupId: details.groupId } : {}),
        });
        sent.current = { details, credentials: null };
        setDraft(source);
      } else if (sent.current.details !== details) {
        source = await updateSource(api, source.id, {
          name: details.name.trim(),
          description: details.description.trim() || null,
          ownerIdentityId: details.owner.id,
          governanceGroupId: details.groupId || null,
        });
        sent.current = { ...sent.current, details };
        setDraft(source);
      }
      if (sent.current.credentials !== credentials) {
        source = await configureSource(api, source.id, {
          apiHost: credentials.apiHost.trim(),
          integrationKey: credentials.integrationKey.trim(),
          ...(credentials.secretKey ? { secretKey: credentials.secretKey } : {}),
        });
        sent.current = { ...sent.current, credentials };
        setDraft(source);
      }
      return source;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'validation_failed') {
        const fields = error.fieldProblems();
        setProblems(fields);
        const keys = Object.keys(fields);
        if (keys.length > 0) setStep(keys.some((k) => DETAIL_FIELDS.has(k)) ? 1 : 2);
        else throw error;
        return null;
      }
      if (error instanceof ApiError && error.code === 'conflict') {
        setProblems({ name: error.message });
        setStep(1);
        return null;
      }
      throw error;
    }
  }

  const groupOptions = [
    { value: '', label: 'None' },
    ...(groups.state.data ?? []).map((g) => ({ value: g.id, label: g.name })),
  ];
  const groupName = groupOptions.find((g) => g.value === details.groupId)?.label ?? '—';

  return (
    <>
      <PageHeader title="Create source" back={{ to: '/sources', label: 'Sources' }} />
      <ol className="wizard-steps" aria-label="Steps">
        {STEPS.map((label, index) => (
          <li
            key={label}
            className={
              index === step ? 'step step-current' : index < step ? 'step step-done' : 'step'
            }
            {...(index === step ? { 'aria-current': 'step' as const } : {})}
          >
            <span className="step-number" aria-hidden="true">
              {index < step ? '✓' : index + 1}
            </span>
            <span className="step-label">{label}</span>
          </li>
        ))}
      </ol>
      <Card className="wizard-card">
        {step === 0 && (
          <ConnectorStep
            type={type}
            onChange={chooseType}
            onCancel={() => void cancel()}
            onContinue={() => {
              setStep(1);
            }}
          />
        )}
        {step === 1 && type && (
          <DetailsStep
            type={type}
            details={details}
            problems={problems}
            groupOptions={groupOptions}
            groupsFailed={groups.state.status === 'error'}
            onChange={changeDetails}
            onProblems={setProblems}
            onBack={() => {
              setStep(0);
            }}
            onCancel={() => void cancel()}
            onContinue={() => {
              setStep(2);
            }}
          />
        )}
        {step === 2 && (
          <ConfigurationStep
            credentials={credentials}
            secretStored={draft?.hasSecret ?? false}
            problems={problems}
            onChange={changeCredentials}
            onProblems={setProblems}
            onBack={() => {
              setStep(1);
            }}
            onCancel={() => void cancel()}
            onContinue={() => {
              setStep(3);
            }}
          />
        )}
        {step === 3 && type && (
          <ReviewStep
            type={type}
            details={details}
            groupName={groupName}
            credentials={credentials}
            draft={draft}
            verdict={verdict}
            onVerdict={setVerdict}
            save={save}
            onBack={() => {
              setStep(2);
            }}
            onCancel={() => void cancel()}
          />
        )}
      </Card>
    </>
  );
}

/** Cancel on the left; Back and the step's own action on the right. */
function StepActions({
  onBack,
  onCancel,
  disabled = false,
  children,
}: {
  onBack?: () => void;
  onCancel: () => void;
  /** While a test runs: its draft is being made, so neither leaving nor going back. */
  disabled?: boolean;
  children?: React.ReactNode;
}) {
  return (
    <div className="form-actions wizard-actions">
      <button type="button" className="button button-ghost" onClick={onCancel} disabled={disabled}>
        Cancel
      </button>
      <span className="wizard-actions-end">
        {onBack && (
          <button type="button" className="button" onClick={onBack} disabled={disabled}>
            Back
          </button>
        )}
        {children}
      </span>
    </div>
  );
}

function ConnectorStep({
  type,
  onChange,
  onCancel,
  onContinue,
}: {
  type: SourceType | null;
  onChange: (type: SourceType) => void;
  onCancel: () => void;
  onContinue: () => void;
}) {
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (type) onContinue();
      }}
    >
      <fieldset className="connector-choice">
        <legend>Pick the connector</legend>
        {CONNECTORS.map((connector) => (
          <label
            key={connector.type}
            className={type === connector.type ? 'choice choice-selected' : 'choice'}
          >
            <input
              type="radio"
              name="connector"
              value={connector.type}
              checked={type === connector.type}
              onChange={() => {
                onChange(connector.type);
              }}
            />
            <span className="choice-title">{SOURCE_TYPE_LABELS[connector.type]}</span>
            <span className="choice-body">{connector.body}</span>
            <span className="choice-body muted">{connector.permission}</span>
          </label>
        ))}
      </fieldset>
      <StepActions onCancel={onCancel}>
        <button type="submit" className="button button-primary" disabled={!type}>
          Continue
        </button>
      </StepActions>
    </form>
  );
}

function DetailsStep({
  type,
  details,
  problems,
  groupOptions,
  groupsFailed,
  onChange,
  onProblems,
  onBack,
  onCancel,
  onContinue,
}: {
  type: SourceType;
  details: Details;
  problems: Problems;
  groupOptions: readonly { value: string; label: string }[];
  groupsFailed: boolean;
  onChange: (field: keyof Details, problem: string, value: Details[keyof Details]) => void;
  onProblems: (problems: Problems) => void;
  onBack: () => void;
  onCancel: () => void;
  onContinue: () => void;
}) {
  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const local: Problems = {};
    if (!details.name.trim()) local['name'] = 'Give the source a name.';
    else if (details.name.trim().length > 120)
      local['name'] = 'Keep the name to 120 characters or fewer.';
    if (!details.owner) local['ownerIdentityId'] = 'Choose the Source Owner.';
    onProblems(local);
    if (Object.keys(local).length === 0) onContinue();
  }

  return (
    <form className="form" onSubmit={submit} noValidate>
      <h2>{SOURCE_TYPE_LABELS[type]} source</h2>
      <TextField
        label="Name"
        value={details.name}
        onChange={(value) => {
          onChange('name', 'name', value);
        }}
        error={problems['name']}
        required
        maxLength={120}
      />
      <TextField
        label="Description"
        value={details.description}
        onChange={(value) => {
          onChange('description', 'description', value);
        }}
        error={problems['description']}
        hint="Optional: what this source covers, e.g. “Production Duo tenant”."
      />
      <IdentityPicker
        label="Source Owner"
        value={details.owner}
        onChange={(owner) => {
          onChange('owner', 'ownerIdentityId', owner);
        }}
        error={problems['ownerIdentityId']}
        hint="The person accountable for this source. Matches appear after two letters."
      />
      <SelectField
        label="Governance group"
        value={details.groupId}
        onChange={(value) => {
          onChange('groupId', 'governanceGroupId', value);
        }}
        options={groupOptions}
        error={problems['governanceGroupId']}
        hint={
          groupsFailed
            ? 'Governance groups could not be loaded.'
            : 'Optional: its members may manage this source.'
        }
      />
      <p className="muted small">
        Owner and governance group can be changed later, in the source’s Schedule and settings.
      </p>
      <StepActions onBack={onBack} onCancel={onCancel}>
        <button type="submit" className="button button-primary">
          Continue
        </button>
      </StepActions>
    </form>
  );
}

function ConfigurationStep({
  credentials,
  secretStored,
  problems,
  onChange,
  onProblems,
  onBack,
  onCancel,
  onContinue,
}: {
  credentials: Credentials;
  secretStored: boolean;
  problems: Problems;
  onChange: (field: keyof Credentials, value: string) => void;
  onProblems: (problems: Problems) => void;
  onBack: () => void;
  onCancel: () => void;
  onContinue: () => void;
}) {
  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const local = credentialProblems(credentials, secretStored);
    onProblems(local);
    if (Object.keys(local).length === 0) onContinue();
  }

  return (
    <form className="form" onSubmit={submit} noValidate>
      <h2>Configuration</h2>
      <CredentialFields
        credentials={credentials}
        secretStored={secretStored}
        problems={problems}
        onChange={onChange}
        secretHint="Write-only: stored encrypted when you test the connection, never shown again and never logged."
      />
      <StepActions onBack={onBack} onCancel={onCancel}>
        <button type="submit" className="button button-primary">
          Continue
        </button>
      </StepActions>
    </form>
  );
}

function ReviewStep({
  type,
  details,
  groupName,
  credentials,
  draft,
  verdict,
  onVerdict,
  save,
  onBack,
  onCancel,
}: {
  type: SourceType;
  details: Details;
  groupName: string;
  credentials: Credentials;
  draft: Source | null;
  verdict: ConnectionTest | null;
  onVerdict: (verdict: ConnectionTest | null) => void;
  save: () => Promise<Source | null>;
  onBack: () => void;
  onCancel: () => void;
}) {
  const { api } = useSession();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const [waitSeconds, setWaitSeconds] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);

  async function test() {
    setBusy(true);
    setProblem(null);
    onVerdict(null);
    try {
      const source = await save();
      if (!source) return;
      onVerdict(await testConnectionWaiting(api, source.id, setWaitSeconds));
    } catch (error) {
      setProblem(describeError(error));
    } finally {
      setWaitSeconds(0);
      setBusy(false);
    }
  }

  async function aggregate(source: Source) {
    try {
      await startAggregation(api, source.id);
      toast.success('Aggregation started: accounts and entitlements are being gathered.');
      navigate(`/sources/${source.id}`);
    } catch (error) {
      setProblem(describeError(error));
    }
  }

  const status = busy ? (
    <Badge tone="info">Testing…</Badge>
  ) : verdict ? (
    verdict.ok ? (
      <Badge tone="good">Passed</Badge>
    ) : (
      <Badge tone="bad">Failed</Badge>
    )
  ) : (
    <Badge tone="neutral">Not tested</Badge>
  );
  const secret = credentials.secretKey
    ? 'Entered (write-only)'
    : draft?.hasSecret
      ? 'Stored (write-only)'
      : 'Missing';
  const passed = verdict?.ok === true && draft !== null ? draft : null;

  return (
    <div className="review">
      <h2>Review and Test</h2>
      <Facts
        facts={[
          ['Connector', SOURCE_TYPE_LABELS[type]],
          ['Name', details.name.trim()],
          ['Description', details.description.trim() || '—'],
          [
            'Source Owner',
            details.owner
              ? `${details.owner.displayName}${details.owner.email ? ` · ${details.owner.email}` : ''}`
              : '—',
          ],
          ['Governance group', groupName],
          ['Integration Key', credentials.integrationKey.trim()],
          ['Secret Key', secret],
          ['API Host', credentials.apiHost.trim()],
          [
            'Status',
            <span key="status" data-testid="review-status">
              {status}
            </span>,
          ],
        ]}
      />
      <p className="muted">
        Test Connection creates the source and stores its credentials; it must pass before the
        source syncs. Owner and governance group can be changed later, in the source’s Schedule and
        settings.
      </p>
      <div className="test-panel">
        <button
          type="button"
          className="button button-primary"
          onClick={() => void test()}
          disabled={busy}
        >
          {busy ? 'Testing…' : 'Test Connection'}
        </button>
        <div aria-live="polite">
          {busy && waitSeconds > 0 && <RateLimitWait seconds={waitSeconds} />}
          {problem && (
            <div className="verdict verdict-bad" role="alert">
              <p className="verdict-title">The test could not run</p>
              <p>{problem}</p>
            </div>
          )}
          {verdict && !busy && <Verdict result={verdict} />}
        </div>
      </div>
      <StepActions onBack={onBack} onCancel={onCancel} disabled={busy}>
        {passed && type === 'duo' && (
          <a className="button" href={href(`/sources/${passed.id}`)}>
            Open source
          </a>
        )}
        {passed &&
          (type === 'duo' ? (
            <button
              type="button"
              className="button button-primary"
              onClick={() => void aggregate(passed)}
            >
              Aggregate now
            </button>
          ) : (
            <a className="button button-primary" href={href(`/sources/${passed.id}`)}>
              Open source — activity is syncing
            </a>
          ))}
      </StepActions>
    </div>
  );
}
