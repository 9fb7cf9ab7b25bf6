import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { EpochMs } from '../domain/time.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, ms, parseIsoMs } from '../domain/time.js';
import {
  ActivityLogSchema,
  AdminLogSchema,
  AdminSchema,
  AuthLogSchema,
  GroupMemberSchema,
  GroupSchema,
  OfflineEnrollmentLogSchema,
  TelephonyLogSchema,
  TrustMonitorEventSchema,
  UserSchema,
} from '../duo/wire.js';
import type { SimDataset } from './dataset.js';
import { createDataset } from './dataset.js';
import type { LogType, SimEvent } from './dataset-types.js';
import { LOG_TYPES } from './dataset-types.js';

/** Not minute-aligned on purpose: history then starts in the middle of a minute. */
const START = ms(Date.UTC(2024, 4, 15, 12, 0, 30, 250));

function small(seed = 'tenant-a'): SimDataset {
  return createDataset({ seed, users: 2000, days: 30, start: START, authEventsPerDay: 20_000 });
}

function take<T>(iterable: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const item of iterable) {
    if (out.length >= n) break;
    out.push(item);
  }
  return out;
}

function all(ds: SimDataset, type: LogType, from: number, to: number): SimEvent[] {
  return [...ds.events(type, ms(from), ms(to))];
}

