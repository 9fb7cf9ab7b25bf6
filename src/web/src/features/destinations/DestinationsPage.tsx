/**
 * Destinations: each with its delivery health (backlog, lag, delivered, last error), a test
 * message and delete; a form creates syslog (TCP, TLS, UDP; JSON or CEF), HTTP (Splunk HEC,
 * signed webhook) and file destinations.
 */
import { useState, type SyntheticEvent } from 'react';
import { Badge, Card, Loaded, PageHeader, SelectField, TextField } from '../../ui/components';
import { formatAgo, formatDateTime } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { DataTable } from '../../ui/table';
import { useToast } from '../../ui/toasts';
import { useSession } from '../auth/session';
import {
  createDestination,
  deleteDestination,
  listDestinations,
  targetOf,
  testDestination,
  type Destination,
} from './api';
import './destinations.css';

const TYPES = [
  { value: 'syslog', label: 'Syslog (RFC 5424)' },
  { value: 'http', label: 'HTTP' },
  { value: 'file', label: 'File (JSON lines)' },
] as const;
const TRANSPORTS = [
  { value: 'tcp', label: 'TCP' },
  { value: 'tls', label: 'TLS' },
  { value: 'udp', label: 'UDP' },
] as const;
const FORMATS = [
  { value: 'json', label: 'JSON' },
  { value: 'cef', label: 'CEF' },
] as const;
const HEADER = (
  <PageHeader
    title="Destinations"
    subtitle="Where every stored Duo event is forwarded: a SIEM, a log shipper or a file."
  />
);

const FRAMINGS = [
  { value: 'octet-counting', label: 'Octet counting (RFC 6587)' },
  { value: 'newline', label: 'Newline' },
] as const;
const PRESETS = [
  { value: 'splunk-hec', label: 'Splunk HEC' },
  { value: 'webhook', label: 'Webhook (HMAC-SHA256 signed)' },
] as const;

function State({ d }: { d: Destination }) {
  const h = d.health;
  if (h.state === 'failing')
    return (
      <Badge tone="bad" title={h.lastError ?? ''}>
        Failing
      </Badge>
    );
  if (h.state === 'idle') return <Badge tone="good">Up to date</Badge>;
  return <Badge tone="warn">Delivering</Badge>;
}

