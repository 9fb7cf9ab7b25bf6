/**
 * Realistic Duo log records for store tests, shaped like the Admin API examples
 * (reference/duo-admin-api.md §5), already normalised the way the sync engine does.
 *
 * @example const events = authEvents({ count: 100, startMs: ms(1_700_000_000_000) });
 */
import type { NormalisedEvent } from '../../src/domain/activity.js';
import { ms, type EpochMs } from '../../src/domain/time.js';
import { sql } from 'kysely';
import type { StreamName } from '../../src/domain/streams.js';
import { internStrings } from '../../src/store/activity/strings.js';
import { createIdentity } from '../../src/store/identities.js';
import type { Db } from '../../src/store/dialect.js';
import { encodePayload } from '../../src/store/payload.js';
import { createSource } from '../../src/store/sources.js';

const APPS = [
  ['DIY231J8BR23QK4UKBY8', 'Microsoft Azure Active Directory'],
  ['DIQ8D2D8J4Y2P2E9W3XK', 'Cisco AnyConnect VPN'],
  ['DIA7Z5JX0Q5V3T3B2K1M', 'Okta'],
  ['DIF3K8Y6H2N1Q9W4E7RT', 'GitHub Enterprise'],
] as const;
const FACTORS = [
  'duo_push',
  'phone_call',
  'sms_passcode',
  'webauthn_security_key',
  'remembered_device',
];
const PLACES = [
  ['Ann Arbor', 'Michigan', 'United States'],
  ['Austin', 'Texas', 'United States'],
  ['London', 'England', 'United Kingdom'],
  ['Berlin', 'Berlin', 'Germany'],
] as const;
const BROWSERS = [
  ['Chrome', '120.0.6099.71', 'Mac OS X', '14.1'],
  ['Edge', '119.0.2151.97', 'Windows', '10'],
  ['Safari', '17.1', 'iOS', '17.1.1'],
] as const;

/** A small deterministic PRNG so fixtures are the same on every run. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], r: () => number): T {
  const item = items[Math.floor(r() * items.length)];
  if (item === undefined) throw new Error('empty list');
  return item;
}

function uuid(r: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The Duo user key of user `i` of the fixture with this seed (unique per seed). */
export function userKey(i: number, seed = 1): string {
  return `DU${String(seed).padStart(6, '0')}${String(i).padStart(12, '0')}`;
}

export interface AuthFixtureOptions {
  readonly count: number;
  readonly startMs: EpochMs;
  /** Mean gap between events. Default 30 s. */
  readonly gapMs?: number;
  readonly users?: number;
  readonly seed?: number;
}

/** Authentication log records (as Duo sends them) normalised to store events. */
export function authEvents(options: AuthFixtureOptions): NormalisedEvent[] {
  const seed = options.seed ?? 1;
  const r = random(seed);
  const events: NormalisedEvent[] = [];
  let ts = options.startMs as number;
  for (let i = 0; i < options.count; i++) {
    ts += Math.floor(r() * 2 * (options.gapMs ?? 30_000));
    const u = Math.floor(r() * (options.users ?? 50));
    const [appKey, appName] = pick(APPS, r);
    const [city, state, country] = pick(PLACES, r);
    const [browser, browserVersion, os, osVersion] = pick(BROWSERS, r);
    const factor = pick(FACTORS, r);
    const denied = r() < 0.08;
    const txid = uuid(r);
    const email = `user${String(u)}@example.com`;
    const ip = `10.${String(u % 250)}.${String(Math.floor(r() * 250))}.${String(Math.floor(r() * 250))}`;
    const iso = new Date(ts).toISOString().replace('Z', '000+00:00');
    const record = {
      access_device: {
        browser,
        browser_version: browserVersion,
        epkey: null,
        flash_version: 'uninstalled',
        hostname: null,
        ip,
        is_encryption_enabled: true,
        is_firewall_enabled: r() < 0.5 ? 'unknown' : true,
        is_password_set: true,
        java_version: 'uninstalled',
        location: { city, country, state },
        os,
        os_version: osVersion,
        security_agents: 'unknown',
      },
      adaptive_trust_assessments: {
        more_secure_auth: {
          features_version: '3.0',
          model_version: '2022.07.19.001',
          policy_enabled: false,
          reason: 'Normal level of trust; no detection of known attack pattern',
          trust_level: 'NORMAL',
        },
      },
      alias: '',
      application: { key: appKey, name: appName },
      auth_device: {
        ip: '192.168.225.254',
        key: `DP${String(u).padStart(18, '0')}`,
        location: { city, country, state },
        name: `My iPhone (734-555-${String(1000 + u)})`,
      },
      email,
      event_type: 'authentication',
      factor,
      isotimestamp: iso,
      ood_software: null,
      reason: denied ? 'user_marked_fraud' : 'user_approved',
      result: denied ? 'denied' : 'success',
      timestamp: Math.floor(ts / 1000),
      trusted_endpoint_status: 'not trusted',
      txid,
      user: { groups: ['Duo Users', 'CorpHQ Users'], key: userKey(u, seed), name: email },
    };
    events.push({
      naturalKey: txid,
      tsMs: ms(ts),
      userKey: userKey(u, seed),
      username: email,
      result: record.result,
      reason: record.reason,
      factor,
      application: appName,
      location: `${city}, ${state}, ${country}`,
      accessOs: `${os} ${osVersion}`,
      accessBrowser: `${browser} ${browserVersion}`,
      ip,
      txid,
      payload: JSON.stringify(record),
    });
  }
  return events;
}

