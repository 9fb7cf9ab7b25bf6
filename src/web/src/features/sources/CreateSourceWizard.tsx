/**
 * Create source, as a new user walks it: 1 connector → 2 name, description, Source Owner,
 * governance group (Continue creates the source) → 3 Configuration (Save) → 4 Review and Test.
 */
import { useState, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/client';
import { Card, Facts, PageHeader, SelectField, TextField } from '../../ui/components';
import { useResource } from '../../ui/resource';
import { href, navigate } from '../../ui/router';
import { useToast } from '../../ui/toasts';
import { useSession } from '../auth/session';
import { listGovernanceGroups } from '../governance-groups/api';
import type { Identity } from '../identities/api';
import { IdentityPicker } from '../identities/IdentityPicker';
import {
  createSource,
  SOURCE_TYPE_LABELS,
  startAggregation,
  type Source,
  type SourceType,
} from './api';
import { SourceStateBadge } from './badges';
import { ConfigurationForm } from './ConfigurationForm';
import { TestConnectionPanel } from './TestConnectionPanel';

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

export function CreateSourceWizard() {
  const [step, setStep] = useState(0);
  const [type, setType] = useState<SourceType | null>(null);
  const [source, setSource] = useState<Source | null>(null);

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
            onChange={setType}
            onContinue={() => {
              setStep(1);
            }}
          />
        )}
        {step === 1 && type && (
          <DetailsStep
            type={type}
            onBack={() => {
              setStep(0);
            }}
            onCreated={(created) => {
              setSource(created);
              setStep(2);
            }}
          />
        )}
        {step === 2 && source && (
          <>
            <h2>Configuration</h2>
            <ConfigurationForm
              source={source}
              onSaved={(saved) => {
                setSource(saved);
                setStep(3);
              }}
            />
          </>
        )}
        {step === 3 && source && (
          <ReviewStep
            source={source}
            onEdit={() => {
              setStep(2);
            }}
          />
        )}
      </Card>
    </>
  );
}

function ConnectorStep({
  type,
  onChange,
  onContinue,
}: {
  type: SourceType | null;
  onChange: (type: SourceType) => void;
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
      <div className="form-actions">
        <a className="button button-ghost" href={href('/sources')}>
          Cancel
        </a>
        <button type="submit" className="button button-primary" disabled={!type}>
          Continue
        </button>
      </div>
    </form>
  );
}

function DetailsStep({
  type,
  onBack,
  onCreated,
}: {
  type: SourceType;
  onBack: () => void;
  onCreated: (source: Source) => void;
}) {
  const { api } = useSession();
  const toast = useToast();
  const groups = useResource(() => listGovernanceGroups(api), [api]);
  const [name, setName] = useState(type === 'duo' ? 'Duo' : 'Duo activity');
  const [description, setDescription] = useState('');
  const [owner, setOwner] = useState<Identity | null>(null);
  const [groupId, setGroupId] = useState('');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: SyntheticEvent) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!name.trim()) local['name'] = 'Give the source a name.';
    if (!owner) local['ownerIdentityId'] = 'Choose the Source Owner.';
    setProblems(local);
    if (!owner || Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const created = await createSource(api, {
        type,
        name: name.trim(),
        description: description.trim() || null,
        ownerIdentityId: owner.id,
        ...(groupId ? { governanceGroupId: groupId } : {}),
      });
      toast.success(`Source “${created.name}” created. Now enter its Duo credentials.`);
      onCreated(created);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'validation_failed')
        setProblems(error.fieldProblems());
      else if (error instanceof ApiError && error.code === 'conflict')
        setProblems({ name: error.message });
      toast.failure(error, 'The source was not created');
      setBusy(false);
    }
  }

  const groupOptions = [
    { value: '', label: 'None' },
    ...(groups.state.data ?? []).map((g) => ({ value: g.id, label: g.name })),
  ];

  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate>
      <h2>{SOURCE_TYPE_LABELS[type]} source</h2>
      <TextField
        label="Name"
        value={name}
        onChange={setName}
        error={problems['name']}
        required
        maxLength={120}
      />
      <TextField
        label="Description"
        value={description}
        onChange={setDescription}
        error={problems['description']}
        hint="Optional: what this source covers, e.g. “Production Duo tenant”."
      />
      <IdentityPicker
        label="Source Owner"
        value={owner}
        onChange={setOwner}
        error={problems['ownerIdentityId']}
        hint="The person accountable for this source. Matches appear after two letters."
      />
      <SelectField
        label="Governance group"
        value={groupId}
        onChange={setGroupId}
        options={groupOptions}
        error={problems['governanceGroupId']}
        hint={
          groups.state.status === 'error'
            ? 'Governance groups could not be loaded.'
            : 'Optional: its members may manage this source.'
        }
      />
      <div className="form-actions">
        <button type="button" className="button button-ghost" onClick={onBack}>
          Back
        </button>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Continue'}
        </button>
      </div>
    </form>
  );
}

function ReviewStep({ source, onEdit }: { source: Source; onEdit: () => void }) {
  const { api } = useSession();
  const toast = useToast();
  const [passed, setPassed] = useState(source.state === 'verified');

  async function aggregate() {
    try {
      await startAggregation(api, source.id);
      toast.success('Aggregation started: accounts and entitlements are being gathered.');
      navigate(`/sources/${source.id}`);
    } catch (error) {
      toast.failure(error, 'The aggregation did not start');
    }
  }

  return (
    <div className="review">
      <h2>Review and Test</h2>
      <Facts
        facts={[
          ['Connector', SOURCE_TYPE_LABELS[source.type]],
          ['Name', source.name],
          ['Description', source.description ?? '—'],
          ['Integration Key', source.integrationKey ?? '—'],
          ['Secret Key', source.hasSecret ? 'Stored (write-only)' : 'Missing'],
          ['API Host', source.apiHost ?? '—'],
          ['Status', <SourceStateBadge key="state" state={passed ? 'verified' : source.state} />],
        ]}
      />
      <p className="muted">A source must pass Test Connection before it syncs.</p>
      {/* A verdict from before the configuration was edited would mislead: start blank. */}
      <TestConnectionPanel
        source={{ ...source, lastTest: null }}
        onResult={(result) => {
          setPassed(result.ok);
        }}
      />
      <div className="form-actions">
        <button type="button" className="button button-ghost" onClick={onEdit}>
          Edit configuration
        </button>
        {passed &&
          (source.type === 'duo' ? (
            <button
              type="button"
              className="button button-primary"
              onClick={() => void aggregate()}
            >
              Aggregate now
            </button>
          ) : (
            <a className="button button-primary" href={href(`/sources/${source.id}`)}>
              Open source — activity is syncing
            </a>
          ))}
        {passed && source.type === 'duo' && (
          <a className="button" href={href(`/sources/${source.id}`)}>
            Open source
          </a>
        )}
      </div>
    </div>
  );
}