export function DestinationsPage() {
  const { api, user } = useSession();
  const toast = useToast();
  const list = useResource(() => listDestinations(api), [api]);
  const [form, setForm] = useState<Record<string, string>>({
    type: 'syslog',
    transport: 'tcp',
    format: 'json',
    framing: 'octet-counting',
    preset: 'splunk-hec',
  });
  const set = (key: string) => (value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
  };
  const field = (key: string) => form[key] ?? '';

  if (user.role !== 'admin')
    return (
      <div className="destinations">
        {HEADER}
        <Card title="Destinations">
          <p className="muted">Only an admin manages destinations.</p>
        </Card>
      </div>
    );

  function body(): Record<string, unknown> {
    const common = { name: field('name').trim() };
    const optional = (key: string) =>
      field(key).trim() === '' ? {} : { [key]: field(key).trim() };
    if (form.type === 'syslog')
      return {
        ...common,
        type: 'syslog',
        transport: field('transport'),
        host: field('host').trim(),
        port: Number(field('port')),
        format: field('format'),
        framing: field('framing'),
        ...(field('transport') === 'tls'
          ? { ...optional('caFile'), ...optional('certFile'), ...optional('clientKey') }
          : {}),
      };
    if (form.type === 'http')
      return {
        ...common,
        type: 'http',
        preset: field('preset'),
        url: field('url').trim(),
        ...optional('token'),
        ...optional('caFile'),
      };
    return { ...common, type: 'file', directory: field('directory').trim() };
  }

  async function create(event: SyntheticEvent) {
    event.preventDefault();
    try {
      await createDestination(api, body());
      toast.success('Destination created: delivery starts now.');
      setForm((f) => ({ ...f, name: '', token: '', clientKey: '' }));
      list.reload();
    } catch (error) {
      toast.failure(error, 'The destination was not created');
    }
  }

  async function test(d: Destination) {
    try {
      const result = await testDestination(api, d.id);
      if (result.ok)
        toast.success(`“${d.name}” accepted the test message (${String(result.durationMs)} ms).`);
      else
        toast.failure(
          new Error(result.error ?? 'not accepted'),
          `“${d.name}” did not accept the test message`,
        );
    } catch (error) {
      toast.failure(error, 'The test was not sent');
    }
  }

  async function remove(d: Destination) {
    if (!window.confirm(`Delete the destination “${d.name}”? It stops receiving events.`)) return;
    try {
      await deleteDestination(api, d.id);
      toast.success('Destination deleted.');
      list.refresh();
    } catch (error) {
      toast.failure(error, 'The destination was not deleted');
    }
  }

  return (
    <div className="grid-2 destinations">
      {HEADER}
      <Card title="Configured destinations" className="span-2">
        <Loaded resource={list.state} retry={list.reload}>
          {(rows) => (
            <DataTable
              caption="Destinations"
              rows={rows}
              rowKey={(d) => d.id}
              empty={
                <p className="muted table-empty">
                  No destination yet. Forward every stored Duo event to a SIEM or a log shipper.
                </p>
              }
              columns={[
                { label: 'Name', value: (d) => d.name },
                { label: 'Sends to', value: (d) => targetOf(d) },
                { label: 'State', value: (d) => d.health.state, render: (d) => <State d={d} /> },
                { label: 'Backlog', value: (d) => String(d.health.backlog) },
                {
                  label: 'Lag',
                  value: (d) => `${String(Math.round(d.health.lagMs / 1000))} s`,
                  optional: true,
                },
                { label: 'Delivered', value: (d) => String(d.health.delivered) },
                {
                  label: 'Last delivered',
                  value: (d) => formatAgo(d.health.lastDeliveredAt),
                  render: (d) => (
                    <span title={formatDateTime(d.health.lastDeliveredAt)}>
                      {formatAgo(d.health.lastDeliveredAt)}
                    </span>
                  ),
                },
                { label: 'Last error', value: (d) => d.health.lastError ?? '', optional: true },
                {
                  label: 'Actions',
                  value: () => '',
                  render: (d) => (
                    <span>
                      <button
                        type="button"
                        className="button button-small button-ghost"
                        onClick={() => void test(d)}
                      >
                        Test
                      </button>{' '}
                      <button
                        type="button"
                        className="button button-small button-ghost"
                        onClick={() => void remove(d)}
                      >
                        Delete
                      </button>
                    </span>
                  ),
                },
              ]}
            />
          )}
        </Loaded>
      </Card>
      <Card title="Create a destination">
        <form className="form" onSubmit={(event) => void create(event)}>
          <TextField label="Name" value={field('name')} onChange={set('name')} autoComplete="off" />
          <SelectField label="Type" value={field('type')} onChange={set('type')} options={TYPES} />
          {form.type === 'syslog' && (
            <>
              <SelectField
                label="Transport"
                value={field('transport')}
                onChange={set('transport')}
                options={TRANSPORTS}
              />
              <TextField
                label="Host"
                value={field('host')}
                onChange={set('host')}
                autoComplete="off"
              />
              <TextField
                label="Port"
                value={field('port')}
                onChange={set('port')}
                inputMode="numeric"
              />
              <SelectField
                label="Format"
                value={field('format')}
                onChange={set('format')}
                options={FORMATS}
              />
              {form.transport !== 'udp' && (
                <SelectField
                  label="Framing"
                  value={field('framing')}
                  onChange={set('framing')}
                  options={FRAMINGS}
                />
              )}
              {form.transport === 'tls' && (
                <>
                  <TextField
                    label="CA file"
                    value={field('caFile')}
                    onChange={set('caFile')}
                    hint="Absolute path on the server; empty: the system roots."
                  />
                  <TextField
                    label="Client certificate file"
                    value={field('certFile')}
                    onChange={set('certFile')}
                    hint="Optional; absolute path on the server."
                  />
                  <TextField
                    label="Client key (PEM)"
                    value={field('clientKey')}
                    onChange={set('clientKey')}
                    type="password"
                    hint="Stored encrypted, never shown again."
                  />
                </>
              )}
            </>
          )}
          {form.type === 'http' && (
            <>
              <SelectField
                label="Preset"
                value={field('preset')}
                onChange={set('preset')}
                options={PRESETS}
              />
              <TextField
                label="URL"
                value={field('url')}
                onChange={set('url')}
                hint={
                  form.preset === 'splunk-hec'
                    ? 'The HEC base, e.g. https://splunk:8088'
                    : 'The webhook URL'
                }
              />
              <TextField
                label={form.preset === 'splunk-hec' ? 'HEC token' : 'HMAC key'}
                value={field('token')}
                onChange={set('token')}
                type="password"
                hint="Stored encrypted, never shown again."
              />
            </>
          )}
          {form.type === 'file' && (
            <TextField
              label="Folder"
              value={field('directory')}
              onChange={set('directory')}
              hint="Absolute path on the server; rotated at 100 MB."
            />
          )}
          <div className="form-actions">
            <button
              type="submit"
              className="button button-primary"
              disabled={!field('name').trim()}
            >
              Create destination
            </button>
          </div>
        </form>
      </Card>
    </div>
  );
}