/** A telephony record for an authentication's txid (no user of its own, as in Duo). */
export function telephonyEvent(id: string, txid: string, tsMs: EpochMs): NormalisedEvent {
  const record = {
    context: 'authentication',
    credits: 1,
    phone: '+17345551311',
    telephony_id: id,
    ts: new Date(tsMs).toISOString().replace('Z', '000+00:00'),
    txid,
    type: 'sms',
  };
  return {
    naturalKey: id,
    tsMs,
    result: 'authentication',
    factor: 'sms_passcode',
    txid,
    payload: JSON.stringify(record),
  };
}

let sourceCounter = 0;

/** A fresh identity and `duo-activity` source to hang rows on. */
export async function newSource(
  db: Db,
  type: 'duo' | 'duo-activity' = 'duo-activity',
): Promise<{ sourceId: string; ownerId: string }> {
  sourceCounter += 1;
  const owner = await createIdentity(db, { displayName: `Owner ${String(sourceCounter)}` });
  const source = await createSource(db, {
    type,
    name: `source ${String(sourceCounter)} ${String(Math.random())}`,
    ownerIdentityId: owner.id,
  });
  return { sourceId: source.id, ownerId: owner.id };
}

/**
 * Stores events the way versions before migration 0009 did (each row naming its source and
 * stream as text), for tests of the migrations that read or convert such rows. Returns the ids.
 */
export async function insertEventsBeforeCompact(
  db: Db,
  sourceId: string,
  stream: StreamName,
  events: readonly NormalisedEvent[],
): Promise<number[]> {
  const values = events.flatMap((e) =>
    [e.userKey, e.username, e.result, e.reason, e.factor, e.application, e.location].flatMap((v) =>
      v === undefined ? [] : [v],
    ),
  );
  const ids = await internStrings(db, values, undefined, new Map());
  const id = (value: string | undefined): number | null =>
    value === undefined ? null : (ids.get(value) ?? null);
  const out: number[] = [];
  for (const e of events) {
    const row = await sql<{ id: number }>`insert into activity_events (source_id, stream,
        natural_key, ts_ms, user_key, username, result, reason, factor, application, location,
        ip, txid, payload)
      values (${sourceId}, ${stream}, ${e.naturalKey}, ${e.tsMs}, ${id(e.userKey)},
        ${id(e.username)}, ${id(e.result)}, ${id(e.reason)}, ${id(e.factor)},
        ${id(e.application)}, ${id(e.location)}, ${e.ip ?? null},
        ${e.txid === undefined || e.txid === e.naturalKey ? null : e.txid},
        ${encodePayload(stream, e.payload)})
      returning id`.execute(db);
    const stored = row.rows[0];
    if (stored === undefined) throw new Error('insert returned no id');
    out.push(stored.id);
  }
  return out;
}
