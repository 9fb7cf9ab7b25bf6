/**
 * The original Duo record of an activity event, stored compressed. A single log record is too
 * small for a compressor to find much repetition on its own, so each stream has a preset
 * dictionary of the field names and common values Duo sends.
 *
 * Stored form: one codec byte, then the compressed body. New rows use LZ4 with the stream's
 * dictionary (codecs 5-8, ~28 % of the JSON, ~5 µs per record); rows written before use raw
 * deflate (codecs 0-4, ~20 %, but ~25 µs per record: Node's synchronous zlib builds a new
 * compressor for every call, which was the largest cost of ingest). Codecs are forward-only
 * like migrations: a dictionary, once shipped, is never changed (a better one gets a new byte).
 *
 * @example decodePayload(encodePayload('authentication', json)) === json
 */
import { inflateRawSync } from 'node:zlib';
import { compressSync, uncompressSync } from 'lz4-napi';
import type { StreamName } from '../domain/streams.js';

const AUTH_SAMPLE = JSON.stringify({
  access_device: {
    browser: 'Chrome',
    browser_version: '120.0.6099.71',
    epkey: null,
    flash_version: 'uninstalled',
    hostname: null,
    ip: '10.10.10.10',
    is_encryption_enabled: 'unknown',
    is_firewall_enabled: 'unknown',
    is_password_set: 'unknown',
    java_version: 'uninstalled',
    location: { city: 'Ann Arbor', country: 'United States', state: 'Michigan' },
    os: 'Windows',
    os_version: '10',
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
    remember_me: {
      features_version: '3.0',
      model_version: '2022.07.19.001',
      policy_enabled: false,
      reason: 'Normal level of trust; no detection of known attack pattern',
      trust_level: 'NORMAL',
    },
  },
  alias: '',
  application: { key: 'DI00000000000000000', name: 'Microsoft Azure Active Directory' },
  auth_device: {
    ip: '192.168.1.1',
    key: 'DP00000000000000000',
    location: { city: 'Ann Arbor', country: 'United States', state: 'Michigan' },
    name: 'My iPhone (734-555-0000)',
  },
  email: 'user@example.com',
  event_type: 'authentication',
  factor: 'duo_push',
  isotimestamp: '2025-01-01T00:00:00.000000+00:00',
  ood_software: null,
  reason: 'user_approved',
  result: 'success',
  timestamp: 1700000000,
  trusted_endpoint_status: 'not trusted',
  txid: '00000000-0000-0000-0000-000000000000',
  user: { groups: ['Duo Users'], key: 'DU00000000000000000', name: 'user@example.com' },
});

const AUTH_VALUES =
  '"Mac OS X""iOS""Android""Linux""Safari""Firefox""Edge""Chrome""Duo Mobile"' +
  '"phone_call""sms_passcode""duo_mobile_passcode""hardware_token""WebAuthn Security Key"' +
  '"remembered_device""trusted_network""bypass_code""passcode""not_available"' +
  '"denied""fraud""error""no_response""invalid_passcode""locked_out""user_disabled"' +
  '"deny_unenrolled_user""allow_unenrolled_user""user_marked_fraud""bypass_user"' +
  '"trusted","enrollment","unknown",true,false,null,"United States","United Kingdom"';

const TELEPHONY_SAMPLE = JSON.stringify({
  context: 'authentication',
  credits: 1,
  phone: '+17345551311',
  telephony_id: '00000000-0000-0000-0000-000000000000',
  ts: '2025-01-01T00:00:00.000000+00:00',
  txid: '00000000-0000-0000-0000-000000000000',
  type: 'sms',
});

