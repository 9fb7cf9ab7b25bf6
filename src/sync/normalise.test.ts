import { describe, expect, it } from 'vitest';
import {
  AdminLogSchema,
  ActivityLogSchema,
  AuthLogSchema,
  OfflineEnrollmentLogSchema,
  TelephonyLogSchema,
} from '../duo/wire.js';
import {
  canonicalHash,
  canonicalJson,
  normaliseRecord,
  numberIdenticalRecords,
  v1NaturalKey,
} from './normalise.js';

// Payloads from reference/duo-admin-api.md §5, odd parts included.
const authlog = AuthLogSchema.parse({
  access_device: {
    browser: 'Chrome',
    browser_version: '67.0.3396.99',
    epkey: null,
    hostname: null,
    ip: '169.232.89.219',
    is_encryption_enabled: 'unknown',
    is_firewall_enabled: true,
    location: { city: 'Ann Arbor', country: 'United States', state: 'Michigan' },
    os: 'Mac OS X',
    os_version: '10.14.1',
    security_agents: 'unknown',
  },
  alias: '',
  application: { key: 'DIY231J8BR23QK4UKBY8', name: 'Microsoft Azure Active Directory' },
  auth_device: {
    ip: '192.168.225.254',
    location: { city: null, country: null, state: null },
    name: 'My iPhone X',
  },
  email: 'narroway@example.com',
  event_type: 'authentication',
  factor: 'duo_push',
  isotimestamp: '2020-02-13T18:56:20.351346+00:00',
  ood_software: null,
  reason: 'user_approved',
  result: 'success',
  timestamp: 1581620180,
  trusted_endpoint_status: 'not trusted',
  txid: '340a23e3-23f3-23c1-87dc-1491a23dfdbb',
  user: { groups: ['Duo Users'], key: 'DU3KC77WJ06Y5HIV7XKQ', name: 'narroway@example.com' },
  a_field_duo_added_later: { anything: 1 },
});

