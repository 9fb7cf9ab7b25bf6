/**
 * ArcSight CEF: `CEF:0|Duo Security|duo-insights|<version>|<signature id>|<name>|<severity>|ext`.
 * Header fields escape `\` and `|`; extension values escape `\`, `=` and line breaks (`\n`,
 * `\r`); neither may carry a raw line break, so a Duo value cannot split or forge a message.
 *
 * @example formatCef(record) // 'CEF:0|Duo Security|duo-insights|1.0.0|authentication:denied|Authentication denied|6|rt=… suser=alice …'
 */
import { VERSION } from '../version.js';
import { severityOf, type ForwardRecord } from './record.js';

/** A header field: `\` → `\\`, `|` → `\|`; a line break becomes a space (none is allowed). */
export function escapeCefHeader(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|[\r\n]/g, ' ');
}

/** An extension value: `\` → `\\`, `=` → `\=`, CR → `\r`, LF → `\n`. */
export function escapeCefValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/=/g, '\\=')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
}

const LABELS: Readonly<Record<string, string>> = {
  authentication: 'Authentication',
  administrator: 'Administrator action',
  telephony: 'Telephony',
  offline_enrollment: 'Offline enrollment',
  activity: 'Activity',
  test: 'duo-insights test message',
};

/** What Duo calls the action on administrator and activity records, when it says. */
function actionOf(duo: unknown): string | null {
  if (duo === null || typeof duo !== 'object') return null;
  const record = duo as Record<string, unknown>;
  for (const key of ['action', 'event_type']) {
    const value = record[key];
    if (typeof value === 'string') return value;
    if (value !== null && typeof value === 'object' && 'name' in value) {
      const name = value.name;
      if (typeof name === 'string') return name;
    }
  }
  return null;
}

export function formatCef(record: ForwardRecord): string {
  const severity = severityOf(record).cef;
  const action = actionOf(record.duo);
  const outcome = record.result ?? action;
  const signature = outcome === null ? record.stream : `${record.stream}:${outcome}`;
  const label = LABELS[record.stream] ?? record.stream;
  const name = outcome === null ? label : `${label} ${outcome}`;
  const extension: [string, string | number | null][] = [
    ['rt', record.timeMs],
    ['externalId', record.id],
    ['suser', record.user.name],
    ['suid', record.user.key],
    ['src', record.ip],
    ['outcome', record.result],
    ['reason', record.reason],
    ['act', action],
    ['cs1Label', record.factor === null ? null : 'factor'],
    ['cs1', record.factor],
    ['cs2Label', record.application === null ? null : 'application'],
    ['cs2', record.application],
    ['cs3Label', record.location === null ? null : 'location'],
    ['cs3', record.location],
    ['cs4Label', record.txid === null ? null : 'txid'],
    ['cs4', record.txid],
    ['cs5Label', 'sourceId'],
    ['cs5', record.sourceId === '' ? null : record.sourceId],
    ['deviceProcessName', record.stream],
    ['requestClientApplication', record.browser],
    ['dvchost', null],
    ['cs6Label', record.os === null ? null : 'os'],
    ['cs6', record.os],
  ];
  const ext = extension
    .filter((pair): pair is [string, string | number] => pair[1] !== null)
    .map(([k, v]) => `${k}=${escapeCefValue(String(v))}`)
    .join(' ');
  const header = [
    'CEF:0',
    'Duo Security',
    'duo-insights',
    VERSION,
    signature,
    name,
    String(severity),
  ].map((field, i) => (i === 0 ? field : escapeCefHeader(field)));
  return `${header.join('|')}|${ext}`;
}