const ADMIN_SAMPLE =
  JSON.stringify({
    action: 'user_update',
    description: '{"notes": "", "realname": "", "status": "Active", "email": "user@example.com"}',
    isotimestamp: '2025-01-01T00:00:00+00:00',
    object: 'user@example.com',
    timestamp: 1700000000,
    username: 'admin',
  }) +
  '"admin_login""admin_login_error""user_create""user_delete""group_update""phone_create"' +
  '"integration_update""o2fa_user_provisioned""o2fa_user_deprovisioned""o2fa_user_reenrolled"' +
  '"factor": "duo_push""ip_address""user_agent""hostname""user_id""device_name"';

const ACTIVITY_SAMPLE = JSON.stringify({
  access_device: {
    browser: 'Chrome',
    browser_version: '120.0.6099.71',
    ip: { address: '10.10.10.10' },
    location: { city: 'Ann Arbor', country: 'United States', state: 'Michigan' },
    os: 'Windows',
    os_version: '10',
  },
  action: { details: null, name: 'admin_login' },
  activity_id: '00000000-0000-0000-0000-000000000000',
  actor: { details: '{}', key: 'DE00000000000000000', name: 'admin', type: 'admin' },
  akey: 'DA00000000000000000',
  application: { key: 'DI00000000000000000', name: 'Admin Panel', type: 'admin_panel' },
  outcome: { result: 'SUCCESS' },
  target: { details: null, key: 'DU00000000000000000', name: 'user', type: 'user' },
  ts: '2025-01-01T00:00:00.000000+00:00',
});

/** Deflate codec byte → dictionary. 0 is plain raw deflate (no dictionary). */
const DICTIONARIES: readonly (Buffer | undefined)[] = [
  undefined,
  Buffer.from(AUTH_VALUES + AUTH_SAMPLE),
  Buffer.from(TELEPHONY_SAMPLE + TELEPHONY_SAMPLE),
  Buffer.from(ADMIN_SAMPLE),
  Buffer.from(ACTIVITY_SAMPLE),
];

/** LZ4 codec bytes follow the deflate ones: LZ4 codec `5 + i` uses deflate codec `1 + i`'s dictionary. */
const LZ4_FIRST = DICTIONARIES.length;
const LZ4_DICTIONARIES = DICTIONARIES.slice(1);

const CODEC_OF_STREAM: Readonly<Record<StreamName, number>> = {
  authentication: LZ4_FIRST,
  telephony: LZ4_FIRST + 1,
  administrator: LZ4_FIRST + 2,
  offline_enrollment: LZ4_FIRST + 2,
  activity: LZ4_FIRST + 3,
  // An `auth` event carries an authentication record: the authentication dictionary fits best,
  // and a new dictionary would shift every stored codec byte.
  trust_monitor: LZ4_FIRST,
};

export function encodePayload(stream: StreamName, json: string): Buffer {
  const codec = CODEC_OF_STREAM[stream];
  const body = compressSync(json, LZ4_DICTIONARIES[codec - LZ4_FIRST]);
  const stored = Buffer.allocUnsafe(body.length + 1);
  stored[0] = codec;
  body.copy(stored, 1);
  return stored;
}

export function decodePayload(stored: Uint8Array): string {
  const codec = stored[0];
  const body = stored.subarray(1);
  if (codec !== undefined && codec < LZ4_FIRST) {
    const dictionary = DICTIONARIES[codec];
    return inflateRawSync(body, dictionary ? { dictionary } : {}).toString('utf8');
  }
  const dictionary = codec === undefined ? undefined : LZ4_DICTIONARIES[codec - LZ4_FIRST];
  if (dictionary === undefined) throw new Error(`unknown payload codec ${String(codec)}`);
  return uncompressSync(body, dictionary).toString('utf8');
}

/**
 * Whether two JSON texts hold the same value, whatever their key order and spacing: a record
 * Duo sends again is the same record whether its payload was stored as Duo's text or as the
 * parsed record serialised again.
 *
 * @example sameJson('{"a": 1, "b": [2]}', '{"b":[2],"a":1}') // true
 */
export function sameJson(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return sortedJson(JSON.parse(a)) === sortedJson(JSON.parse(b));
  } catch {
    return false;
  }
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
