/**
 * The tenant of the scale benchmark: at 10 M authentication events, 50,000 Duo users over 180
 * days (about 55,500 a day), as a large customer has; a smaller size keeps the 180 days and each
 * user's pace, with proportionally fewer users (a quick run: 7 days, to finish in seconds). Beside the simulator's departmental groups, the
 * tenant has one group of every user ("All Duo users", as a directory-synced all-staff group),
 * so the access review of the largest group is one of every member.
 *
 * @example const plan = scalePlan(parseSize('1m')); // { users: 5000, days: 180, … }
 */
import { ms, type EpochMs } from '../domain/time.js';
import type { DuoGroup, DuoUser } from '../duo/wire.js';
import { createDataset } from '../sim/dataset.js';
import type { Dataset } from '../sim/dataset-types.js';
import { sizedDataset } from './harness.js';
import type { ScalePlan } from './report.js';

/** The full-size tenant the targets are stated for. */
export const FULL_SCALE = { events: 10_000_000, users: 50_000, days: 180 } as const;

/** The fewest users a scaled-down tenant has (its departmental groups need a few). */
const MIN_USERS = 60;

/** `300k`, `1m`, `2.5m`, `10m` or a whole number (underscores allowed) → events. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim().replace(/_/g, ''));
  const unit = match?.[2]?.toLowerCase();
  const value =
    match === null ? NaN : Number(match[1]) * (unit === 'm' ? 1e6 : unit === 'k' ? 1e3 : 1);
  if (!Number.isSafeInteger(Math.round(value)) || Math.round(value) < 1000)
    throw new RangeError(
      `--scale takes sizes such as 300k, 1m, 2.5m or 10m (at least 1000 events), comma-separated; got "${text}"`,
    );
  return Math.round(value);
}

/** A size as results name it: `1m`, `2.5m`, `300k`, `12345`. */
export function sizeLabel(events: number): string {
  if (events % 100_000 === 0 && events >= 1_000_000) return `${String(events / 1e6)}m`;
  if (events % 1000 === 0) return `${String(events / 1000)}k`;
  return String(events);
}

export const SCALE_SEED = 'bench-scale';

/** The tenant for `events` authentication events (its rate fitted to the simulator's rhythm). */
export function scalePlan(
  events: number,
  start: EpochMs,
  days: number = FULL_SCALE.days,
): ScalePlan {
  const users = Math.max(
    MIN_USERS,
    Math.round((FULL_SCALE.users * events * days) / (FULL_SCALE.events * FULL_SCALE.days)),
  );
  const dataset = sizedDataset(SCALE_SEED, users, days, events, start);
  return {
    events,
    users,
    days,
    authEventsPerDay: dataset.options.authEventsPerDay,
    seed: SCALE_SEED,
  };
}

export const EVERYONE_GROUP: DuoGroup = {
  group_id: 'DGBENCHALLUSERS00000',
  name: 'All Duo users',
  desc: 'Synced from Active Directory (corp.example.com): every employee',
  status: 'Active',
  push_enabled: true,
  sms_enabled: true,
  voice_enabled: false,
  mobile_otp_enabled: false,
};

/** The dataset with one more group holding every present user (each user lists it too). */
export function withEveryoneGroup(dataset: Dataset): Dataset {
  const membership = {
    group_id: EVERYONE_GROUP.group_id,
    name: EVERYONE_GROUP.name,
    desc: EVERYONE_GROUP.desc ?? null,
    status: EVERYONE_GROUP.status ?? null,
  };
  const withGroup = (user: DuoUser): DuoUser => ({
    ...user,
    groups: [...(user.groups ?? []), membership],
  });
  const maybe = (user: DuoUser | undefined): DuoUser | undefined => user && withGroup(user);
  const isEveryone = (groupId: string): boolean => groupId === EVERYONE_GROUP.group_id;
  return {
    ...dataset,
    userAt: (position) => withGroup(dataset.userAt(position)),
    findUser: (userId) => maybe(dataset.findUser(userId)),
    findUserByUsername: (username) => maybe(dataset.findUserByUsername(username)),
    groupCount: () => dataset.groupCount() + 1,
    groupAt: (position) =>
      position === dataset.groupCount() ? { ...EVERYONE_GROUP } : dataset.groupAt(position),
    findGroup: (groupId) =>
      isEveryone(groupId) ? { ...EVERYONE_GROUP } : dataset.findGroup(groupId),
    groupMembers: (groupId, offset, limit) => {
      if (!isEveryone(groupId)) return dataset.groupMembers(groupId, offset, limit);
      const total = dataset.userCount();
      const from = Math.max(0, offset);
      const to = Math.min(total, from + Math.max(0, limit));
      const members = [];
      for (let i = from; i < to; i++) {
        const user = dataset.userAt(i);
        members.push({ user_id: user.user_id, username: user.username });
      }
      return { members, total };
    },
  };
}

/** The simulator's tenant for a plan: the same events and users for the same plan and start. */
export function scaleDataset(plan: ScalePlan, start: EpochMs): Dataset {
  return withEveryoneGroup(
    createDataset({
      seed: plan.seed,
      users: plan.users,
      days: plan.days,
      start: ms(start),
      authEventsPerDay: plan.authEventsPerDay,
    }),
  );
}
