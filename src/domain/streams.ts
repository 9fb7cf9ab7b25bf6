/**
 * The log streams of an Activity Insights – Duo source. Each has its own cursor, rate budget and
 * health; v2 streams page with `next_offset` over a millisecond window (Trust Monitor with its
 * opaque `offset` over the events' surfaced time), v1 streams advance an inclusive `mintime` in
 * seconds.
 *
 * @example STREAM_INFO.administrator.api // 'v1'
 */
export const STREAMS = [
  'authentication',
  'administrator',
  'telephony',
  'offline_enrollment',
  'activity',
  'trust_monitor',
] as const;
export type StreamName = (typeof STREAMS)[number];

export interface StreamInfo {
  readonly api: 'v1' | 'v2';
  readonly label: string;
  /** Whether the account's plan may lack the endpoint (403/404 marks it "not available"). */
  readonly optional: boolean;
}

export const STREAM_INFO: Readonly<Record<StreamName, StreamInfo>> = {
  authentication: { api: 'v2', label: 'Authentication', optional: false },
  administrator: { api: 'v1', label: 'Administrator actions', optional: false },
  telephony: { api: 'v2', label: 'Telephony', optional: false },
  offline_enrollment: { api: 'v1', label: 'Offline enrollment', optional: false },
  activity: { api: 'v2', label: 'Activity', optional: true },
  trust_monitor: { api: 'v2', label: 'Trust Monitor', optional: true },
};

export function isStreamName(value: string): value is StreamName {
  return (STREAMS as readonly string[]).includes(value);
}
