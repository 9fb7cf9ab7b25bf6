/**
 * The simulator's deterministic Duo tenant. Every user, group and event is a pure function of the
 * seed and an index (a user's position, a group's position, an event's minute and rank in it),
 * computed with a 32-bit hash on demand; only small tables and the overlay (deleted users, status
 * overrides, injected events) live in memory. 100k users and 10M events cost a few kilobytes.
 *
 * @example const ds = createDataset({ seed: 'demo', users: 1000, days: 30, start, authEventsPerDay: 5000 });
 */
import type { EpochMs } from '../domain/time.js';
import { DAY_MS, MINUTE_MS, ms } from '../domain/time.js';
import type { DuoAdmin, DuoGroup, DuoGroupMember, DuoUser } from '../duo/wire.js';
import type { Dataset, DatasetOptions, LogType, SimEvent } from './dataset-types.js';
import { isV1Log } from './records.js';

type DuoPhone = NonNullable<DuoUser['phones']>[number];
type DuoToken = NonNullable<DuoUser['tokens']>[number];

/** The contract plus a few conveniences the server and tests may use. */
export interface SimDataset extends Dataset {
  /** Looks a present user up by email (case-insensitive). */
  findUserByEmail(email: string): DuoUser | undefined;
  /** Mean events per day of `type` (administrator: the weekly directory-sync burst included). */
  meanPerDay(type: Exclude<LogType, 'telephony'>): number;
}

// ---- hashing ------------------------------------------------------------------------------------

function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of two 32-bit values; bijective in `b` for a fixed `a`. */
function mix(a: number, b: number): number {
  return fmix32((fmix32(a) + Math.imul(b | 0, 0x9e3779b1) + 0x6a09e667) | 0);
}

function mix3(a: number, b: number, c: number): number {
  return mix(mix(a, b), c);
}

/** A hash as a fraction in [0, 1). */
function unit(h: number): number {
  return h / 4294967296;
}

function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** The element at `index`, for tables whose bounds the arithmetic already guarantees. */
function at<T>(list: readonly T[], index: number): T {
  const value = list[index];
  if (value === undefined) throw new RangeError(`index ${index} outside a table of ${list.length}`);
  return value;
}

function choose<T>(list: readonly T[], h: number): T {
  return at(list, Math.floor(unit(h) * list.length));
}

/** Picks by cumulative weights (weights need not sum to 1). */
function weighted<T>(table: readonly (readonly [T, number])[], h: number): T {
  let total = 0;
  for (const [, w] of table) total += w;
  let x = unit(h) * total;
  for (const [value, w] of table) {
    if (x < w) return value;
    x -= w;
  }
  return at(table, table.length - 1)[0];
}

const HEX = '0123456789abcdef';

function hex8(h: number): string {
  let out = '';
  for (let shift = 28; shift >= 0; shift -= 4) out += HEX.charAt((h >>> shift) & 15);
  return out;
}

/**
 * A UUID v4-shaped string from a hash (Duo's txid, telephony_id, activity_id look like this).
 * With the event's minute and rank it is unique per event (a 32-bit hash alone collides among
 * millions of events, which would make two events share one natural key).
 */
function uuidFrom(h: number, minute?: number, rank?: number): string {
  const a = hex8(mix(h, 0x51));
  const b = hex8(mix(h, 0x52));
  const c = hex8(mix(h, 0x53));
  const d = hex8(mix(h, 0x54));
  const variant = HEX.charAt(8 + (mix(h, 0x55) & 3));
  if (minute === undefined || rank === undefined) {
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }
  const m = (minute >>> 0).toString(16).padStart(7, '0').slice(-7);
  const r = (rank & 0xffff).toString(16).padStart(4, '0');
  return `${a}-${m.slice(0, 4)}-4${m.slice(4, 7)}-${variant}${c.slice(1, 4)}-${r}${d}`;
}

// ---- Duo-style ids ------------------------------------------------------------------------------

const ID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TWO_32 = 4294967296;

function feistel(value: number, key: number): number {
  let l = value >>> 16;
  let r = value & 0xffff;
  for (let round = 0; round < 4; round++) {
    const next = l ^ (mix3(key, round, r) & 0xffff);
    l = r;
    r = next;
  }
  return ((l << 16) | r) >>> 0;
}

function feistelInverse(value: number, key: number): number {
  let l = value >>> 16;
  let r = value & 0xffff;
  for (let round = 3; round >= 0; round--) {
    const previous = r ^ (mix3(key, round, l) & 0xffff);
    r = l;
    l = previous;
  }
  return ((l << 16) | r) >>> 0;
}

