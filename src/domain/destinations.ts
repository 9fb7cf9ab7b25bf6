/**
 * Destinations: where stored activity events are forwarded, for a SIEM or a log shipper. Each
 * has its own cursor per event stream; a message carries a stable event id so a receiver can
 * drop repeats (delivery is at least once).
 *
 * @example const d: DestinationSettings = { type: 'syslog', transport: 'tcp', host, port: 514, framing: 'octet-counting', format: 'json' };
 */
import type { StreamName } from './streams.js';
import type { EpochMs } from './time.js';

export const DESTINATION_TYPES = ['syslog', 'http', 'file'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

export const SYSLOG_TRANSPORTS = ['tcp', 'tls', 'udp'] as const;
export type SyslogTransport = (typeof SYSLOG_TRANSPORTS)[number];

/** RFC 6587: `LEN SP MSG` (octet counting) or one message per line (non-transparent framing). */
export const SYSLOG_FRAMINGS = ['octet-counting', 'newline'] as const;
export type SyslogFraming = (typeof SYSLOG_FRAMINGS)[number];

export const SYSLOG_FORMATS = ['json', 'cef'] as const;
export type SyslogFormat = (typeof SYSLOG_FORMATS)[number];

/** `splunk-hec`: Splunk's HTTP Event Collector; `webhook`: JSON lines signed with HMAC-SHA256. */
export const HTTP_PRESETS = ['splunk-hec', 'webhook'] as const;
export type HttpPreset = (typeof HTTP_PRESETS)[number];

export interface SyslogSettings {
  readonly type: 'syslog';
  readonly transport: SyslogTransport;
  readonly host: string;
  readonly port: number;
  /** Ignored over UDP (one message per datagram). */
  readonly framing: SyslogFraming;
  readonly format: SyslogFormat;
  /** TLS: a PEM file of the CA certificates that sign the server's certificate (absolute path). */
  readonly caFile?: string;
  /** TLS: a PEM client certificate (absolute path); its key is the destination's secret. */
  readonly certFile?: string;
  /** TLS: the name the server's certificate must carry (default: `host`). */
  readonly serverName?: string;
}

export interface HttpSettings {
  readonly type: 'http';
  readonly preset: HttpPreset;
  /** `https://splunk:8088` (HEC: the path `/services/collector/event` is added) or the webhook URL. */
  readonly url: string;
  /** HTTPS: a PEM file of CA certificates trusted besides the system roots (absolute path). */
  readonly caFile?: string;
}

export interface FileSettings {
  readonly type: 'file';
  /** An absolute folder path; created 0700 when missing. */
  readonly directory: string;
  /** The current file is rotated once it would grow past this (default 100 MB). */
  readonly maxFileBytes: number;
  /** Rotated files kept (the oldest removed past it; default 10). */
  readonly maxFiles: number;
}

export type DestinationSettings = SyslogSettings | HttpSettings | FileSettings;

/** A destination as every layer sees it: never its secret, only whether it has one. */
export interface Destination {
  readonly id: string;
  readonly name: string;
  readonly settings: DestinationSettings;
  readonly hasSecret: boolean;
  /** The sources whose events it receives; null: every activity source. */
  readonly sourceIds: readonly string[] | null;
  /** The streams it receives; null: every stream. */
  readonly streams: readonly StreamName[] | null;
  readonly delivered: number;
  readonly lastDeliveredAt: EpochMs | null;
  readonly lastError: string | null;
  readonly lastErrorAt: EpochMs | null;
  readonly createdAt: EpochMs;
  readonly updatedAt: EpochMs;
}

/** How far behind a destination is, read from its cursors. */
export interface DestinationBacklog {
  /** Stored events of its streams it has not accepted yet. */
  readonly backlog: number;
  /** Time of the oldest event not yet accepted; null when none waits. */
  readonly oldestPendingTsMs: EpochMs | null;
}

/** A destination's delivery health, as sync health and the API show it. */
export interface DestinationHealth extends DestinationBacklog {
  readonly state: 'ok' | 'failing' | 'idle';
  /** now − the oldest waiting event's time, in ms (0 when nothing waits). */
  readonly lagMs: number;
  readonly delivered: number;
  readonly lastDeliveredAt: EpochMs | null;
  readonly lastError: string | null;
  readonly lastErrorAt: EpochMs | null;
}
