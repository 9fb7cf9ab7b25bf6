/**
 * Identity insights latency on a bench-built store: the ten heaviest Duo users and a sample of
 * typical ones each get an identity (through a `duo` source's accounts, as aggregation would
 * link them), then every identity's insights are read several times, as the API reads them
 * (one shared organisation-average cache), giving p50/p95/p99 per group. The organisation
 * average is also timed on its own with a cold cache (what one request in five minutes pays).
 *
 * @example const figures = await measureInsights(db, { activitySourceId, now: nowMs() });
 */
import { performance } from 'node:perf_hooks';
import { dayOf } from '../domain/activity.js';
import { ms } from '../domain/time.js';
import { identityInsights, OrganisationAverages } from '../core/insights.js';
import { listAccounts, setAccountIdentity, upsertAccounts } from '../store/accounts.js';
import { usersByActivity } from '../store/activity/insights.js';
import type { Db } from '../store/dialect.js';
import { createIdentity } from '../store/identities.js';
import { createSource } from '../store/sources.js';
import { summarise } from './sampling.js';

/** Milliseconds per insights read. */
export interface InsightLatency {
  readonly samples: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface InsightsFigures {
  /** Identities measured in each group. */
  readonly heaviestIdentities: number;
  readonly typicalIdentities: number;
  /** Events in the last 90 days of the heaviest identity and of the median typical one. */
  readonly heaviestEvents: number;
  readonly typicalMedianEvents: number;
  readonly typical: InsightLatency;
  readonly heaviest: InsightLatency;
  /** The organisation's 30- and 90-day averages computed with a cold cache, ms each time. */
  readonly organisationAverage: InsightLatency;
}

export interface InsightsBenchOptions {
  readonly activitySourceId: string;
  readonly now: number;
  /** Typical identities sampled (evenly over the users by activity). Default 100. */
  readonly typical?: number;
  /** Reads of each identity (after one warm-up read). Default 5. */
  readonly rounds?: number;
}

const HEAVIEST = 10;

export async function measureInsights(
  db: Db,
  options: InsightsBenchOptions,
): Promise<InsightsFigures> {
  const today = dayOf(ms(Math.floor(options.now)));
  const users = await usersByActivity(db, {
    sourceId: options.activitySourceId,
    fromDay: today - 89,
  });
  const heaviest = users.slice(0, HEAVIEST);
  const rest = users.slice(HEAVIEST);
  const wanted = Math.min(options.typical ?? 100, rest.length);
  const typical = Array.from(
    { length: wanted },
    (_, i) => rest[Math.floor((i * rest.length) / wanted)],
  ).flatMap((u) => (u === undefined ? [] : [u]));
  const identities = await linkIdentities(db, [...heaviest, ...typical], options.now);
  const idOf = (userKey: string): string => {
    const id = identities.get(userKey);
    if (id === undefined) throw new Error(`no identity was made for ${userKey}`);
    return id;
  };

  const rounds = options.rounds ?? 5;
  const averages = new OrganisationAverages();
  const time = async (group: readonly { readonly userKey: string }[]): Promise<number[]> => {
    const samples: number[] = [];
    for (const u of group) await identityInsights(db, idOf(u.userKey), options.now, averages);
    for (let round = 0; round < rounds; round++)
      for (const u of group) {
        const started = performance.now();
        await identityInsights(db, idOf(u.userKey), options.now, averages);
        samples.push(performance.now() - started);
      }
    return samples;
  };
  const typicalMs = await time(typical);
  const heaviestMs = await time(heaviest);
  const orgMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await new OrganisationAverages().get(db, options.now);
    orgMs.push(performance.now() - started);
  }
  const median = typical[Math.floor(typical.length / 2)];
  return {
    heaviestIdentities: heaviest.length,
    typicalIdentities: typical.length,
    heaviestEvents: heaviest[0]?.events ?? 0,
    typicalMedianEvents: median?.events ?? 0,
    typical: latency(typicalMs),
    heaviest: latency(heaviestMs),
    organisationAverage: latency(orgMs),
  };
}

/** One identity per Duo user, linked through an account of a `duo` source made for the bench. */
export async function linkIdentities(
  db: Db,
  users: readonly { readonly userKey: string }[],
  now: number,
): Promise<Map<string, string>> {
  const owner = await createIdentity(db, { displayName: 'Insights Bench Owner' });
  const source = await createSource(db, {
    type: 'duo',
    name: 'insights bench accounts',
    description: null,
    ownerIdentityId: owner.id,
    governanceGroupId: null,
    settings: {},
  });
  await upsertAccounts(db, {
    sourceId: source.id,
    runId: 'insights-bench',
    now: ms(Math.floor(now)),
    accounts: users.map((u, i) => ({
      duoUserId: u.userKey,
      username: `bench.user.${String(i)}`,
      status: 'active',
    })),
  });
  const identities = new Map<string, string>();
  for (const account of await listAccounts(db, { sourceId: source.id, limit: users.length })) {
    const identity = await createIdentity(db, { displayName: account.username });
    await setAccountIdentity(db, account.id, { identityId: identity.id, correlation: 'manual' });
    identities.set(account.duoUserId, identity.id);
  }
  return identities;
}

/** Nearest-rank percentiles of a set of durations (`summarise`, in this file's field names). */
export function latency(samples: readonly number[]): InsightLatency {
  if (samples.length === 0) return { samples: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const s = summarise(samples);
  return { samples: s.samples, p50: s.p50Ms, p95: s.p95Ms, p99: s.p99Ms, max: s.maxMs };
}
