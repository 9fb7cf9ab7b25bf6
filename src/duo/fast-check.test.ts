import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fastCheckOf } from './fast-check.js';
import {
  ActivityLogSchema,
  AdminLogSchema,
  AuthLogSchema,
  GroupSchema,
  TelephonyLogSchema,
  UserSchema,
} from './wire.js';

const AUTH = {
  access_device: {
    browser: 'Chrome',
    browser_version: '67.0.3396.99',
    ip: '169.232.89.219',
    is_encryption_enabled: 'unknown',
    is_firewall_enabled: true,
    is_password_set: null,
    location: { city: 'Ann Arbor', country: 'United States', state: 'Michigan' },
    os: 'Mac OS X',
    security_agents: [{ security_agent: 'Symantec', version: '1' }],
  },
  application: { key: 'DIY231J8BR23QK4UKBY8', name: 'Microsoft Azure Active Directory' },
  auth_device: { ip: '192.168.225.254', location: { city: null }, name: 'My iPhone' },
  event_type: 'authentication',
  factor: 'duo_push',
  isotimestamp: '2020-02-13T18:56:20.351346+00:00',
  reason: 'user_approved',
  result: 'success',
  timestamp: 1581620180,
  txid: '340a23e3-23f3-23c1-87dc-1491a23dfdbb',
  user: { groups: ['Duo Users', 'CorpHQ Users'], key: 'DU3KC77WJ06Y5HIV7XKQ', name: 'narroway' },
  ood_software: null,
  adaptive_trust_assessments: { more_secure_auth: { trust_level: 'NORMAL' } },
  a_field_duo_added_later: { anything: 1 },
};
const ADMIN = {
  action: 'user_update',
  description: '{"notes": ""}',
  isotimestamp: '2020-01-24T15:09:42+00:00',
  object: 'jsmith',
  timestamp: 1579878582,
  username: 'admin',
};
const TELEPHONY = {
  telephony_id: 'tel-1',
  ts: '2020-03-20T15:38:12.000000+00:00',
  txid: 'tx-1',
  context: 'authentication',
  credits: 1,
  phone: '+15555550100',
  type: 'sms',
};
const ACTIVITY = {
  activity_id: 'act-1',
  ts: '2021-08-02T17:52:39.000000+00:00',
  akey: 'DAKEY',
  action: { name: 'admin_login', details: null },
  actor: { key: 'DEKEY', name: 'admin', type: 'admin', details: '{}' },
  target: null,
  application: { key: 'DIKEY', name: 'Admin Panel', type: 'admin_panel' },
  outcome: { result: 'SUCCESS' },
  access_device: { ip: { address: '10.0.0.1' } },
};

const ODD_VALUES: unknown[] = [
  undefined,
  null,
  '',
  'text',
  0,
  1.5,
  -3,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  [],
  ['a', 1],
  {},
  { name: 7 },
  { city: 'x', state: null },
];

/** The record with the value at one path (found by walking objects) replaced or removed. */
function mutate(record: unknown, next: () => number): unknown {
  if (record === null || typeof record !== 'object' || Array.isArray(record) || next() < 0.2)
    return ODD_VALUES[Math.floor(next() * ODD_VALUES.length)];
  const entries = Object.entries(record as Record<string, unknown>);
  const at = Math.floor(next() * entries.length);
  const entry = entries[at];
  if (entry === undefined) return Object.fromEntries(entries);
  const value = mutate(entry[1], next);
  // An undefined value: half the time the key is left out altogether.
  if (value === undefined && next() < 0.5) entries.splice(at, 1);
  else entries[at] = [entry[0], value];
  return Object.fromEntries(entries);
}

describe('fastCheckOf', () => {
  it('agrees with zod on thousands of altered log records, and zod returns an equal record', () => {
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const cases: [z.ZodType, unknown][] = [
      [AuthLogSchema, AUTH],
      [AdminLogSchema, ADMIN],
      [TelephonyLogSchema, TELEPHONY],
      [ActivityLogSchema, ACTIVITY],
    ];
    let accepted = 0;
    let refused = 0;
    for (const [schema, record] of cases) {
      const check = fastCheckOf(schema);
      expect(check).toBeDefined();
      for (let i = 0; i < 2_000; i++) {
        let altered = record;
        for (let n = Math.floor(next() * 3); n > 0; n--) altered = mutate(altered, next);
        const parsed = schema.safeParse(altered);
        expect(check?.(altered)).toBe(parsed.success);
        if (parsed.success) {
          expect(parsed.data).toEqual(altered);
          accepted++;
        } else refused++;
      }
    }
    // Both sides were exercised.
    expect(accepted).toBeGreaterThan(1_000);
    expect(refused).toBeGreaterThan(1_000);
  });

  it('accepts the documented records and the object schemas of users and groups', () => {
    expect(fastCheckOf(AuthLogSchema)?.(AUTH)).toBe(true);
    expect(fastCheckOf(ActivityLogSchema)?.({ ...ACTIVITY, action: 'a plain string' })).toBe(true);
    expect(fastCheckOf(AuthLogSchema)?.({ ...AUTH, txid: '' })).toBe(false);
    expect(fastCheckOf(AuthLogSchema)?.({ ...AUTH, timestamp: 1.5 })).toBe(false);
    expect(fastCheckOf(AuthLogSchema)?.([AUTH])).toBe(false);
    for (const schema of [UserSchema, GroupSchema]) {
      const check = fastCheckOf(schema);
      if (check !== undefined) expect(check({})).toBe(schema.safeParse({}).success);
    }
  });

  it('gives no predicate for a schema with parts it does not understand', () => {
    expect(
      fastCheckOf(z.looseObject({ a: z.string().transform((s) => s.length) })),
    ).toBeUndefined();
    expect(fastCheckOf(z.object({ a: z.string() }))).toBeUndefined();
    expect(fastCheckOf(z.looseObject({ a: z.email() }))).toBeUndefined();
    expect(fastCheckOf(z.looseObject({ a: z.string().regex(/x/) }))).toBeUndefined();
    expect(fastCheckOf(z.looseObject({ a: z.int32() }))).toBeUndefined();
    expect(fastCheckOf(z.looseObject({ a: z.int() }))?.({ a: 1.5 })).toBe(false);
    expect(fastCheckOf(z.looseObject({ a: z.number().min(3) }))).toBeUndefined();
    expect(fastCheckOf(z.looseObject({ a: z.string().refine((s) => s !== 'x') }))).toBeUndefined();
    expect(fastCheckOf(z.looseObject({ a: z.string().default('x') }))).toBeUndefined();
  });
});
