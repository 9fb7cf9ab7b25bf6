/**
 * Destinations: where stored events are forwarded, with their delivery health. Never a secret:
 * `hasSecret` says whether a HEC token, HMAC key or TLS client key is stored.
 *
 * @example { "id": "…", "name": "SIEM", "type": "syslog", "settings": { "type": "syslog", "transport": "tcp", … }, "health": { "backlog": 0, … } }
 */
import { z } from 'zod';
import { EpochMs } from './common.js';

export const DestinationSettings = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('syslog'),
    transport: z.enum(['tcp', 'tls', 'udp']),
    host: z.string(),
    port: z.number(),
    framing: z.enum(['octet-counting', 'newline']),
    format: z.enum(['json', 'cef']),
    caFile: z.string().optional(),
    certFile: z.string().optional(),
    serverName: z.string().optional(),
  }),
  z.object({
    type: z.literal('http'),
    preset: z.enum(['splunk-hec', 'webhook']),
    url: z.string(),
    caFile: z.string().optional(),
  }),
  z.object({
    type: z.literal('file'),
    directory: z.string(),
    maxFileBytes: z.number(),
    maxFiles: z.number(),
  }),
]);

export const DestinationHealth = z.object({
  state: z
    .enum(['ok', 'failing', 'idle'])
    .describe('failing: the last attempt failed; idle: nothing waits; ok: delivering'),
  backlog: z.number().describe('stored events of its streams not accepted yet'),
  oldestPendingTsMs: EpochMs.nullable().describe('time of the next event to deliver'),
  lagMs: z.number().describe('now − the next event’s time; 0 when nothing waits'),
  delivered: z.number().describe('events accepted since it was created'),
  lastDeliveredAt: EpochMs.nullable(),
  lastError: z.string().nullable().describe('kept until a batch is accepted'),
  lastErrorAt: EpochMs.nullable(),
});
export type DestinationHealth = z.infer<typeof DestinationHealth>;

export const Destination = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(['syslog', 'http', 'file']),
  settings: DestinationSettings,
  hasSecret: z.boolean(),
  sourceIds: z.array(z.string()).nullable().describe('null: every activity source'),
  streams: z.array(z.string()).nullable().describe('null: every stream'),
  createdAt: EpochMs,
  updatedAt: EpochMs,
  health: DestinationHealth,
});
export type Destination = z.infer<typeof Destination>;

export const DestinationList = z.object({ destinations: z.array(Destination) });
export type DestinationList = z.infer<typeof DestinationList>;

export const DestinationTestResult = z.object({
  ok: z.boolean(),
  error: z.string().nullable().describe('why the test message was not accepted'),
  durationMs: z.number(),
});
export type DestinationTestResult = z.infer<typeof DestinationTestResult>;