function base32(value: number, length: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    out = ID_ALPHABET.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/**
 * `prefix` + 18 base-32 characters: 11 derived from the hash, then 7 carrying an invertible
 * scramble of the index, so that an id leads back to its index without a lookup table.
 */
function makeId(prefix: string, key: number, index: number): string {
  const scrambled = feistel(index, key);
  const head = mix(key, scrambled);
  const head2 = mix(head, 1);
  const top = head2 & 7;
  return (
    prefix + base32(head >>> 2, 6) + base32(head2 >>> 7, 5) + base32(top * TWO_32 + scrambled, 7)
  );
}

function idIndex(id: string, prefix: string, key: number, count: number): number | undefined {
  if (id.length !== prefix.length + 18 || !id.startsWith(prefix)) return undefined;
  let value = 0;
  for (const char of id.slice(prefix.length + 11)) {
    const digit = ID_ALPHABET.indexOf(char);
    if (digit < 0) return undefined;
    value = value * 32 + digit;
  }
  const index = feistelInverse(value % TWO_32, key);
  if (index >= count || makeId(prefix, key, index) !== id) return undefined;
  return index;
}

// ---- static tables ------------------------------------------------------------------------------

// prettier-ignore
const FIRST_NAMES = [
  'james', 'mary', 'john', 'patricia', 'robert', 'jennifer', 'michael', 'linda', 'william',
  'elizabeth', 'david', 'barbara', 'richard', 'susan', 'joseph', 'jessica', 'thomas', 'sarah',
  'charles', 'karen', 'christopher', 'nancy', 'daniel', 'lisa', 'matthew', 'betty', 'anthony',
  'margaret', 'mark', 'sandra', 'donald', 'ashley', 'steven', 'kimberly', 'paul', 'emily', 'andrew',
  'donna', 'joshua', 'michelle', 'kenneth', 'carol', 'kevin', 'amanda', 'brian', 'melissa',
  'george', 'deborah', 'timothy', 'stephanie', 'ronald', 'rebecca', 'edward', 'sharon', 'jason',
  'laura', 'jeffrey', 'cynthia', 'priya', 'kathleen', 'wei', 'amy', 'omar', 'angela',
] as const;

// prettier-ignore
const LAST_NAMES = [
  'smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez',
  'martinez', 'hernandez', 'lopez', 'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor', 'moore',
  'jackson', 'martin', 'lee', 'perez', 'thompson', 'white', 'harris', 'sanchez', 'clark', 'ramirez',
  'lewis', 'robinson', 'walker', 'young', 'allen', 'king', 'wright', 'scott', 'torres', 'nguyen',
  'hill', 'flores', 'green', 'adams', 'nelson', 'baker', 'hall', 'rivera', 'campbell', 'mitchell',
  'carter', 'roberts', 'gomez', 'phillips', 'evans', 'turner', 'diaz', 'parker', 'cruz', 'edwards',
  'collins', 'reyes', 'stewart', 'morris', 'morales', 'murphy', 'cook', 'rogers', 'gutierrez',
  'ortiz', 'morgan', 'cooper', 'peterson', 'bailey', 'reed', 'kelly', 'howard', 'ramos', 'kim',
  'cox', 'ward', 'richardson', 'watson', 'brooks', 'chavez', 'wood', 'james', 'bennett', 'gray',
  'mendoza', 'ruiz', 'hughes', 'price', 'alvarez', 'castillo', 'sanders', 'patel', 'myers', 'long',
  'ross', 'foster', 'jimenez', 'powell', 'jenkins', 'perry', 'russell', 'sullivan', 'bell',
  'coleman', 'butler', 'henderson', 'barnes', 'fisher', 'vasquez', 'simmons', 'romero', 'jordan',
  'patterson', 'alexander', 'hamilton', 'graham', 'reynolds', 'griffin', 'wallace', 'moreno',
  'west', 'cole', 'hayes', 'chen', 'schmidt',
] as const;

const FIRST_INDEX = new Map<string, number>(FIRST_NAMES.map((name, i) => [name, i]));
const LAST_INDEX = new Map<string, number>(LAST_NAMES.map((name, i) => [name, i]));
const NAME_COMBOS = FIRST_NAMES.length * LAST_NAMES.length;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function modInverse(a: number, m: number): number {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1, 0];
  while (r !== 0) {
    const q = Math.floor(oldR / r);
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

function coprimeMultiplier(modulus: number, start: number): number {
  if (modulus <= 1) return 1;
  let candidate = start % modulus || 1;
  while (gcd(candidate, modulus) !== 1) candidate = (candidate + 1) % modulus || 1;
  return candidate;
}

/** Spreads consecutive users over name combinations: user i ↔ (combo, repetition) bijectively. */
const NAME_STEP = coprimeMultiplier(NAME_COMBOS, 2861);
const NAME_STEP_INVERSE = modInverse(NAME_STEP, NAME_COMBOS);

const CAPITALS = (word: string): string =>
  word.length === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1);

interface Place {
  readonly city: string;
  readonly state: string | null;
  readonly country: string;
}

const US_PLACES: readonly Place[] = [
  { city: 'Ann Arbor', state: 'Michigan', country: 'United States' },
  { city: 'New York', state: 'New York', country: 'United States' },
  { city: 'San Francisco', state: 'California', country: 'United States' },
  { city: 'Austin', state: 'Texas', country: 'United States' },
  { city: 'Chicago', state: 'Illinois', country: 'United States' },
  { city: 'Seattle', state: 'Washington', country: 'United States' },
  { city: 'Boston', state: 'Massachusetts', country: 'United States' },
  { city: 'Denver', state: 'Colorado', country: 'United States' },
  { city: 'Atlanta', state: 'Georgia', country: 'United States' },
  { city: 'Raleigh', state: 'North Carolina', country: 'United States' },
  { city: 'Columbus', state: 'Ohio', country: 'United States' },
  { city: 'Phoenix', state: 'Arizona', country: 'United States' },
];

const WORLD_PLACES: readonly Place[] = [
  { city: 'London', state: 'England', country: 'United Kingdom' },
  { city: 'Berlin', state: 'Berlin', country: 'Germany' },
  { city: 'Paris', state: 'Ile-de-France', country: 'France' },
  { city: 'Toronto', state: 'Ontario', country: 'Canada' },
  { city: 'Bengaluru', state: 'Karnataka', country: 'India' },
  { city: 'Sydney', state: 'New South Wales', country: 'Australia' },
  { city: 'Tokyo', state: 'Tokyo', country: 'Japan' },
  { city: 'Sao Paulo', state: 'Sao Paulo', country: 'Brazil' },
  { city: 'Amsterdam', state: 'North Holland', country: 'Netherlands' },
  { city: 'Dublin', state: 'Leinster', country: 'Ireland' },
  { city: 'Singapore', state: null, country: 'Singapore' },
  { city: 'Lagos', state: 'Lagos', country: 'Nigeria' },
];

const ALL_PLACES: readonly Place[] = [...US_PLACES, ...WORLD_PLACES];

// prettier-ignore
const APPLICATION_NAMES = [
  'Microsoft Azure Active Directory', 'Cisco ASA VPN', 'Okta', 'Salesforce', 'Workday',
  'Windows Logon', 'Slack', 'GitHub Enterprise', 'AWS Console', 'RDP Gateway', 'ServiceNow',
  'Google Workspace', 'Zoom', 'Atlassian Cloud', 'Box', 'SSH Bastion', 'Citrix Gateway',
  'Duo Admin Panel', 'Palo Alto GlobalProtect', 'Epic Hyperspace',
] as const;

// prettier-ignore
const DEPARTMENTS = [
  'Duo Users', 'Engineering', 'Sales', 'Marketing', 'Finance', 'Human Resources', 'IT Operations',
  'Security', 'Customer Support', 'Legal', 'Product', 'Facilities', 'Executives', 'Contractors',
  'VPN Users', 'Remote Workers', 'Help Desk', 'Data Science', 'DevOps', 'Procurement', 'Research',
  'Quality Assurance', 'Partners', 'Interns',
] as const;

// prettier-ignore
const SITES = [
  'HQ', 'Ann Arbor', 'Austin', 'London', 'Berlin', 'Toronto', 'Bengaluru', 'Sydney', 'Singapore',
  'New York',
] as const;

const AREA_CODES = ['734', '212', '415', '512', '312', '206', '617', '303', '404', '919'] as const;

const LOCKOUT_REASONS: readonly (readonly [string, number])[] = [
  ['Failed Attempts', 50],
  ['Not enrolled', 30],
  ['Admin disabled', 15],
  ['Admin API disabled', 5],
];

const ADMIN_ROLES = [
  'Administrator',
  'User Manager',
  'Help Desk',
  'Read-only',
  'Security Analyst',
  'Billing',
] as const;

// ---- rhythm -------------------------------------------------------------------------------------

/** The tenant's local time is UTC−5: business hours carry most of the traffic. */
const LOCAL_OFFSET_MINUTES = -300;
const HOURLY_WEIGHTS = normalise([
  0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.5, 1.1, 1.8, 2.1, 2.0, 1.9, 1.6, 1.9, 2.0, 1.9, 1.6, 1.1, 0.7,
  0.5, 0.4, 0.35, 0.3, 0.2,
]);
/** Sunday first. */
const WEEKDAY_WEIGHTS = normalise([0.35, 1.2, 1.2, 1.2, 1.15, 1.05, 0.35]);

function normalise(weights: readonly number[]): readonly number[] {
  const mean = weights.reduce((sum, w) => sum + w, 0) / weights.length;
  return weights.map((w) => w / mean);
}

/** The rhythm's factor for a minute since the epoch; its mean over any whole week is 1. */
function rhythm(minute: number): number {
  const local = minute + LOCAL_OFFSET_MINUTES;
  const day = Math.floor(local / 1440);
  const hour = Math.floor((local - day * 1440) / 60);
  const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return at(HOURLY_WEIGHTS, hour) * at(WEEKDAY_WEIGHTS, weekday);
}

/** A count with the given mean: uniform jitter of ±50 %, then stochastic rounding. */
function countWithMean(mean: number, h: number): number {
  if (mean <= 0) return 0;
  const x = mean * (0.5 + unit(mix(h, 1)));
  const whole = Math.floor(x);
  return whole + (unit(mix(h, 2)) < x - whole ? 1 : 0);
}

// ---- users --------------------------------------------------------------------------------------

type Status = 'active' | 'disabled' | 'locked out' | 'bypass' | 'pending deletion';
/** Whether a user authenticates: `never` logged in, `dormant` after some instant, or `active`. */
type Activity = 'active' | 'dormant' | 'never';

const WEEK_MINUTES = 7 * 1440;
const ADMIN_BURST_MIN = 1000;
const ADMIN_BURST_SPREAD = 800;
const ADMIN_BURSTS_PER_DAY = (ADMIN_BURST_MIN + ADMIN_BURST_SPREAD / 2) / 7;

const SALT = {
  user: 0x1001,
  userId: 0x1002,
  group: 0x2001,
  groupId: 0x2002,
  phone: 0x3001,
  token: 0x3002,
  app: 0x4001,
  admin: 0x5001,
  authentication: 0x6001,
  administrator: 0x6002,
  telephony: 0x6003,
  offline_enrollment: 0x6004,
  activity: 0x6005,
  burst: 0x6006,
  burstEvent: 0x6007,
  pick: 0x7001,
} as const;

type AuthNeed = 'any' | 'phone' | 'mobile' | 'token' | 'status_denied' | 'bypass';

interface Slot {
  readonly ts: number;
  readonly key: string;
  /** Minute and rank of the event (for telephony: of its authentication event). */
  readonly minute: number;
  readonly rank: number;
}

type GeneratedType = Exclude<LogType, 'telephony'>;

/** Telephony follows its authentication event by 2 to 27 seconds. */
const TELEPHONY_MAX_DELAY_MS = 27_000;

const NORMAL_FACTORS: readonly (readonly [string, number])[] = [
  ['duo_push', 60],
  ['remembered_device', 8],
  ['duo_mobile_passcode', 6],
  ['sms_passcode', 6],
  ['phone_call', 5],
  ['WebAuthn Security Key', 3],
  ['WebAuthn Chrome Touch ID', 2],
  ['WebAuthn Credential', 2],
  ['hardware_token', 2],
  ['trusted_network', 2],
  ['yubikey_code', 1],
  ['bypass_code', 1],
  ['passcode', 1],
  ['sms_refresh', 1],
];

interface AuthShape {
  readonly eventType: 'authentication' | 'enrollment';
  readonly factor: string | null;
  readonly result: 'success' | 'denied' | 'fraud';
  readonly reason: string | null;
  readonly need: AuthNeed;
}

/** The factor of an authentication event, cheaply (telephony counts need only this). */
function authFactor(e: number): string | null {
  const roll = unit(mix(e, 3));
  if (roll < 0.004) return null;
  if (roll < 0.009) return 'not_available';
  if (roll < 0.012) return null;
  const factor = weighted(NORMAL_FACTORS, mix(e, 4));
  const fraud =
    unit(mix(e, 5)) >= 0.99 && factor !== 'remembered_device' && factor !== 'trusted_network';
  return fraud && factor !== 'phone_call' ? 'duo_push' : factor;
}

/** Result, reason and factor of an authentication event: a function of its hash alone. */
function authShape(e: number): AuthShape {
  const roll = unit(mix(e, 3));
  if (roll < 0.004) {
    return {
      eventType: 'authentication',
      factor: null,
      result: 'denied',
      reason: null,
      need: 'status_denied',
    };
  }
  if (roll < 0.009) {
    return {
      eventType: 'authentication',
      factor: 'not_available',
      result: 'success',
      reason: 'bypass_user',
      need: 'bypass',
    };
  }
  if (roll < 0.012) {
    return { eventType: 'enrollment', factor: null, result: 'success', reason: null, need: 'any' };
  }
  const factor = authFactor(e) ?? 'duo_push';
  const resultRoll = unit(mix(e, 5));
  let result: AuthShape['result'] =
    resultRoll < 0.9 ? 'success' : resultRoll < 0.99 ? 'denied' : 'fraud';
  if (factor === 'remembered_device' || factor === 'trusted_network') result = 'success';
  const reason = authReason(factor, result, mix(e, 6));
  const need: AuthNeed =
    factor === 'phone_call'
      ? 'phone'
      : factor === 'sms_passcode' || factor === 'duo_push' || factor === 'duo_mobile_passcode'
        ? 'mobile'
        : factor === 'hardware_token' || factor === 'yubikey_code'
          ? 'token'
          : 'any';
  return { eventType: 'authentication', factor, result, reason, need };
}

function authReason(factor: string, result: AuthShape['result'], h: number): string {
  if (result === 'fraud') return 'user_marked_fraud';
  if (result === 'success') {
    if (factor === 'remembered_device' || factor === 'trusted_network') return factor;
    if (factor === 'duo_push' || factor === 'phone_call' || factor.startsWith('WebAuthn'))
      return 'user_approved';
    return 'valid_passcode';
  }
  switch (factor) {
    case 'duo_push':
      return choose(
        [
          'no_response',
          'no_response',
          'user_mistake',
          'location_restricted',
          'anomalous_push',
          'user_not_in_permitted_group',
        ],
        h,
      );
    case 'phone_call':
      return choose(['no_keys_pressed', 'call_timed_out', 'user_mistake'], h);
    default:
      return factor.startsWith('WebAuthn')
        ? choose(['user_cancelled', 'platform_restricted', 'factor_restricted'], h)
        : choose(['invalid_passcode', 'invalid_passcode', 'user_not_in_permitted_group'], h);
  }
}

function isoMicro(tsMs: number, micro: number): string {
  return `${new Date(tsMs).toISOString().slice(0, 23)}${String(micro).padStart(3, '0')}+00:00`;
}

function isoSeconds(tsMs: number): string {
  return `${new Date(tsMs).toISOString().slice(0, 19)}+00:00`;
}

function compareSlots(a: { ts: number; key: string }, b: { ts: number; key: string }): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function lowerBound(list: readonly SimEvent[], ts: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(list, mid).ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---- the dataset --------------------------------------------------------------------------------

/**
 * Builds the tenant described by `options`; only small tables are computed up front.
 *
 * @example createDataset({ seed: 'x', users: 100_000, days: 180, start, authEventsPerDay: 55_000 })
 */
export function createDataset(options: DatasetOptions): SimDataset {
  if (!Number.isSafeInteger(options.users) || options.users < 0)
    throw new RangeError(`users must be a whole number >= 0, got ${options.users}`);
  if (!(options.days >= 0)) throw new RangeError(`days must be >= 0, got ${options.days}`);
  if (!(options.authEventsPerDay >= 0))
    throw new RangeError(`authEventsPerDay must be >= 0, got ${options.authEventsPerDay}`);
  const repeatedShare = options.repeatedRecords ?? 0;
  if (!(repeatedShare >= 0 && repeatedShare <= 1))
    throw new RangeError(`repeatedRecords must be a share from 0 to 1, got ${repeatedShare}`);

  const seed = hashText(options.seed);
  const salt = (value: number): number => mix(seed, value);
  const userCountTotal = options.users;
  const start = options.start;
  const historyStart = ms(Math.round(start - options.days * DAY_MS));

  const userKey = salt(SALT.user);
  const userIdKey = salt(SALT.userId);
  const groupKey = salt(SALT.group);
  const groupIdKey = salt(SALT.groupId);
  const phoneKey = salt(SALT.phone);
  const tokenKey = salt(SALT.token);
  const pickKey = salt(SALT.pick);
  const burstKey = salt(SALT.burst);
  const burstEventKey = salt(SALT.burstEvent);
  const nameOffset = mix(seed, 77) % NAME_COMBOS;

  const groupTotal = Math.max(3, Math.round(userCountTotal / 40));
  const thirdShift = Math.max(1, Math.floor((groupTotal - 1) / 2));

  /** Users ranked by activity are a permutation of indexes: rank r → (a·r + b) mod N. */
  const rankStep = coprimeMultiplier(Math.max(1, userCountTotal), 1 + (mix(seed, 91) % 1_000_003));
  const rankOffset = mix(seed, 92) % Math.max(1, userCountTotal);
  const rankStepInverse = modInverse(rankStep, Math.max(1, userCountTotal));
  const userStride = coprimeMultiplier(Math.max(1, userCountTotal), 7919);

  const perDay: Record<GeneratedType, number> = {
    authentication: options.authEventsPerDay,
    administrator: Math.max(
      options.authEventsPerDay * 0.01 - ADMIN_BURSTS_PER_DAY,
      options.authEventsPerDay * 0.0025,
    ),
    offline_enrollment: options.authEventsPerDay * 0.002,
    activity: options.authEventsPerDay * 0.05,
  };
  const typeKey: Record<LogType, number> = {
    authentication: salt(SALT.authentication),
    administrator: salt(SALT.administrator),
    telephony: salt(SALT.telephony),
    offline_enrollment: salt(SALT.offline_enrollment),
    activity: salt(SALT.activity),
  };

  const applications = Array.from({ length: 10 + (mix(seed, 5) % 11) }, (_, i) => ({
    key: makeId('DI', salt(SALT.app), i),
    name: at(APPLICATION_NAMES, i),
  }));
  const admins: DuoAdmin[] = Array.from({ length: 4 + (mix(seed, 6) % 4) }, (_, i) => {
    const h = mix(salt(SALT.admin), i);
    const first = choose(FIRST_NAMES, mix(h, 1));
    const last = choose(LAST_NAMES, mix(h, 2));
    return {
      admin_id: makeId('DE', salt(SALT.admin), i),
      name: `${CAPITALS(first)} ${CAPITALS(last)}`,
      email: `${first}.${last}@example.com`,
      role: i === 0 ? 'Owner' : choose(ADMIN_ROLES, mix(h, 3)),
      status: 'Active',
      last_login: Math.floor(start / 1000) - (mix(h, 4) % (7 * 86400)),
    };
  });

  // overlay
  const deleted: number[] = []; // ascending user indexes
  const statusOverrides = new Map<number, { status: string; lockoutReason: string | null }>();
  const injected = new Map<LogType, SimEvent[]>();

  // ---- user attributes, each a hash of the index ----

  const userHash = (i: number): number => mix(userKey, i);

  function baseStatus(i: number): Status {
    const r = unit(mix(userHash(i), 1));
    if (r < 0.85) return 'active';
    if (r < 0.9) return 'disabled';
    if (r < 0.94) return 'locked out';
    if (r < 0.97) return 'bypass';
    return 'pending deletion';
  }

  function baseLockoutReason(i: number): string | null {
    return baseStatus(i) === 'locked out' ? weighted(LOCKOUT_REASONS, mix(userHash(i), 2)) : null;
  }

  function activity(i: number): Activity {
    if (phoneCount(i) + tokenCount(i) === 0) return 'never'; // nothing to authenticate with
    const r = unit(mix(userHash(i), 3));
    switch (baseStatus(i)) {
      case 'active':
      case 'bypass':
        return r < 0.03 ? 'never' : r < 0.12 ? 'dormant' : 'active';
      case 'disabled':
        return r < 0.2 ? 'never' : r < 0.7 ? 'dormant' : 'active';
      case 'locked out':
        return baseLockoutReason(i) === 'Not enrolled' ? 'never' : r < 0.3 ? 'dormant' : 'active';
      case 'pending deletion':
        return r < 0.3 ? 'never' : 'dormant';
    }
  }

  /** Dormant users stop authenticating 91 to 360 days before `start`. */
  function dormantSince(i: number): number {
    return start - (91 + (mix(userHash(i), 4) % 270)) * DAY_MS - (mix(userHash(i), 5) % DAY_MS);
  }

  function phoneCount(i: number): number {
    if (baseLockoutReason(i) === 'Not enrolled') return 0;
    const r = unit(mix(userHash(i), 6));
    return r < 0.04 ? 0 : r < 0.86 ? 1 : 2;
  }

  function tokenCount(i: number): number {
    if (baseLockoutReason(i) === 'Not enrolled') return 0;
    const r = unit(mix(userHash(i), 7));
    return r < 0.03 || (phoneCount(i) === 0 && r < 0.5) ? 1 : 0;
  }

  /** The first phone's kind: landlines can only take calls. */
  function phoneIsMobile(i: number, p: number): boolean {
    return unit(mix(mix(phoneKey, i), p * 8 + 1)) >= 0.05;
  }

  function homePlace(i: number): Place {
    const h = userHash(i);
    return unit(mix(h, 8)) < 0.85 ? choose(US_PLACES, mix(h, 9)) : choose(WORLD_PLACES, mix(h, 9));
  }

  function homeIp(i: number): string {
    const h = mix(userHash(i), 10);
    return `${at([73, 98, 108, 162, 174, 24, 68, 99], h & 7)}.${(h >>> 3) & 255}.${(h >>> 11) & 255}.${1 + ((h >>> 19) % 254)}`;
  }

  function names(i: number): { first: string; last: string; suffix: string } {
    const combo = ((((i % NAME_COMBOS) * NAME_STEP) % NAME_COMBOS) + nameOffset) % NAME_COMBOS;
    const repetition = Math.floor(i / NAME_COMBOS);
    return {
      first: at(FIRST_NAMES, combo % FIRST_NAMES.length),
      last: at(LAST_NAMES, Math.floor(combo / FIRST_NAMES.length)),
      suffix: repetition === 0 ? '' : String(repetition + 1),
    };
  }

  function username(i: number): string {
    const n = names(i);
    return `${n.first}.${n.last}${n.suffix}`;
  }

  function usernameIndex(text: string): number | undefined {
    const match = /^([a-z]+)\.([a-z]+)([1-9]\d*)?$/.exec(text);
    if (!match) return undefined;
    const first = FIRST_INDEX.get(match[1] ?? '');
    const last = LAST_INDEX.get(match[2] ?? '');
    if (first === undefined || last === undefined) return undefined;
    const repetition = match[3] === undefined ? 0 : Number(match[3]) - 1;
    if (repetition < 1 && match[3] !== undefined) return undefined;
    const combo = last * FIRST_NAMES.length + first;
    const position =
      (((combo - nameOffset + NAME_COMBOS) % NAME_COMBOS) * NAME_STEP_INVERSE) % NAME_COMBOS;
    const index = repetition * NAME_COMBOS + position;
    return index < userCountTotal && username(index) === text ? index : undefined;
  }

  function aliasesOf(i: number): { alias1: string | null; alias2: string | null } {
    const n = names(i);
    const roll = unit(mix(userHash(i), 12));
    return {
      alias1: roll < 0.2 ? `${n.first}${n.last}${n.suffix}` : null,
      alias2: roll < 0.05 ? `${n.first}_${n.last}${n.suffix}` : null,
    };
  }

  const userId = (i: number): string => makeId('DU', userIdKey, i);
  const isDeleted = (i: number): boolean => binarySearch(deleted, i) >= 0;

  function presentIndexOfId(id: string): number | undefined {
    const i = idIndex(id, 'DU', userIdKey, userCountTotal);
    return i === undefined || isDeleted(i) ? undefined : i;
  }

  // ---- groups ----

  function groupCountOf(i: number): number {
    const r = unit(mix(userHash(i), 11));
    return r < 0.5 ? 1 : r < 0.85 ? 2 : 3;
  }

  /** Offsets of a user's 2nd and 3rd groups from its first, by its block `q = floor(i / G)`. */
  function groupOffsets(q: number): [number, number] {
    const span = groupTotal - 1;
    return [1 + (q % span), 1 + ((q + thirdShift) % span)];
  }

  function groupIndexesOf(i: number): number[] {
    const q = Math.floor(i / groupTotal);
    const r = i % groupTotal;
    const [o2, o3] = groupOffsets(q);
    const count = groupCountOf(i);
    const out = [r];
    if (count >= 2) out.push((r + o2) % groupTotal);
    if (count >= 3) out.push((r + o3) % groupTotal);
    return out;
  }

  /** Members of group g in ascending user index: per block q, up to three candidates. */
  function memberIndexes(g: number): number[] {
    const out: number[] = [];
    const blocks = Math.ceil(userCountTotal / groupTotal);
    for (let q = 0; q < blocks; q++) {
      const base = q * groupTotal;
      const [o2, o3] = groupOffsets(q);
      const block: number[] = [base + g];
      const second = base + ((g - o2 + groupTotal) % groupTotal);
      if (groupCountOf(second) >= 2) block.push(second);
      const third = base + ((g - o3 + groupTotal) % groupTotal);
      if (groupCountOf(third) >= 3) block.push(third);
      block.sort((a, b) => a - b);
      for (const i of block) if (i < userCountTotal && !isDeleted(i)) out.push(i);
    }
    return out;
  }

  function groupName(g: number): string {
    const department = at(DEPARTMENTS, g % DEPARTMENTS.length);
    const site = Math.floor(g / DEPARTMENTS.length);
    if (site === 0) return department;
    const round = Math.floor((site - 1) / SITES.length);
    return `${department} - ${at(SITES, (site - 1) % SITES.length)}${round === 0 ? '' : ` ${round + 1}`}`;
  }

  function groupObject(g: number): DuoGroup {
    const h = mix(groupKey, g);
    const status =
      unit(mix(h, 1)) < 0.04 ? 'Disabled' : unit(mix(h, 1)) < 0.06 ? 'Bypass' : 'Active';
    const synced = unit(mix(h, 2)) < 0.5;
    return {
      desc: synced ? `Synced from Active Directory (corp.example.com)` : `${groupName(g)} staff`,
      group_id: makeId('DG', groupIdKey, g),
      mobile_otp_enabled: false,
      name: groupName(g),
      push_enabled: true,
      sms_enabled: unit(mix(h, 3)) < 0.7,
      status,
      voice_enabled: unit(mix(h, 4)) < 0.5,
    };
  }

  // ---- user objects ----

  function phoneNumber(i: number, p: number): string {
    const h = mix(mix(phoneKey, i), p * 8 + 2);
    const exchange = 200 + ((h >>> 4) % 800);
    return `+1${choose(AREA_CODES, h)}${exchange}${String((h >>> 14) % 10_000).padStart(4, '0')}`;
  }

  function phoneKind(i: number, p: number): { mobile: boolean; platform: string; model: string } {
    const h = mix(mix(phoneKey, i), p * 8 + 3);
    const mobile = phoneIsMobile(i, p);
    if (!mobile) return { mobile, platform: 'Unknown', model: 'Unknown' };
    if (unit(mix(h, 1)) < 0.55) return { mobile, platform: 'Apple iOS', model: 'Apple iPhone' };
    if (unit(mix(h, 2)) >= 0.9)
      return { mobile, platform: 'Generic Smartphone', model: 'Generic Smartphone' };
    const model = choose(['Google Pixel 8', 'Samsung Galaxy S23', 'OnePlus 11'], mix(h, 3));
    return { mobile, platform: 'Google Android', model };
  }

  function phoneObject(i: number, p: number): DuoPhone {
    const h = mix(mix(phoneKey, i), p * 8 + 3);
    const { mobile, platform, model } = phoneKind(i, p);
    const lastSeenMs = start - (mix(h, 4) % (30 * 86400)) * 1000;
    return {
      phone_id: phoneId(i, p),
      number: phoneNumber(i, p),
      extension: '',
      name: '',
      type: mobile ? 'Mobile' : 'Landline',
      platform,
      model,
      activated: mobile && unit(mix(h, 5)) < 0.92,
      capabilities: !mobile
        ? ['phone']
        : platform === 'Generic Smartphone'
          ? ['sms', 'phone']
          : ['auto', 'push', 'sms', 'phone', 'mobile_otp'],
      last_seen: new Date(lastSeenMs).toISOString().slice(0, 19),
      sms_passcodes_sent: unit(mix(h, 6)) < 0.2,
      predelay: null,
      postdelay: null,
      encrypted: mobile ? 'Encrypted' : '',
      fingerprint: mobile ? 'Configured' : '',
      screenlock: mobile ? 'Locked' : '',
      tampered: mobile ? 'Not tampered' : '',
    };
  }

  const phoneId = (i: number, p: number): string => makeId('DP', phoneKey, i * 2 + p);
  const tokenId = (i: number): string => makeId('DH', tokenKey, i);

  function tokenObject(i: number): DuoToken {
    const h = mix(tokenKey, i);
    return {
      serial: String(100000 + (h % 900000)),
      token_id: tokenId(i),
      type: choose(['h6', 'h8', 'yk', 'd1'], mix(h, 1)),
    };
  }

  function userObject(i: number): DuoUser {
    const h = userHash(i);
    const n = names(i);
    const name = username(i);
    const email = `${name}@example.com`;
    const override = statusOverrides.get(i);
    const status = override?.status ?? baseStatus(i);
    const lockoutReason = override ? override.lockoutReason : baseLockoutReason(i);
    const phones = Array.from({ length: phoneCount(i) }, (_, p) => phoneObject(i, p));
    const tokens = Array.from({ length: tokenCount(i) }, () => tokenObject(i));
    const { alias1, alias2 } = aliasesOf(i);
    const aliases: Record<string, string> = {};
    if (alias1 !== null) aliases.alias1 = alias1;
    if (alias2 !== null) aliases.alias2 = alias2;
    const synced = unit(mix(h, 13)) < 0.6;
    const createdSec = Math.floor(historyStart / 1000) - 86400 * (30 + (mix(h, 14) % 1100));
    return {
      user_id: userId(i),
      username: name,
      realname: `${CAPITALS(n.first)} ${CAPITALS(n.last)}`,
      email,
      firstname: CAPITALS(n.first),
      lastname: CAPITALS(n.last),
      status,
      lockout_reason: lockoutReason,
      notes: unit(mix(h, 15)) < 0.05 ? 'Contractor until end of quarter' : '',
      created: createdSec,
      last_login: lastLogin(i, createdSec),
      last_directory_sync: synced ? Math.floor(start / 1000) - (mix(h, 16) % 86400) : null,
      is_enrolled: phones.length + tokens.length > 0,
      external_id: synced ? uuidFrom(mix(h, 17)) : null,
      enable_auto_prompt: true,
      custom_attributes: {},
      alias1,
      alias2,
      alias3: null,
      alias4: null,
      aliases,
      groups: groupIndexesOf(i).map((g) => groupObject(g)),
      phones,
      tokens,
      u2ftokens: [],
      webauthncredentials: [],
    };
  }

  /** Seconds; null for users who never logged in. Close to (not exactly) their last auth event. */
  function lastLogin(i: number, createdSec: number): number | null {
    const h = mix(userHash(i), 18);
    switch (activity(i)) {
      case 'never':
        return null;
      case 'dormant':
        return Math.max(createdSec, Math.floor((dormantSince(i) - (h % DAY_MS)) / 1000));
      case 'active': {
        // the rarer the user (rank fraction x, picked with density x^(-2/3)/3), the older
        const x = (rankOf(i) + 0.5) / Math.max(1, userCountTotal);
        const perDay = options.authEventsPerDay / Math.max(1, userCountTotal) / (3 * x ** (2 / 3));
        const gapMs = Math.min(60 * DAY_MS, DAY_MS / Math.max(perDay, 1 / 60));
        return Math.max(createdSec, Math.floor((start - unit(h) * gapMs) / 1000));
      }
    }
  }

  function positionToIndex(position: number): number {
    if (
      !Number.isSafeInteger(position) ||
      position < 0 ||
      position >= userCountTotal - deleted.length
    )
      throw new RangeError(`no user at position ${position}`);
    let index = position;
    for (const d of deleted) {
      if (d <= index) index++;
      else break;
    }
    return index;
  }

  // ---- picking users for events ----

  function activeAt(i: number, t: number): boolean {
    switch (activity(i)) {
      case 'never':
        return false;
      case 'dormant':
        return t < dormantSince(i);
      case 'active':
        return true;
    }
  }

  function fits(i: number, t: number, need: AuthNeed): boolean {
    const status = baseStatus(i);
    if (need === 'status_denied') {
      const blocked = status === 'disabled' || status === 'locked out';
      return blocked && (activity(i) !== 'dormant' || t < dormantSince(i));
    }
    if (!activeAt(i, t)) return false;
    if (need === 'bypass') return status === 'bypass';
    if (status !== 'active') return false;
    switch (need) {
      case 'any':
        return phoneCount(i) + tokenCount(i) > 0;
      case 'phone':
        return phoneCount(i) > 0;
      case 'mobile':
        return phoneCount(i) > 0 && phoneIsMobile(i, 0);
      case 'token':
        return tokenCount(i) > 0;
    }
  }

  /**
   * A user for an event at `t`: skewed (rank = N·u³, so a few users are very active and many
   * rare), retried by hash until one fits; the first candidate if none does.
   */
  function pickUser(e: number, t: number, need: AuthNeed): number {
    if (userCountTotal === 0) return -1;
    let first = 0;
    for (let attempt = 0; attempt < 96; attempt++) {
      const u = unit(mix3(pickKey, e, attempt));
      const i = indexOfRank(Math.floor(userCountTotal * u * u * u));
      if (attempt === 0) first = i;
      if (fits(i, t, need)) return i;
    }
    // rare needs (a hardware token, a disabled user) in small tenants: walk on from the first
    const steps = Math.min(userCountTotal, 4096);
    for (let k = 1; k < steps; k++) {
      const i = (first + k) % userCountTotal;
      if (fits(i, t, need)) return i;
    }
    for (let k = 0; k < steps; k++) {
      const i = (first + k) % userCountTotal;
      if (fits(i, t, 'any')) return i;
    }
    return -1;
  }

  const indexOfRank = (rank: number): number => (rank * rankStep + rankOffset) % userCountTotal;
  const rankOf = (i: number): number =>
    (((i - rankOffset + userCountTotal) % userCountTotal) * rankStepInverse) % userCountTotal;

  function eventPlace(i: number, h: number): { place: Place; ip: string } {
    const r = unit(mix(h, 1));
    if (i < 0 || r >= 0.93) {
      const place = r >= 0.98 ? choose(WORLD_PLACES, mix(h, 2)) : choose(ALL_PLACES, mix(h, 2));
      const x = mix(h, 3);
      return {
        place,
        ip: `${at([41, 45, 89, 103, 185, 196], x % 6)}.${(x >>> 4) & 255}.${(x >>> 12) & 255}.${1 + ((x >>> 20) % 254)}`,
      };
    }
    return { place: homePlace(i), ip: homeIp(i) };
  }

  // ---- minute counts and slots ----

  function minuteMean(type: GeneratedType, minute: number): number {
    return (perDay[type] / 1440) * rhythm(minute);
  }

  function burstSize(minute: number): number {
    const week = Math.floor(minute / WEEK_MINUTES);
    const h = mix(burstKey, week);
    // the weekly directory-sync burst starts at a business-hours minute of a weekday
    const offset = (1 + (h % 5)) * 1440 + 14 * 60 + (mix(h, 1) % 180);
    if (minute !== week * WEEK_MINUTES + offset) return 0;
    return ADMIN_BURST_MIN + (mix(h, 2) % ADMIN_BURST_SPREAD);
  }

  /** Events of the minute before the history cut is applied (administrator: bursts included). */
  function rawCount(type: GeneratedType, minute: number): number {
    const regular = countWithMean(
      minuteMean(type, minute),
      mix(typeKey[type] ^ 0x5bd1e995, minute),
    );
    return type === 'administrator' ? regular + burstSize(minute) : regular;
  }

  function authTs(minute: number, e: number): number {
    return minute * MINUTE_MS + Math.floor(unit(mix(e, 2)) * MINUTE_MS);
  }

  function telephonyTs(authAt: number, e: number): number {
    return authAt + 2000 + Math.floor(unit(mix(e, 20)) * (TELEPHONY_MAX_DELAY_MS - 2000));
  }

  const eventHash = (type: LogType, minute: number, rank: number): number =>
    mix3(typeKey[type], minute, rank);

  function generatedSlots(type: GeneratedType, minute: number): Slot[] {
    const n = rawCount(type, minute);
    const out: Slot[] = [];
    if (type === 'administrator') {
      const regular = n - burstSize(minute);
      let second = minute * 60;
      for (let rank = 0; rank < n; rank++) {
        if (rank < regular) {
          const e = eventHash(type, minute, rank);
          // admins act in quick succession: a third of events share the previous one's second
          if (rank === 0 || unit(mix(e, 3)) >= 0.35)
            second = minute * 60 + Math.floor(unit(mix(e, 2)) * 60);
          const key = hex8(mix(e, 11)) + hex8(mix(e, 12));
          pushWithCopies(out, { ts: second * 1000, key, minute, rank }, e);
        } else {
          const b = mix3(burstEventKey, minute, rank);
          const h = mix(burstKey, Math.floor(minute / WEEK_MINUTES));
          second =
            minute * 60 + (mix(h, 3) % 50) + Math.floor(((rank - regular) * 5) / (n - regular));
          const ts = second * 1000;
          if (ts >= historyStart)
            out.push({ ts, key: hex8(mix(b, 11)) + hex8(mix(b, 12)), minute, rank });
        }
      }
    } else {
      for (let rank = 0; rank < n; rank++) {
        const e = eventHash(type, minute, rank);
        const ts = authTs(minute, e);
        if (type === 'offline_enrollment') {
          const key = hex8(mix(e, 11)) + hex8(mix(e, 12));
          pushWithCopies(out, { ts: Math.floor(ts / 1000) * 1000, key, minute, rank }, e);
        } else if (ts >= historyStart) {
          out.push({ ts, key: uuidFrom(e, minute, rank), minute, rank });
        }
      }
    }
    return out.sort(compareSlots);
  }

  function telephonySlots(minute: number): Slot[] {
    const out: Slot[] = [];
    for (let authMinute = minute - 1; authMinute <= minute; authMinute++) {
      const n = rawCount('authentication', authMinute);
      for (let rank = 0; rank < n; rank++) {
        const e = eventHash('authentication', authMinute, rank);
        const shape = authShape(e);
        if (shape.factor !== 'phone_call' && shape.factor !== 'sms_passcode') continue;
        const at0 = authTs(authMinute, e);
        if (at0 < historyStart) continue;
        const ts = telephonyTs(at0, e);
        if (Math.floor(ts / MINUTE_MS) !== minute) continue;
        out.push({ ts, key: uuidFrom(mix(e, 0x7e1), authMinute, rank), minute: authMinute, rank });
      }
    }
    return out.sort(compareSlots);
  }

  function slotsOf(type: LogType, minute: number): Slot[] {
    return type === 'telephony' ? telephonySlots(minute) : generatedSlots(type, minute);
  }

  /** Count of a whole minute, without building keys where the arithmetic allows. */
  /** Count of a whole generated minute: arithmetic, unless the history cut falls inside it. */
  function minuteCount(type: GeneratedType, minute: number): number {
    if (minute * MINUTE_MS < historyStart || (repeatedShare > 0 && isV1Log(type)))
      return generatedSlots(type, minute).length;
    return rawCount(type, minute);
  }

  /**
   * How many byte-identical copies follow a regular v1 record (`repeatedRecords`): none, or 1
   * or 2, so that a repeated record appears 2 or 3 times in its second.
   */
  function copiesAfter(e: number): number {
    if (repeatedShare === 0 || unit(mix(e, 21)) >= repeatedShare) return 0;
    return 1 + (mix(e, 22) % 2);
  }

  /**
   * A v1 slot inside history, then its copies: same minute and rank (so the same record), keys
   * `<key>-<n>`.
   */
  function pushWithCopies(out: Slot[], slot: Slot, e: number): void {
    if (slot.ts < historyStart) return;
    out.push(slot);
    for (let copy = 1; copy <= copiesAfter(e); copy++)
      out.push({ ...slot, key: `${slot.key}-${copy}` });
  }

  /** Whole-day telephony counts, memoised: they are pure functions of the seed (≤ 4096 kept). */
  const telephonyDays = new Map<number, number>();

  /** Telephony in [from, to]; whole days come from the memo, the edges are counted directly. */
  function telephonyCount(from: number, to: number): number {
    const firstDay = Math.ceil(from / DAY_MS);
    const endDay = Math.floor((to + 1) / DAY_MS);
    if (endDay - firstDay < 1) return telephonyCountDirect(from, to);
    let total = 0;
    if (from < firstDay * DAY_MS) total += telephonyCountDirect(from, firstDay * DAY_MS - 1);
    for (let day = firstDay; day < endDay; day++) {
      let count = telephonyDays.get(day);
      if (count === undefined) {
        count = telephonyCountDirect(Math.max(day * DAY_MS, historyStart), (day + 1) * DAY_MS - 1);
        if (telephonyDays.size >= 4096) telephonyDays.clear();
        telephonyDays.set(day, count);
      }
      total += count;
    }
    if (endDay * DAY_MS <= to) total += telephonyCountDirect(endDay * DAY_MS, to);
    return total;
  }

  /** Telephony in [from, to]: one pass over the auth events that may lead to it, no records. */
  function telephonyCountDirect(from: number, to: number): number {
    if (to < from) return 0;
    let count = 0;
    const last = Math.floor(to / MINUTE_MS);
    for (
      let minute = Math.floor((from - TELEPHONY_MAX_DELAY_MS) / MINUTE_MS);
      minute <= last;
      minute++
    ) {
      const n = rawCount('authentication', minute);
      for (let rank = 0; rank < n; rank++) {
        const e = eventHash('authentication', minute, rank);
        const factor = authFactor(e);
        if (factor !== 'phone_call' && factor !== 'sms_passcode') continue;
        const at0 = authTs(minute, e);
        if (at0 < historyStart) continue;
        const ts = telephonyTs(at0, e);
        if (ts >= from && ts <= to) count++;
      }
    }
    return count;
  }

  function generatedCount(type: LogType, fromMs: number, toMs: number): number {
    const from = Math.max(fromMs, historyStart);
    if (toMs < from) return 0;
    if (type === 'telephony') return telephonyCount(from, toMs);
    const first = Math.floor(from / MINUTE_MS);
    const last = Math.floor(toMs / MINUTE_MS);
    const inRange = (s: Slot): boolean => s.ts >= from && s.ts <= toMs;
    if (first === last) return generatedSlots(type, first).filter(inRange).length;
    let total = 0;
    total +=
      from === first * MINUTE_MS
        ? minuteCount(type, first)
        : generatedSlots(type, first).filter(inRange).length;
    for (let minute = first + 1; minute < last; minute++) total += minuteCount(type, minute);
    total +=
      toMs === last * MINUTE_MS + MINUTE_MS - 1
        ? minuteCount(type, last)
        : generatedSlots(type, last).filter(inRange).length;
    return total;
  }

  // ---- records ----

  function authCore(minute: number, rank: number) {
    const e = eventHash('authentication', minute, rank);
    const ts = authTs(minute, e);
    const shape = authShape(e);
    const user = pickUser(e, ts, shape.need);
    return { e, ts, shape, user, txid: uuidFrom(e, minute, rank), micro: mix(e, 7) % 1000 };
  }

  function accessDevice(user: number, e: number): Record<string, unknown> {
    const h = mix(userHash(Math.max(user, 0)), 30);
    const { place, ip } = eventPlace(user, mix(e, 8));
    const osRoll = unit(mix(h, 1));
    const [os, osVersion, browser, browserVersion] =
      osRoll < 0.55
        ? [
            'Windows',
            choose(['10', '11'], mix(h, 2)),
            unit(mix(h, 3)) < 0.7 ? 'Chrome' : 'Edge',
            '124.0.6367.91',
          ]
        : osRoll < 0.8
          ? [
              'Mac OS X',
              choose(['13.6.4', '14.4.1'], mix(h, 2)),
              unit(mix(h, 3)) < 0.5 ? 'Safari' : 'Chrome',
              '17.4.1',
            ]
          : osRoll < 0.9
            ? ['iOS', '17.4.1', 'Mobile Safari', '17.4']
            : osRoll < 0.97
              ? ['Android', '14', 'Chrome Mobile', '124.0.6367.82']
              : ['Linux', null, 'Firefox', '125.0'];
    const tri = (k: number): boolean | string => {
      const r = unit(mix(e, 40 + k));
      return r < 0.7 ? true : r < 0.9 ? false : 'unknown';
    };
    const agentsRoll = unit(mix(e, 45));
    return {
      browser,
      browser_version: browserVersion,
      epkey: null,
      flash_version: 'uninstalled',
      hostname: null,
      ip,
      is_encryption_enabled: tri(1),
      is_firewall_enabled: tri(2),
      is_password_set: tri(3),
      java_version: 'uninstalled',
      location: { city: place.city, country: place.country, state: place.state },
      os,
      os_version: osVersion,
      security_agents:
        agentsRoll < 0.3
          ? [{ security_agent: 'cisco-amp', version: '1' }]
          : agentsRoll < 0.6
            ? []
            : agentsRoll < 0.8
              ? null
              : 'unknown',
    };
  }

  function authDevice(
    user: number,
    factor: string | null,
    e: number,
  ): Record<string, unknown> | null {
    if (user < 0 || factor === null) return null;
    const { place, ip } = eventPlace(user, mix(e, 9));
    const location = { city: place.city, country: place.country, state: place.state };
    switch (factor) {
      case 'duo_push':
      case 'duo_mobile_passcode':
        if (phoneCount(user) === 0) return null;
        return {
          ip,
          key: phoneId(user, 0),
          location,
          name: `${phoneKind(user, 0).model} (${phoneNumber(user, 0)})`,
        };
      case 'phone_call':
      case 'sms_passcode':
      case 'sms_refresh':
        if (phoneCount(user) === 0) return null;
        return {
          ip: null,
          key: phoneId(user, 0),
          location: { city: null, country: null, state: null },
          name: phoneNumber(user, 0),
        };
      case 'hardware_token':
      case 'yubikey_code':
        if (tokenCount(user) === 0) return null;
        return {
          ip: null,
          key: tokenId(user),
          location: { city: null, country: null, state: null },
          name: String(tokenObject(user).serial),
        };
      case 'WebAuthn Security Key':
      case 'WebAuthn Chrome Touch ID':
      case 'WebAuthn Credential':
        return {
          ip: null,
          key: `WA${hex8(mix(userHash(user), 31)).toUpperCase()}`,
          location,
          name: factor === 'WebAuthn Chrome Touch ID' ? 'Touch ID' : 'YubiKey 5 NFC',
        };
      default:
        return null;
    }
  }

  function trustAssessment(low: boolean): Record<string, unknown> {
    return {
      features_version: '3.0',
      model_version: '2022.07.19.001',
      policy_enabled: false,
      reason: low
        ? 'Unusual location and device for this user'
        : 'Normal level of trust; no detection of known attack pattern',
      trust_level: low ? 'LOW' : 'NORMAL',
    };
  }

  function authRecord(minute: number, rank: number): Record<string, unknown> {
    const { e, ts, shape, user, txid, micro } = authCore(minute, rank);
    const name = user >= 0 ? username(user) : 'unknown';
    const suspicious = shape.result === 'fraud' || unit(mix(e, 10)) < 0.01;
    const app = at(applications, Math.floor(applications.length * unit(mix(e, 11)) ** 2));
    return {
      access_device: accessDevice(user, e),
      adaptive_trust_assessments: {
        more_secure_auth: trustAssessment(suspicious),
        remember_me: trustAssessment(suspicious),
      },
      alias: '',
      application: { key: app.key, name: app.name },
      auth_device: authDevice(user, shape.factor, e),
      email: user >= 0 ? `${name}@example.com` : '',
      event_type: shape.eventType,
      factor: shape.factor,
      isotimestamp: isoMicro(ts, micro),
      ood_software: null,
      reason:
        shape.reason ??
        (shape.need === 'status_denied' && user >= 0 ? statusDenialReason(user) : null),
      result: shape.result,
      timestamp: Math.floor(ts / 1000),
      trusted_endpoint_status: choose(
        ['not trusted', 'not trusted', 'trusted', 'unknown'],
        mix(e, 12),
      ),
      txid,
      user: {
        groups: user >= 0 ? groupIndexesOf(user).map((g) => groupName(g)) : [],
        key: user >= 0 ? userId(user) : null,
        name,
      },
    };
  }

  function statusDenialReason(user: number): string {
    return baseStatus(user) === 'disabled' ? 'user_disabled' : 'locked_out';
  }

  function telephonyRecord(minute: number, rank: number): Record<string, unknown> {
    const { e, ts: authAt, shape, user, txid } = authCore(minute, rank);
    const ts = telephonyTs(authAt, e);
    const sms = shape.factor === 'sms_passcode';
    const phone = user >= 0 && phoneCount(user) > 0 ? phoneNumber(user, 0) : null;
    return {
      context: 'authentication',
      credits: sms ? 1 : 2,
      phone,
      telephony_id: uuidFrom(mix(e, 0x7e1), minute, rank),
      ts: isoMicro(ts, mix(e, 21) % 1000),
      txid,
      type: sms ? 'sms' : 'phone',
    };
  }

  function adminDescription(action: string, user: number, h: number): string | null {
    const roll = unit(mix(h, 1));
    if (roll < 0.04) {
      // Duo's description is a JSON string; some records in the wild are not valid JSON
      return choose(
        [
          `{'status': 'Disabled', 'notes': ''}`,
          `{"notes": "Joe asked for their nickname to be displayed instead of`,
          'Updated user via Admin API',
        ],
        mix(h, 2),
      );
    }
    const name = user >= 0 ? username(user) : 'unknown';
    const n = user >= 0 ? names(user) : { first: 'unknown', last: 'user' };
    const realname = `${CAPITALS(n.first)} ${CAPITALS(n.last)}`;
    switch (action) {
      case 'admin_login':
        return JSON.stringify({
          ip_address: homeIp(Math.max(user, 0)),
          device: phoneNumber(Math.max(user, 0), 0),
          factor: 'push',
          primary_auth_method: 'Password',
        });
      case 'admin_login_error':
        return JSON.stringify({ ip_address: homeIp(Math.max(user, 0)), error: 'Invalid password' });
      case 'user_create':
        return JSON.stringify({
          email: `${name}@example.com`,
          realname,
          status: 'Active',
          username: name,
        });
      case 'user_update':
        return roll < 0.5
          ? JSON.stringify({
              status: choose(['Active', 'Disabled', 'Bypass', 'Locked Out'], mix(h, 3)),
            })
          : JSON.stringify({ notes: 'Asked for their nickname to be displayed.', realname });
      case 'user_delete':
        return JSON.stringify({ email: `${name}@example.com`, realname });
      case 'phone_create':
      case 'phone_update':
      case 'phone_delete':
        return JSON.stringify({
          number: phoneNumber(Math.max(user, 0), 0),
          platform: 'Apple iOS',
          type: 'Mobile',
        });
      case 'group_create':
      case 'group_update':
        return JSON.stringify({ desc: 'Synced from Active Directory', status: 'Active' });
      case 'integration_create':
      case 'integration_update':
        return JSON.stringify({
          adminapi_read_log: true,
          adminapi_read_resource: roll < 0.5,
          greeting: '',
        });
      case 'customer_update':
        return JSON.stringify({ helpdesk_bypass: 'limit', helpdesk_bypass_expiration: 60 });
      default:
        return null;
    }
  }

  const ADMIN_ACTIONS: readonly (readonly [string, number])[] = [
    ['admin_login', 30],
    ['user_update', 20],
    ['user_create', 6],
    ['user_delete', 3],
    ['phone_create', 5],
    ['phone_update', 3],
    ['phone_delete', 2],
    ['group_update', 5],
    ['group_create', 1],
    ['integration_update', 4],
    ['integration_create', 1],
    ['admin_login_error', 4],
    ['admin_update', 2],
    ['customer_update', 1],
    ['admin_self_activate', 1],
    ['activation_begin', 2],
    ['admin_activate_duo_push', 1],
  ];

  function adminRecord(slot: Slot): Record<string, unknown> {
    const regular = rawCount('administrator', slot.minute) - burstSize(slot.minute);
    const burst = slot.rank >= regular;
    const e = burst
      ? mix3(burstEventKey, slot.minute, slot.rank)
      : eventHash('administrator', slot.minute, slot.rank);
    const action = burst ? 'user_update' : weighted(ADMIN_ACTIONS, mix(e, 4));
    // distinct users and rotating admins within a minute: two v1 records of one second differ,
    // unless `repeatedRecords` adds identical copies (or a burst outnumbers the users)
    const base = mix(burst ? burstKey : typeKey.administrator, slot.minute);
    const user = userCountTotal === 0 ? -1 : (base + slot.rank * userStride) % userCountTotal;
    const admin = at(admins, (base + slot.rank) % admins.length);
    const object = action.startsWith('user_')
      ? user >= 0
        ? username(user)
        : null
      : action.startsWith('phone_') ||
          action.startsWith('activation_') ||
          action.endsWith('duo_push')
        ? user >= 0
          ? phoneNumber(user, 0)
          : null
        : action.startsWith('group_')
          ? groupName(mix(e, 7) % groupTotal)
          : action.startsWith('integration_')
            ? choose(applications, mix(e, 7)).name
            : action === 'customer_update'
              ? null
              : (admin.name ?? null);
    return {
      action,
      description: burst
        ? JSON.stringify({ status: 'Active', last_directory_sync: Math.floor(slot.ts / 1000) })
        : adminDescription(action, user, mix(e, 8)),
      isotimestamp: isoSeconds(slot.ts),
      object,
      timestamp: Math.floor(slot.ts / 1000),
      username: burst || unit(mix(e, 9)) < 0.05 ? '' : (admin.name ?? ''),
    };
  }

  function offlineRecord(slot: Slot): Record<string, unknown> {
    const e = eventHash('offline_enrollment', slot.minute, slot.rank);
    const user = pickUser(e, slot.ts, 'any');
    const action = weighted(
      [
        ['o2fa_user_provisioned', 70],
        ['o2fa_user_reenrolled', 20],
        ['o2fa_user_deprovisioned', 10],
      ],
      mix(e, 4),
    );
    const windows = choose(
      ['10.0.19045; x64; Workstation', '10.0.22631; x64; Workstation', '6.3.9600; x64; Server'],
      mix(e, 5),
    );
    return {
      action,
      description: JSON.stringify({
        user_agent: `DuoCredProv/4.2.${mix(e, 6) % 3}.${400 + (mix(e, 7) % 100)} (Windows NT ${windows})`,
        hostname: `WKS-${hex8(mix(e, 8)).slice(0, 6).toUpperCase()}`,
        factor: choose(['duo_otp', 'duo_otp', 'security_key'], mix(e, 9)),
      }),
      isotimestamp: isoSeconds(slot.ts),
      object: 'Acme Laptop Windows Logon',
      timestamp: Math.floor(slot.ts / 1000),
      username: user >= 0 ? username(user) : '',
    };
  }

  const ACTIVITY_ACTIONS = [
    'phone_activate',
    'webauthncredential_create',
    'webauthncredential_delete',
    'user_update',
    'phone_create',
    'bypass_code_create',
    'user_enroll',
  ] as const;

  function activityRecord(slot: Slot): Record<string, unknown> {
    const e = eventHash('activity', slot.minute, slot.rank);
    const user = pickUser(e, slot.ts, 'any');
    const name = user >= 0 ? username(user) : 'unknown';
    const key = user >= 0 ? userId(user) : null;
    const app = choose(applications, mix(e, 4));
    const { place, ip } = eventPlace(user, mix(e, 5));
    const byAdmin = unit(mix(e, 6)) < 0.2;
    const admin = at(admins, mix(e, 7) % admins.length);
    const actor = byAdmin
      ? {
          details: JSON.stringify({ email: admin.email, role: admin.role }),
          key: admin.admin_id,
          name: admin.name,
          type: 'admin',
        }
      : { details: JSON.stringify({ email: `${name}@example.com` }), key, name, type: 'user' };
    return {
      access_device: {
        browser: 'Chrome',
        browser_version: '124.0.6367.91',
        epkey: null,
        ip: { address: ip },
        location: { city: place.city, country: place.country, state: place.state },
        os: 'Windows',
        os_version: '11',
      },
      action: { details: null, name: choose(ACTIVITY_ACTIONS, mix(e, 8)) },
      activity_id: slot.key,
      actor,
      akey: makeId('DA', seed, 0),
      application: { key: app.key, name: app.name, type: 'integration' },
      old_target: null,
      outcome: { result: unit(mix(e, 9)) < 0.95 ? 'SUCCESS' : 'FAILURE' },
      target: {
        details: JSON.stringify({ email: `${name}@example.com`, status: 'active' }),
        key,
        name,
        type: 'user',
      },
      ts: isoMicro(slot.ts, mix(e, 7) % 1000),
    };
  }

  function buildEvent(type: LogType, slot: Slot): SimEvent {
    let record: Record<string, unknown>;
    switch (type) {
      case 'authentication':
        record = authRecord(slot.minute, slot.rank);
        break;
      case 'telephony':
        record = telephonyRecord(slot.minute, slot.rank);
        break;
      case 'administrator':
        record = adminRecord(slot);
        break;
      case 'offline_enrollment':
        record = offlineRecord(slot);
        break;
      case 'activity':
        record = activityRecord(slot);
        break;
    }
    const ts = ms(slot.ts);
    return { type, ts, key: slot.key, publishedAt: ts, record };
  }

  // ---- the interface ----

  function* events(type: LogType, fromMs: EpochMs, toMs: EpochMs): Generator<SimEvent> {
    const extra = injectedIn(type, fromMs, toMs);
    let k = 0;
    const from = Math.max(fromMs, historyStart);
    if (toMs >= from) {
      const last = Math.floor(toMs / MINUTE_MS);
      for (let minute = Math.floor(from / MINUTE_MS); minute <= last; minute++) {
        for (const slot of slotsOf(type, minute)) {
          if (slot.ts < from || slot.ts > toMs) continue;
          for (let next = extra[k]; next && compareSlots(next, slot) < 0; next = extra[++k])
            yield next;
          yield buildEvent(type, slot);
        }
      }
    }
    for (; k < extra.length; k++) yield at(extra, k);
  }

  function injectedIn(type: LogType, from: number, to: number): SimEvent[] {
    const list = injected.get(type);
    if (!list) return [];
    const out: SimEvent[] = [];
    for (let i = lowerBound(list, from); i < list.length && at(list, i).ts <= to; i++)
      out.push(at(list, i));
    return out;
  }

  function inject(added: readonly SimEvent[]): void {
    for (const event of added) {
      let list = injected.get(event.type);
      if (!list) {
        list = [];
        injected.set(event.type, list);
      }
      let i = lowerBound(list, event.ts);
      while (i < list.length && compareSlots(at(list, i), event) < 0) i++;
      const same = list[i];
      if (same && same.ts === event.ts && same.key === event.key) list[i] = event;
      else list.splice(i, 0, event);
    }
  }

  function count(type: LogType, from: EpochMs, to: EpochMs, visibleAt: EpochMs): number {
    let total = generatedCount(type, from, Math.min(to, visibleAt));
    for (const event of injectedIn(type, from, to)) if (event.publishedAt <= visibleAt) total++;
    return total;
  }

  /** Duo's `username` lookup also matches aliases, so this does too (alias1, then alias2). */
  function findUserByUsername(name: string): DuoUser | undefined {
    const i = usernameIndex(name) ?? aliasIndex(name);
    return i === undefined || isDeleted(i) ? undefined : userObject(i);
  }

  /** `johnsmith2` (alias1) or `john_smith2` (alias2), back to the user. */
  function aliasIndex(text: string): number | undefined {
    const underscore = /^([a-z]+)_([a-z]+)(\d*)$/.exec(text);
    if (underscore) {
      const i = usernameIndex(
        `${underscore[1] ?? ''}.${underscore[2] ?? ''}${underscore[3] ?? ''}`,
      );
      return i !== undefined && aliasesOf(i).alias2 === text ? i : undefined;
    }
    for (const first of FIRST_NAMES) {
      if (!text.startsWith(first)) continue;
      const rest = /^([a-z]+?)(\d*)$/.exec(text.slice(first.length));
      if (!rest) continue;
      const i = usernameIndex(`${first}.${rest[1] ?? ''}${rest[2] ?? ''}`);
      if (i !== undefined && aliasesOf(i).alias1 === text) return i;
    }
    return undefined;
  }

  function findGroupIndex(groupId: string): number | undefined {
    return idIndex(groupId, 'DG', groupIdKey, groupTotal);
  }

  return {
    options,
    historyStart,
    userCount: () => userCountTotal - deleted.length,
    userAt: (position) => userObject(positionToIndex(position)),
    findUser: (id) => {
      const i = presentIndexOfId(id);
      return i === undefined ? undefined : userObject(i);
    },
    findUserByUsername,
    findUserByEmail: (email) => {
      const match = /^(.+)@example\.com$/i.exec(email);
      return match ? findUserByUsername((match[1] ?? '').toLowerCase()) : undefined;
    },
    groupCount: () => groupTotal,
    groupAt: (position) => {
      if (!Number.isSafeInteger(position) || position < 0 || position >= groupTotal)
        throw new RangeError(`no group at position ${position}`);
      return groupObject(position);
    },
    findGroup: (id) => {
      const g = findGroupIndex(id);
      return g === undefined ? undefined : groupObject(g);
    },
    groupMembers: (groupId, offset, limit) => {
      const g = findGroupIndex(groupId);
      if (g === undefined) return undefined;
      const all = memberIndexes(g);
      const members: DuoGroupMember[] = all
        .slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit))
        .map((i) => ({ user_id: userId(i), username: username(i) }));
      return { members, total: all.length };
    },
    admins: () => admins.map((admin) => ({ ...admin })),
    events,
    count,
    inject,
    deleteUser: (id) => {
      const i = presentIndexOfId(id);
      if (i === undefined) return false;
      deleted.splice(insertionPoint(deleted, i), 0, i);
      statusOverrides.delete(i);
      return true;
    },
    setUserStatus: (id, status, lockoutReason) => {
      const i = presentIndexOfId(id);
      if (i === undefined) return false;
      statusOverrides.set(i, {
        status,
        lockoutReason:
          lockoutReason !== undefined
            ? lockoutReason
            : status === 'locked out'
              ? 'Admin disabled'
              : null,
      });
      return true;
    },
    meanPerDay: (type) =>
      type === 'administrator' ? perDay.administrator + ADMIN_BURSTS_PER_DAY : perDay[type],
  };
}

function binarySearch(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = at(sorted, mid);
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function insertionPoint(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(sorted, mid) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