function compare(a: SimEvent, b: SimEvent): number {
  return a.ts !== b.ts ? a.ts - b.ts : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

const SCHEMAS: Record<LogType, z.ZodType> = {
  authentication: AuthLogSchema,
  administrator: AdminLogSchema,
  telephony: TelephonyLogSchema,
  offline_enrollment: OfflineEnrollmentLogSchema,
  activity: ActivityLogSchema,
  trust_monitor: TrustMonitorEventSchema,
};

describe('the simulated tenant', () => {
  it('is the same tenant for the same seed and a different one for another seed', () => {
    const a = small();
    const b = small();
    const c = small('tenant-b');
    const from = START - HOUR_MS;
    for (const position of [0, 1, 777, 1999]) {
      expect(b.userAt(position)).toEqual(a.userAt(position));
      expect(c.userAt(position).user_id).not.toBe(a.userAt(position).user_id);
    }
    expect(b.groupAt(3)).toEqual(a.groupAt(3));
    expect(b.admins()).toEqual(a.admins());
    for (const type of LOG_TYPES) {
      // Trust Monitor surfaces a handful a day: a few days hold enough to tell tenants apart
      const since = from - (type === 'trust_monitor' ? 4 * DAY_MS : 6 * HOUR_MS);
      const ea = all(a, type, since, START);
      expect(all(b, type, since, START)).toEqual(ea);
      const ec = all(c, type, since, START);
      expect(ec.map((e) => e.key)).not.toEqual(ea.map((e) => e.key));
    }
  });

  it('has Duo-shaped ids, usernames and aliases that lead back to their users and groups', () => {
    const ds = small();
    const ids = new Set<string>();
    let aliases = 0;
    for (let p = 0; p < ds.userCount(); p++) {
      const user = ds.userAt(p);
      expect(user.user_id).toMatch(/^DU[0-9A-Z]{18}$/);
      expect(user.username).toMatch(/^[a-z]+\.[a-z]+\d*$/);
      ids.add(user.user_id);
      expect(ds.findUser(user.user_id)?.username).toBe(user.username);
      expect(ds.findUserByUsername(user.username)?.user_id).toBe(user.user_id);
      expect(ds.findUserByEmail(user.email ?? '')?.user_id).toBe(user.user_id);
      for (const alias of Object.values(user.aliases ?? {})) {
        if (alias === null) continue;
        aliases++;
        expect(ds.findUserByUsername(alias)?.user_id).toBe(user.user_id);
      }
    }
    expect(aliases).toBeGreaterThan(300);
    expect(ids.size).toBe(2000);
    expect(ds.findUser('DU0000000000000000000')).toBeUndefined();
    expect(ds.findUser('DUXXXXXXXXXXXXXXXXXX')).toBeUndefined();
    expect(ds.findUserByUsername('nobody.here')).toBeUndefined();
    for (let g = 0; g < ds.groupCount(); g++) {
      const group = ds.groupAt(g);
      expect(group.group_id).toMatch(/^DG[0-9A-Z]{18}$/);
      expect(ds.findGroup(group.group_id)).toEqual(group);
    }
    expect(ds.groupCount()).toBe(50);
    expect(new Set(Array.from({ length: 50 }, (_, g) => ds.groupAt(g).name)).size).toBe(50);
  });

  it('mixes user statuses like a real tenant, with lockout reasons only on locked-out users', () => {
    const ds = createDataset({ seed: 'mix', users: 20_000, days: 1, start: START, authEventsPerDay: 0 }); // prettier-ignore
    const counts = new Map<string, number>();
    let aliases = 0;
    let unenrolled = 0;
    let neverLoggedIn = 0;
    for (let p = 0; p < ds.userCount(); p++) {
      const user = ds.userAt(p);
      counts.set(user.status, (counts.get(user.status) ?? 0) + 1);
      if (user.status === 'locked out') {
        expect(['Failed Attempts', 'Not enrolled', 'Admin disabled', 'Admin API disabled']).toContain(user.lockout_reason); // prettier-ignore
      } else {
        expect(user.lockout_reason).toBeNull();
      }
      if (user.alias1) aliases++;
      if (!user.is_enrolled) unenrolled++;
      if (user.last_login === null) neverLoggedIn++;
      expect(user.groups?.length).toBeGreaterThanOrEqual(1);
      expect(user.groups?.length).toBeLessThanOrEqual(3);
    }
    const share = (status: string): number => (counts.get(status) ?? 0) / 20_000;
    expect(share('active')).toBeCloseTo(0.85, 1);
    expect(Math.abs(share('disabled') - 0.05)).toBeLessThan(0.01);
    expect(Math.abs(share('locked out') - 0.04)).toBeLessThan(0.01);
    expect(Math.abs(share('bypass') - 0.03)).toBeLessThan(0.01);
    expect(Math.abs(share('pending deletion') - 0.03)).toBeLessThan(0.01);
    expect(aliases).toBeGreaterThan(2000);
    expect(unenrolled).toBeGreaterThan(200);
    expect(neverLoggedIn).toBeGreaterThan(200);
  });

  it('lists the same memberships from the user side and from the group side', () => {
    const ds = small();
    const fromUsers = new Map<string, Set<string>>();
    for (let p = 0; p < ds.userCount(); p++) {
      const user = ds.userAt(p);
      const groupIds = (user.groups ?? []).map((g) => g.group_id);
      expect(new Set(groupIds).size).toBe(groupIds.length);
      for (const id of groupIds) {
        const set = fromUsers.get(id) ?? new Set<string>();
        set.add(user.user_id);
        fromUsers.set(id, set);
      }
    }
    for (let g = 0; g < ds.groupCount(); g++) {
      const id = ds.groupAt(g).group_id;
      const page1 = ds.groupMembers(id, 0, 25);
      expect(page1).toBeDefined();
      const total = page1?.total ?? 0;
      const members: string[] = [];
      for (let offset = 0; offset < total; offset += 25) {
        for (const m of ds.groupMembers(id, offset, 25)?.members ?? []) members.push(m.user_id);
      }
      expect(members.length).toBe(total);
      expect(new Set(members)).toEqual(fromUsers.get(id) ?? new Set());
    }
    expect(ds.groupMembers('DGNOTAGROUP000000000', 0, 10)).toBeUndefined();
  });

  it('streams events in (ts, key) order without repeating a key across adjacent ranges', () => {
    const ds = small();
    for (const type of LOG_TYPES) {
      const a = START - 2 * DAY_MS + 12_345;
      const b = a + 7 * HOUR_MS + 999;
      const first = all(ds, type, a, b);
      const second = all(ds, type, b + 1, b + 5 * HOUR_MS);
      const joined = [...first, ...second];
      const fewest = { offline_enrollment: 3, trust_monitor: 0 } as Partial<
        Record<LogType, number>
      >;
      expect(joined.length, type).toBeGreaterThan(fewest[type] ?? 30);
      for (let i = 1; i < joined.length; i++) {
        expect(compare(at(joined, i - 1), at(joined, i))).toBeLessThan(0);
      }
      expect(new Set(joined.map((e) => e.key)).size).toBe(joined.length);
      for (const e of first) expect(e.ts >= a && e.ts <= b).toBe(true);
      expect(all(ds, type, a, b + 5 * HOUR_MS)).toEqual(joined);
    }
  });

  it('gives every event its own natural key, even among hundreds of thousands', () => {
    const ds = createDataset({ seed: 'keys', users: 2000, days: 3, start: START, authEventsPerDay: 150_000 }); // prettier-ignore
    for (const type of ['authentication', 'telephony', 'activity'] as const) {
      const keys = new Set<string>();
      let n = 0;
      for (const event of ds.events(type, ms(START - 3 * DAY_MS), ms(START))) {
        keys.add(event.key);
        n++;
      }
      expect(n, type).toBeGreaterThan(type === 'authentication' ? 300_000 : 1000);
      expect(keys.size, type).toBe(n);
    }
  });

  it('counts exactly what it streams, for any range and publication cut-off', () => {
    const ds = small();
    const h = ds.historyStart;
    const ranges: [number, number][] = [
      [h - DAY_MS, h + 3 * MINUTE_MS + 17],
      [h + 5_000, h + 5_001],
      [START - DAY_MS, START],
      [START - 3 * HOUR_MS + 1, START - HOUR_MS - 1],
      [START - 10 * MINUTE_MS, START - 10 * MINUTE_MS + 59_999],
      [START + DAY_MS, START + DAY_MS + 4 * HOUR_MS],
      [START, START - 1],
      [START - 3 * DAY_MS - 5_000, START],
      [h, h + 4 * DAY_MS],
    ];
    for (const type of LOG_TYPES) {
      for (const [from, to] of ranges) {
        const events = all(ds, type, from, to);
        expect(ds.count(type, ms(from), ms(to), ms(to))).toBe(events.length);
        expect(ds.count(type, ms(from), ms(to), ms(to))).toBe(events.length);
        const cut = from + Math.floor((to - from) / 3);
        expect(ds.count(type, ms(from), ms(to), ms(cut))).toBe(
          events.filter((e) => e.publishedAt <= cut).length,
        );
      }
    }
  });

  it('has no events before its history starts and keeps producing them after `start`', () => {
    const ds = small();
    const before = all(
      ds,
      'authentication',
      ds.historyStart - HOUR_MS,
      ds.historyStart + MINUTE_MS,
    );
    expect(before.length).toBeGreaterThan(0);
    for (const e of before) expect(e.ts).toBeGreaterThanOrEqual(ds.historyStart);
    expect(ds.count('authentication', ms(START), ms(START + HOUR_MS), ms(START + HOUR_MS))).toBeGreaterThan(100); // prettier-ignore
  });

  it('matches the configured daily volume with a working-week rhythm', () => {
    const ds = createDataset({ seed: 'rate', users: 100, days: 28, start: START, authEventsPerDay: 55_000 }); // prettier-ignore
    const total = ds.count('authentication', ds.historyStart, START, START);
    expect(total / 28).toBeGreaterThan(55_000 * 0.97);
    expect(total / 28).toBeLessThan(55_000 * 1.03);
    const admin = ds.count('administrator', ds.historyStart, START, START) / 28;
    expect(admin / 55_000).toBeGreaterThan(0.007);
    expect(admin / 55_000).toBeLessThan(0.013);
    const offline = ds.count('offline_enrollment', ds.historyStart, START, START) / 28;
    expect(offline / 55_000).toBeCloseTo(0.002, 3);
    const activity = ds.count('activity', ds.historyStart, START, START) / 28;
    expect(activity / 55_000).toBeCloseTo(0.05, 2);
    // Tuesday 14 May 2024 14:00–15:00 UTC (working hours) vs Sunday 12 May 03:00–04:00 UTC
    const busy = ds.count('authentication', ms(Date.UTC(2024, 4, 14, 14)), ms(Date.UTC(2024, 4, 14, 15) - 1), START); // prettier-ignore
    const quiet = ds.count('authentication', ms(Date.UTC(2024, 4, 12, 3)), ms(Date.UTC(2024, 4, 12, 4) - 1), START); // prettier-ignore
    expect(busy).toBeGreaterThan(10 * quiet);
  });

  it('links every telephony record to a phone or SMS authentication a few seconds earlier', () => {
    const ds = small();
    const from = START - 6 * HOUR_MS;
    const auths = new Map(
      all(ds, 'authentication', from - MINUTE_MS, START).map((e) => [e.key, e]),
    );
    const calls = all(ds, 'telephony', from, START);
    expect(calls.length).toBeGreaterThan(50);
    for (const call of calls) {
      const txid = String(call.record.txid);
      const auth = auths.get(txid);
      expect(auth, txid).toBeDefined();
      if (!auth) continue;
      expect(['phone_call', 'sms_passcode']).toContain(auth.record.factor);
      expect(call.record.type).toBe(auth.record.factor === 'sms_passcode' ? 'sms' : 'phone');
      expect(call.ts - auth.ts).toBeGreaterThanOrEqual(2000);
      expect(call.ts - auth.ts).toBeLessThan(30_000);
      expect(call.key).toBe(call.record.telephony_id);
    }
    const phoneAuths = [...auths.values()].filter(
      (e) => e.ts >= from && e.ts < START - MINUTE_MS && ['phone_call', 'sms_passcode'].includes(String(e.record.factor)), // prettier-ignore
    );
    const linked = new Set(calls.map((c) => String(c.record.txid)));
    for (const auth of phoneAuths) expect(linked.has(auth.key)).toBe(true);
  });

  it('parses every generated record with the Duo wire schemas, timestamps agreeing', () => {
    const ds = small();
    for (let p = 0; p < 200; p++) expect(UserSchema.safeParse(ds.userAt(p)).success).toBe(true);
    for (let g = 0; g < ds.groupCount(); g++) {
      const group = ds.groupAt(g);
      expect(GroupSchema.safeParse(group).success).toBe(true);
      for (const m of ds.groupMembers(group.group_id, 0, 500)?.members ?? [])
        expect(GroupMemberSchema.safeParse(m).success).toBe(true);
    }
    for (const admin of ds.admins()) expect(AdminSchema.safeParse(admin).success).toBe(true);
    for (const type of LOG_TYPES) {
      for (const e of ds.events(type, ms(START - DAY_MS), START)) {
        const parsed = SCHEMAS[type].safeParse(e.record);
        expect(parsed.success, JSON.stringify(e.record)).toBe(true);
        const r = e.record;
        switch (type) {
          case 'authentication':
            expect(r.txid).toBe(e.key);
            expect(r.timestamp).toBe(Math.floor(e.ts / 1000));
            expect(String(r.isotimestamp)).toMatch(
              /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/,
            );
            expect(parseIsoMs(String(r.isotimestamp))).toBe(e.ts);
            break;
          case 'telephony':
          case 'activity':
            expect(String(r.ts)).toMatch(/\.\d{6}\+00:00$/);
            expect(parseIsoMs(String(r.ts))).toBe(e.ts);
            break;
          case 'trust_monitor':
            expect(r.sv4_id).toBe(e.key);
            expect(r.surfaced_timestamp).toBe(e.ts);
            break;
          case 'administrator':
          case 'offline_enrollment':
            expect(Object.keys(r).sort()).toEqual(['action', 'description', 'isotimestamp', 'object', 'timestamp', 'username']); // prettier-ignore
            expect(r.timestamp).toBe(e.ts / 1000);
            expect(String(r.isotimestamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
            break;
        }
      }
    }
  });

  it('surfaces real denied authentications of its users and puts some users in bypass', () => {
    const ds = small();
    const events = all(ds, 'trust_monitor', START - 14 * DAY_MS, START);
    expect(events.length).toBeGreaterThan(14);
    const types = new Set(events.map((e) => e.record.type));
    expect(types).toEqual(new Set(['auth', 'bypass_status']));
    expect(new Set(events.map((e) => e.record.state))).toEqual(new Set(['new', 'processed']));
    for (const e of events) {
      if (e.record.type === 'auth') {
        const surfaced = e.record.surfaced_auth as {
          txid: string;
          result: string;
          user: { key: string };
        };
        expect(['denied', 'fraud']).toContain(surfaced.result);
        expect(ds.findUser(surfaced.user.key)).toBeDefined();
        // the very record the authentication log serves, before the event surfaced it
        const authTs =
          parseIsoMs(String((surfaced as { isotimestamp?: string }).isotimestamp)) ?? 0;
        expect(authTs).toBeLessThan(e.ts);
        const served = all(ds, 'authentication', authTs, authTs).find(
          (a) => a.key === surfaced.txid,
        );
        expect(served?.record).toEqual(surfaced);
      } else {
        const user = e.record.enabled_for as { key: string; name: string };
        expect(ds.findUser(user.key)?.username).toBe(user.name);
        expect(ds.admins().map((a) => a.admin_id)).toContain(
          (e.record.enabled_by as { key: string }).key,
        );
      }
    }
  });

  it('writes administrator descriptions as JSON strings, some null and some not JSON at all', () => {
    const ds = small();
    let json = 0;
    let broken = 0;
    let nulls = 0;
    for (const e of ds.events('administrator', ms(START - 14 * DAY_MS), START)) {
      const description = e.record.description;
      if (description === null) {
        nulls++;
        continue;
      }
      expect(typeof description).toBe('string');
      try {
        JSON.parse(description as string);
        json++;
      } catch {
        broken++;
      }
    }
    expect(json).toBeGreaterThan(500);
    expect(nulls).toBeGreaterThan(5);
    expect(broken).toBeGreaterThan(5);
    expect(broken / (json + broken)).toBeLessThan(0.1);
  });

  it('never repeats an identical v1 record unless asked to (repeatedRecords)', () => {
    for (const ds of [
      small(),
      createDataset({
        seed: 'busy',
        users: 1200,
        days: 14,
        start: START,
        authEventsPerDay: 400_000,
      }),
    ]) {
      // prettier-ignore
      for (const type of ['administrator', 'offline_enrollment'] as const) {
        const seen = new Set<string>();
        let n = 0;
        for (const e of ds.events(type, ms(START - 7 * DAY_MS), START)) {
          seen.add(JSON.stringify(e.record));
          n++;
        }
        expect(n).toBeGreaterThan(type === 'administrator' ? 1000 : 100);
        expect(seen.size).toBe(n);
      }
    }
  });

  it('repeats a share of v1 records 2 or 3 times, byte-identical, in their second, when asked', () => {
    const options = {
      seed: 'repeats',
      users: 2000,
      days: 3,
      start: START,
      authEventsPerDay: 20_000,
    };
    const plain = createDataset(options);
    const repeating = createDataset({ ...options, repeatedRecords: 0.3 });
    for (const type of ['administrator', 'offline_enrollment'] as const) {
      const from = ms(START - 2 * DAY_MS);
      const events = [...repeating.events(type, from, START)];
      const copies = new Map<string, number>();
      for (const e of events) {
        const text = JSON.stringify(e.record);
        copies.set(text, (copies.get(text) ?? 0) + 1);
      }
      const sizes = [...copies.values()];
      expect(sizes.filter((n) => n === 2).length, type).toBeGreaterThan(5);
      expect(sizes.filter((n) => n === 3).length, type).toBeGreaterThan(5);
      expect(Math.max(...sizes), type).toBe(3);
      // The copies are the plain tenant's records, each followed by its repeats.
      expect(copies.size, type).toBe([...plain.events(type, from, START)].length);
      for (let i = 1; i < events.length; i++) {
        const [before, e] = [at(events, i - 1), at(events, i)];
        if (JSON.stringify(before.record) === JSON.stringify(e.record))
          expect(e.ts).toBe(before.ts);
      }
      expect(repeating.count(type, from, START, START), type).toBe(events.length);
    }
    expect(() => createDataset({ ...options, repeatedRecords: 1.5 })).toThrow(
      /repeatedRecords must be a share from 0 to 1/,
    );
  });

  it('has seconds crowded enough that a v1 page of 1000 ends in the middle of one', () => {
    const ds = small();
    const week = all(ds, 'administrator', START - 7 * DAY_MS, START);
    const perSecond = new Map<number, number>();
    for (const e of week) perSecond.set(e.ts, (perSecond.get(e.ts) ?? 0) + 1);
    const crowded = [...perSecond.entries()].filter(([, n]) => n >= 100).map(([ts]) => ts);
    expect(crowded.length).toBeGreaterThan(0);
    const page = take(ds.events('administrator', ms(Math.min(...crowded)), START), 1001);
    expect(page.length).toBe(1001);
    expect(at(page, 999).ts).toBe(at(page, 1000).ts);
  });

  it('spreads authentications like Duo: mostly success, familiar factors, home locations', () => {
    const ds = small();
    const events = all(ds, 'authentication', START - 2 * DAY_MS, START);
    const share = (test: (r: Readonly<Record<string, unknown>>) => boolean): number =>
      events.filter((e) => test(e.record)).length / events.length;
    expect(share((r) => r.result === 'success')).toBeCloseTo(0.9, 1);
    expect(share((r) => r.result === 'denied')).toBeGreaterThan(0.06);
    expect(share((r) => r.result === 'fraud')).toBeGreaterThan(0.004);
    expect(share((r) => r.result === 'fraud' && r.reason !== 'user_marked_fraud')).toBe(0);
    expect(share((r) => r.factor === 'duo_push')).toBeGreaterThan(0.5);
    expect(share((r) => r.factor === 'phone_call' || r.factor === 'sms_passcode')).toBeGreaterThan(0.05); // prettier-ignore
    const apps = new Set(events.map((e) => JSON.stringify(e.record.application)));
    expect(apps.size).toBeGreaterThanOrEqual(10);
    expect(apps.size).toBeLessThanOrEqual(20);
    // locations: each user is mostly seen in one country
    const byUser = new Map<string, string[]>();
    for (const e of events) {
      const user = e.record.user as { key: string };
      const device = e.record.access_device as { location: { country: string } };
      byUser.set(user.key, [...(byUser.get(user.key) ?? []), device.location.country]);
    }
    let home = 0;
    let seen = 0;
    for (const countries of byUser.values()) {
      const first = countries.filter((c) => c === countries[0]).length;
      home += first;
      seen += countries.length;
    }
    expect(home / seen).toBeGreaterThan(0.85);
    // the busiest user is far busier than the median one
    const sizes = [...byUser.values()].map((c) => c.length).sort((a, b) => b - a);
    expect(at(sizes, 0)).toBeGreaterThan(10 * at(sizes, Math.floor(sizes.length / 2)));
  });

  it('keeps some active users dormant for more than 90 days, their last login old', () => {
    const ds = createDataset({ seed: 'dormant', users: 500, days: 90, start: START, authEventsPerDay: 3000 }); // prettier-ignore
    const seen = new Set<string>();
    for (const e of ds.events('authentication', ds.historyStart, START)) {
      seen.add((e.record.user as { key: string }).key);
    }
    let dormant = 0;
    for (let p = 0; p < ds.userCount(); p++) {
      const user = ds.userAt(p);
      if (user.status !== 'active') continue;
      if (!seen.has(user.user_id)) {
        dormant++;
        const lastLogin = user.last_login;
        if (lastLogin !== null && lastLogin !== undefined)
          expect(lastLogin * 1000).toBeLessThan(START - 90 * DAY_MS);
      } else {
        expect(user.last_login).not.toBeNull();
      }
    }
    expect(dormant).toBeGreaterThan(10);
  });

  it('hides a deleted user from listings, lookups and group members', () => {
    const ds = small();
    const victim = ds.userAt(10);
    const groupId = victim.groups?.[0]?.group_id ?? '';
    const before = ds.groupMembers(groupId, 0, 500);
    expect(before?.members.map((m) => m.user_id)).toContain(victim.user_id);
    const next = ds.userAt(11);
    expect(ds.deleteUser(victim.user_id)).toBe(true);
    expect(ds.deleteUser(victim.user_id)).toBe(false);
    expect(ds.userCount()).toBe(1999);
    expect(ds.userAt(10)).toEqual(next);
    expect(ds.findUser(victim.user_id)).toBeUndefined();
    expect(ds.findUserByUsername(victim.username)).toBeUndefined();
    const after = ds.groupMembers(groupId, 0, 500);
    expect(after?.total).toBe((before?.total ?? 0) - 1);
    expect(after?.members.map((m) => m.user_id)).not.toContain(victim.user_id);
    const listed = Array.from({ length: ds.userCount() }, (_, p) => ds.userAt(p).user_id);
    expect(listed).not.toContain(victim.user_id);
    expect(new Set(listed).size).toBe(1999);
    expect(() => ds.userAt(1999)).toThrow(RangeError);
  });

  it('shows a status override on the user and keeps it until changed again', () => {
    const ds = small();
    const user = ds.userAt(5);
    expect(ds.setUserStatus(user.user_id, 'locked out', 'Failed Attempts')).toBe(true);
    expect(ds.findUser(user.user_id)).toMatchObject({ status: 'locked out', lockout_reason: 'Failed Attempts' }); // prettier-ignore
    expect(ds.userAt(5).status).toBe('locked out');
    expect(ds.setUserStatus(user.user_id, 'active')).toBe(true);
    expect(ds.findUser(user.user_id)).toMatchObject({ status: 'active', lockout_reason: null });
    expect(ds.setUserStatus('DUNOTAUSER0000000000', 'active')).toBe(false);
  });

  it('merges injected events in order and counts them once published', () => {
    const ds = small();
    const from = START - HOUR_MS;
    const generated = all(ds, 'authentication', from, START);
    const middle = at(generated, 10);
    const late: SimEvent = {
      type: 'authentication',
      ts: middle.ts,
      key: '00000000-late-0000-0000-000000000000',
      publishedAt: ms(START + 10 * MINUTE_MS),
      record: { ...middle.record, txid: '00000000-late-0000-0000-000000000000' },
    };
    const edge: SimEvent = { ...late, ts: ms(START), key: 'ffff', publishedAt: ms(START), record: { ...late.record, txid: 'ffff' } }; // prettier-ignore
    ds.inject([edge, late]);
    const merged = all(ds, 'authentication', from, START);
    expect(merged.length).toBe(generated.length + 2);
    for (let i = 1; i < merged.length; i++)
      expect(compare(at(merged, i - 1), at(merged, i))).toBeLessThan(0);
    expect(merged.indexOf(late)).toBe(generated.indexOf(middle) + (late.key < middle.key ? 0 : 1));
    expect(merged.at(-1)).toBe(edge);
    expect(ds.count('authentication', ms(from), START, START)).toBe(generated.length + 1);
    expect(ds.count('authentication', ms(from), START, ms(START + 10 * MINUTE_MS))).toBe(generated.length + 2); // prettier-ignore
    expect(ds.count('telephony', ms(from), START, ms(START + 10 * MINUTE_MS))).toBe(all(ds, 'telephony', from, START).length); // prettier-ignore
  });

  it('creates a 100k-user, 180-day tenant without materialising it', () => {
    const start: EpochMs = START;
    const ds = createDataset({ seed: 'big', users: 100_000, days: 180, start, authEventsPerDay: 55_000 }); // prettier-ignore
    expect(ds.userCount()).toBe(100_000);
    expect(ds.groupCount()).toBe(2500);
    const lastUser = ds.userAt(99_999);
    expect(ds.findUser(lastUser.user_id)).toEqual(lastUser);
    expect(ds.findUserByUsername(lastUser.username)?.user_id).toBe(lastUser.user_id);
    const total = ds.count('authentication', ds.historyStart, start, start);
    expect(total).toBeGreaterThan(9_500_000);
    expect(total).toBeLessThan(10_300_000);
    const group = ds.groupAt(2499);
    expect(ds.groupMembers(group.group_id, 0, 500)?.total).toBeGreaterThan(40);
    // iterating is lazy: the first event of six months of history comes without the rest
    const [first] = take(ds.events('authentication', ds.historyStart, start), 1);
    expect(first?.ts).toBeGreaterThanOrEqual(ds.historyStart);
  });
});

function at<T>(list: readonly T[], index: number): T {
  const value = list[index];
  if (value === undefined) throw new RangeError(`nothing at ${index}`);
  return value;
}

/** sha256 of the JSON of everything `ds` answers for a few users, groups and a few hours of logs. */
function fingerprint(ds: SimDataset): Record<string, string> {
  const digest = (value: unknown): string =>
    createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
  const positions = [0, 1, 2, 3, 250, ds.userCount() - 1];
  const out: Record<string, string> = {
    users: digest(positions.map((p) => ds.userAt(p))),
    groups: digest(
      [0, 1, ds.groupCount() - 1].map((p) => {
        const group = ds.groupAt(p);
        return { group, members: ds.groupMembers(group.group_id, 0, 5) };
      }),
    ),
    admins: digest(ds.admins()),
  };
  const from = ms(START - 3 * HOUR_MS);
  for (const type of LOG_TYPES) {
    out[type] = digest([
      ...take(ds.events(type, from, ms(START)), 60),
      ...take(ds.events(type, ds.historyStart, ms(ds.historyStart + HOUR_MS)), 20),
      ds.count(type, ms(START - 8 * DAY_MS), ms(START), ms(START)),
    ]);
  }
  return out;
}

describe('the generated records for a fixed seed', () => {
  it('stay byte-identical (users, groups, admins, every log type and its counts)', () => {
    expect(fingerprint(small())).toEqual({
      activity: '1408da30dc218bd0',
      administrator: '2a16d6a8f41a446a',
      admins: 'e2a924f0435b1ca7',
      authentication: '29054c455c40c08d',
      groups: '7b80ce4fa15eaf35',
      offline_enrollment: '129325774d32e343',
      telephony: '8cbb76ed80d84a96',
      trust_monitor: '499872da3559c67b',
      users: 'e8fbd3154dc6d46f',
    });
  });

  it('stay byte-identical with repeated v1 records', () => {
    const ds = createDataset({
      seed: 'repeats',
      users: 300,
      days: 10,
      start: START,
      authEventsPerDay: 30_000,
      repeatedRecords: 0.3,
    });
    expect(fingerprint(ds)).toEqual({
      activity: '657da0c6dc0081cc',
      administrator: '3ca51ef1b1057eb5',
      admins: '859899f05b9897c3',
      authentication: '85a009b48dd869d8',
      groups: '417990a231e1f6b4',
      offline_enrollment: '62843d01a3ad79e9',
      telephony: '65ebc8e79e81437a',
      trust_monitor: '0d1674e473fe1988',
      users: '7c04c272408ab771',
    });
  });
});
