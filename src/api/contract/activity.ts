/**
 * An identity's activity: the timeline's events (one Duo log record each, with the original
 * payload) and the insights counted from them.
 *
 * @example { "events": [{ "stream": "authentication", "result": "success", … }], "next": "…" }
 */
import { z } from 'zod';
import { STREAMS } from '../../domain/streams.js';
import { EpochMs, Next } from './common.js';

// The closed sets are the domain's own: an answer never drifts from what the product stores.
export { STREAMS };

export const ActivityEvent = z.object({
  id: z.number(),
  sourceId: z.string(),
  stream: z.enum(STREAMS),
  tsMs: EpochMs,
  userKey: z.string().nullable(),
  username: z.string().nullable(),
  result: z.string().nullable(),
  reason: z.string().nullable(),
  factor: z.string().nullable(),
  factorLabel: z.string().nullable().describe('the factor as people say it (SMS passcode)'),
  application: z.string().nullable(),
  location: z.string().nullable(),
  accessOs: z.string().nullable(),
  accessBrowser: z.string().nullable(),
  ip: z.string().nullable(),
  txid: z.string().nullable(),
  payload: z.unknown().describe('the record exactly as Duo sent it'),
});
export type ActivityEvent = z.infer<typeof ActivityEvent>;

export const ActivityEventList = z.object({ events: z.array(ActivityEvent), next: Next });
export type ActivityEventList = z.infer<typeof ActivityEventList>;

/** How often an application, factor or location was seen, first and last. */
export const UsageCount = z.object({
  value: z.string(),
  count: z.number(),
  firstMs: EpochMs,
  lastMs: EpochMs,
});
export type UsageCount = z.infer<typeof UsageCount>;

const Day = { day: z.string().describe('ISO date (UTC)'), dayMs: EpochMs };

export const Insights = z.object({
  identityId: z.string(),
  duoUserKeys: z.array(z.string()),
  lastActivityMs: EpochMs.nullable(),
  lastSuccessMs: EpochMs.nullable(),
  daysActive90: z.number(),
  counts: z.object({ d30: z.number(), d90: z.number() }),
  authentications: z.object({
    total: z.number(),
    success: z.number(),
    denied: z.number().describe('denied or error'),
    fraud: z.number(),
  }),
  eventsByType: z.record(z.enum(STREAMS), z.number()),
  orgAverage: z.object({ d30: z.number(), d90: z.number() }),
  applications: z.array(UsageCount),
  factors: z.array(UsageCount.extend({ label: z.string() })),
  locations: z.array(UsageCount.extend({ isNew: z.boolean() })),
  newLocations: z.array(UsageCount.extend({ isNew: z.boolean() })),
  locationHistory: z.object({
    newWithinDays: z.number(),
    enough: z.boolean().describe('false: the history is too short to call any place new'),
    firstActivityMs: EpochMs.nullable(),
  }),
  daily: z.array(z.object({ ...Day, result: z.string().nullable(), count: z.number() })),
  dailyByType: z.array(z.object({ ...Day, type: z.enum(STREAMS), count: z.number() })),
  dailyByStream: z.array(
    z.object({ ...Day, stream: z.enum(STREAMS), result: z.string().nullable(), count: z.number() }),
  ),
});
export type Insights = z.infer<typeof Insights>;