describe('normalising Duo log records', () => {
  it('keys an authentication by txid, with millisecond time from isotimestamp', () => {
    const event = normaliseRecord({ stream: 'authentication', record: authlog });
    expect(event).toMatchObject({
      naturalKey: '340a23e3-23f3-23c1-87dc-1491a23dfdbb',
      tsMs: 1581620180351,
      userKey: 'DU3KC77WJ06Y5HIV7XKQ',
      username: 'narroway@example.com',
      result: 'success',
      reason: 'user_approved',
      factor: 'duo_push',
      application: 'Microsoft Azure Active Directory',
      location: 'Ann Arbor, Michigan, United States',
      accessOs: 'Mac OS X 10.14.1',
      accessBrowser: 'Chrome 67.0.3396.99',
      ip: '169.232.89.219',
      txid: '340a23e3-23f3-23c1-87dc-1491a23dfdbb',
    });
  });

  it('joins the location and device words that are present, leaving out empty ones', () => {
    const partial = AuthLogSchema.parse({
      ...authlog,
      access_device: {
        os: '',
        os_version: '14',
        browser: 'Safari',
        location: { city: '', state: 'Michigan', country: 'United States' },
      },
    });
    const event = normaliseRecord({ stream: 'authentication', record: partial });
    expect(event.location).toBe('Michigan, United States');
    expect(event.accessOs).toBe('14');
    expect(event.accessBrowser).toBe('Safari');
    const cityOnly = AuthLogSchema.parse({
      ...authlog,
      access_device: { location: { city: 'Ann Arbor', state: null } },
    });
    expect(normaliseRecord({ stream: 'authentication', record: cityOnly })).toMatchObject({
      location: 'Ann Arbor',
    });
    expect(
      normaliseRecord({ stream: 'authentication', record: cityOnly }).accessOs,
    ).toBeUndefined();
  });

  it('keeps the record text Duo sent as the payload when it is given', () => {
    const text = JSON.stringify(authlog, null, 1);
    expect(normaliseRecord({ stream: 'authentication', record: authlog }, text).payload).toBe(text);
  });

  it('keeps the original payload, new fields included', () => {
    const event = normaliseRecord({ stream: 'authentication', record: authlog });
    expect(JSON.parse(event.payload)).toMatchObject({ a_field_duo_added_later: { anything: 1 } });
  });

  it('keys administrator records by a hash of the canonical record, whatever the key order', () => {
    const a = AdminLogSchema.parse({
      action: 'user_update',
      description: '{"notes": "Joe asked for their nickname", "realname": "Joe Smith"}',
      isotimestamp: '2020-01-24T15:09:42+00:00',
      object: 'jsmith',
      timestamp: 1579878582,
      username: 'admin',
    });
    const reordered = AdminLogSchema.parse(JSON.parse(JSON.stringify(a, Object.keys(a).reverse())));
    const event = normaliseRecord({ stream: 'administrator', record: a });
    expect(event.naturalKey).toBe(
      normaliseRecord({ stream: 'administrator', record: reordered }).naturalKey,
    );
    expect(event).toMatchObject({
      tsMs: 1579878582000,
      username: 'admin',
      result: 'user_update',
      application: 'jsmith',
    });
    const other = normaliseRecord({
      stream: 'administrator',
      record: { ...a, object: 'someone else' },
    });
    expect(other.naturalKey).not.toBe(event.naturalKey);
  });

  describe('byte-identical v1 records of one second (an admin repeating an action)', () => {
    const sync = AdminLogSchema.parse({
      action: 'user_update',
      description: '{"status": "Active"}',
      isotimestamp: '2020-01-24T15:09:42+00:00',
      object: 'jsmith',
      timestamp: 1579878582,
      username: 'Directory Sync',
    });
    const other = AdminLogSchema.parse({ ...sync, object: 'mjones' });
    const keysOf = (records: readonly (typeof sync)[]): string[] =>
      numberIdenticalRecords(
        records.map((record) => normaliseRecord({ stream: 'administrator', record })),
      ).map((e) => e.naturalKey);
    // The SHA-256 prefix of the canonical record, as stored before copies had ordinals.
    const stored = 'a19dc355b3ee0d6da1488539084e2dd1';

    it('keeps the content hash for a record alone, so keys stored before stay valid', () => {
      expect(keysOf([sync])).toEqual([stored]);
      expect(v1NaturalKey(sync, 0)).toBe(stored);
    });

    it('gives two and three identical records their ordinal after the hash', () => {
      expect(keysOf([sync, sync])).toEqual([stored, `${stored}-1`]);
      expect(keysOf([sync, sync, sync])).toEqual([stored, `${stored}-1`, `${stored}-2`]);
    });

    it('counts the copies of each record on their own, wherever they sit on the page', () => {
      const h = canonicalHash(other);
      expect(keysOf([sync, other, sync, sync, other])).toEqual([
        stored,
        h,
        `${stored}-1`,
        `${stored}-2`,
        `${h}-1`,
      ]);
    });

    it('keys a re-read of the same second the same way (a second split by a page, read again)', () => {
      const firstPage = keysOf([other, sync, sync]);
      const nextPage = keysOf([sync, sync, sync]);
      expect(nextPage.slice(0, 2)).toEqual(firstPage.slice(1));
    });
  });

  it('accepts administrator descriptions that are null or not JSON', () => {
    for (const description of [null, '{not json']) {
      const record = AdminLogSchema.parse({
        action: 'admin_login',
        description,
        object: null,
        timestamp: 1,
        username: '',
      });
      expect(normaliseRecord({ stream: 'administrator', record }).naturalKey).toHaveLength(32);
    }
  });

  it('keys telephony by telephony_id and keeps the txid that links it to an authentication', () => {
    const record = TelephonyLogSchema.parse({
      context: 'authentication',
      credits: 2,
      phone: '+17345551311',
      telephony_id: '60799fee-0000-4000-8000-000000000001',
      ts: '2023-01-26T20:54:12.573580+00:00',
      txid: '373bd5f3-0000-4000-8000-000000000002',
      type: 'phone',
    });
    expect(normaliseRecord({ stream: 'telephony', record })).toMatchObject({
      naturalKey: '60799fee-0000-4000-8000-000000000001',
      tsMs: Date.UTC(2023, 0, 26, 20, 54, 12, 573),
      factor: 'phone_call',
      result: 'authentication',
      txid: '373bd5f3-0000-4000-8000-000000000002',
    });
  });

  it('names factors one way whichever log and spelling Duo used', () => {
    const auth = (factor: string) =>
      normaliseRecord({ stream: 'authentication', record: { ...authlog, factor } }).factor;
    const telephony = (type: string) =>
      normaliseRecord({
        stream: 'telephony',
        record: TelephonyLogSchema.parse({
          context: 'authentication',
          credits: 1,
          phone: '+17345551311',
          telephony_id: '60799fee-0000-4000-8000-000000000003',
          ts: '2023-01-26T20:54:12.573580+00:00',
          type,
        }),
      }).factor;
    expect(telephony('sms')).toBe(auth('sms_passcode'));
    expect(telephony('phone')).toBe(auth('phone_call'));
    expect(auth('WebAuthn Security Key')).toBe('webauthn_security_key');
    expect(auth('SMS Passcode')).toBe('sms_passcode');
  });

  it('keys offline enrollments by content hash', () => {
    const record = OfflineEnrollmentLogSchema.parse({
      action: 'o2fa_user_provisioned',
      description:
        '{"user_agent": "DuoCredProv/4.0.6.413", "hostname": "WKSW10x64", "factor": "duo_otp"}',
      isotimestamp: '2019-08-30T16:10:05+00:00',
      object: 'Acme Laptop Windows Logon',
      timestamp: 1567181405,
      username: 'narroway',
    });
    expect(normaliseRecord({ stream: 'offline_enrollment', record })).toMatchObject({
      tsMs: 1567181405000,
      username: 'narroway',
      result: 'o2fa_user_provisioned',
    });
  });

  it('attributes activity to the acting user, with the action as object or string', () => {
    const base = {
      activity_id: '720b8360-0000-4000-8000-000000000003',
      ts: '2023-03-21T15:51:22.591015+00:00',
      actor: { key: 'DU3KC77WJ06Y5HIV7XKQ', name: 'narroway', type: 'user', details: '{}' },
      outcome: { result: 'FAILURE' },
      application: { key: 'DA1', name: 'Admin Panel', type: 'web' },
    };
    for (const action of [
      { name: 'webauthncredential_create', details: null },
      'webauthncredential_create',
    ]) {
      const record = ActivityLogSchema.parse({ ...base, action });
      expect(normaliseRecord({ stream: 'activity', record })).toMatchObject({
        naturalKey: base.activity_id,
        userKey: 'DU3KC77WJ06Y5HIV7XKQ',
        result: 'failure',
        reason: 'webauthncredential_create',
        tsMs: Date.UTC(2023, 2, 21, 15, 51, 22, 591),
      });
    }
  });

  it('sorts keys at every depth in canonical JSON', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    expect(canonicalHash({ a: 1 })).toBe(canonicalHash({ a: 1 }));
  });
});
