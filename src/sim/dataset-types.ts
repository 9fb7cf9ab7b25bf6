/**
 * The contract between the simulator's HTTP server (server.ts) and its deterministic tenant
 * (dataset.ts). A dataset answers every question from its seed and its small overlay of changes,
 * without holding 100k users or 10M events as JS objects: users, groups and events are computed
 * from their index or their minute on demand.
 *
 * @example for (const e of dataset.events('authentication', ms(a), ms(b))) send(e.record);
 */
import type { EpochMs } from '../domain/time.js';
import type { DuoAdmin, DuoGroup, DuoGroupMember, DuoUser } from '../duo/wire.js';

export const LOG_TYPES = [
  'authentication',
  'administrator',
  'telephony',
  'offline_enrollment',
  'activity',
  'trust_monitor',
] as const;
export type LogType = (typeof LOG_TYPES)[number];

/** One log record as Duo would send it, with the fields the server sorts and pages by. */
export interface SimEvent {
  readonly type: LogType;
  /** Event time in ms (v1 logs: `timestamp * 1000`; Trust Monitor: `surfaced_timestamp`). */
  readonly ts: EpochMs;
  /** Natural key: txid, telephony_id, activity_id, sv4_id; for v1 logs a stable synthetic id. */
  readonly key: string;
  /** When Duo makes it visible through the API (ts for normal events; later for late ones). */
  readonly publishedAt: EpochMs;
  /** The wire record exactly as the API returns it. */
  readonly record: Readonly<Record<string, unknown>>;
}

export interface DatasetOptions {
  readonly seed: string;
  readonly users: number;
  /** Days of history before `start`. */
  readonly days: number;
  /** Instant at which history ends and the live clock starts. */
  readonly start: EpochMs;
  /** Authentication events per day across the tenant (others scale from it). */
  readonly authEventsPerDay: number;
  /**
   * Share (0–1, default 0) of the administrator and offline-enrollment records that Duo logs 2
   * or 3 times, byte-identical, in the same second, as when an admin or a script repeats an
   * action: v1 records carry no id, so only their position tells such copies apart.
   */
  readonly repeatedRecords?: number;
}

export interface Dataset {
  readonly options: DatasetOptions;
  /** Earliest instant with history. */
  readonly historyStart: EpochMs;

  /** Users currently present (deleted users excluded), in a stable order. */
  userCount(): number;
  /** The user at a position of that order, full object with groups, phones, tokens, aliases. */
  userAt(position: number): DuoUser;
  findUser(userId: string): DuoUser | undefined;
  findUserByUsername(username: string): DuoUser | undefined;

  groupCount(): number;
  groupAt(position: number): DuoGroup;
  findGroup(groupId: string): DuoGroup | undefined;
  /** Members of a group, paged by position; undefined when the group does not exist. */
  groupMembers(
    groupId: string,
    offset: number,
    limit: number,
  ): { members: DuoGroupMember[]; total: number } | undefined;

  admins(): DuoAdmin[];

  /**
   * Events of one type with `from <= ts <= to`, ascending by (ts, key), including injected ones,
   * whatever their publication time (the server filters on `publishedAt`). Streams: never builds
   * the whole range in memory.
   */
  events(type: LogType, from: EpochMs, to: EpochMs): Iterable<SimEvent>;
  /** Same range as `events`, only events with `publishedAt <= visibleAt`; counted cheaply. */
  count(type: LogType, from: EpochMs, to: EpochMs, visibleAt: EpochMs): number;

  /** Adds events (e.g. late ones); the record must carry the type's natural key. */
  inject(events: readonly SimEvent[]): void;
  /** Overlay changes for aggregation tests. */
  deleteUser(userId: string): boolean;
  setUserStatus(userId: string, status: string, lockoutReason?: string | null): boolean;
  /**
   * Takes a present user out of a group (the user's `groups` and the group's members no longer
   * show it); false when the user or the group does not exist. Removing twice changes nothing.
   */
  removeUserFromGroup(userId: string, groupId: string): boolean;
}
