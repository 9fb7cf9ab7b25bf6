/**
 * RFC 5424 syslog messages and RFC 6587 framing. Each message:
 * `<PRI>1 TIMESTAMP HOST duo-insights - STREAM [duoInsights@32473 eventId="…"] MSG`, facility
 * authpriv (10), severity by result, the event's own time, MSG the JSON record or a CEF line.
 * Framing over TCP/TLS: octet counting (`LEN SP MSG`, any content) or newline (LF after each
 * message; the JSON and CEF forms hold no raw line break). Over UDP: one message per datagram.
 *
 * @example frame(syslogMessage(record, 'json', host), 'octet-counting')
 */
import type { SyslogFormat, SyslogFraming } from '../domain/destinations.js';
import { formatCef } from './cef.js';
import { severityOf, type ForwardRecord } from './record.js';

const FACILITY_AUTHPRIV = 10;
/** 32473 is the enterprise number RFC 5612 reserves for documentation and examples. */
const SD_ID = 'duoInsights@32473';

/** A header field of RFC 5424: printable US-ASCII without spaces, at most `max`, or `-`. */
function headerField(value: string, max: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return cleaned === '' ? '-' : cleaned;
}

/** An SD-PARAM value: `"`, `\` and `]` escaped with a backslash. */
function sdValue(value: string): string {
  return value.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

export function messageBody(record: ForwardRecord, format: SyslogFormat): string {
  return format === 'cef' ? formatCef(record) : JSON.stringify(record);
}

export function syslogMessage(record: ForwardRecord, format: SyslogFormat, host: string): string {
  const pri = FACILITY_AUTHPRIV * 8 + severityOf(record).syslog;
  const sd = `[${SD_ID} eventId="${sdValue(record.id)}" stream="${sdValue(record.stream)}"]`;
  return [
    `<${String(pri)}>1`,
    record.time,
    headerField(host, 255),
    'duo-insights',
    '-',
    headerField(record.stream, 32),
    sd,
    messageBody(record, format),
  ].join(' ');
}

/** One message framed for a stream transport. */
export function frame(message: string, framing: SyslogFraming): Buffer {
  const body = Buffer.from(message, 'utf8');
  if (framing === 'newline') return Buffer.concat([body, Buffer.from('\n')]);
  return Buffer.concat([Buffer.from(`${String(body.length)} `), body]);
}
