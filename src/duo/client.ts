/**
 * The Duo Admin API client of one credential: every endpoint duo-insights reads, as typed
 * promises or async iterables of validated pages, the few changes it makes (a user's status, a
 * group membership), plus a cheap connection test and write-permission probe. Built once per
 * credential by the composition root or the sync engine; `close()` frees its sockets.
 *
 * @example const duo = createDuoClient({ apiHost: 'api-1234abcd.duosecurity.com', ikey, skey }, { governor });
 *   for await (const page of duo.authLogs({ mintime, maxtime }, signal)) await save(page);
 *   await duo.close();
 */
import type { EpochSec } from '../domain/time.js';
import { MINUTE_MS, ms } from '../domain/time.js';
import { readAdmins } from './admins.js';
import { DuoError } from './errors.js';
import type { GovernorStats, RateLimitBackoff, RateLimits } from './governor.js';
import { RateGovernor } from './governor.js';
import { readGroupMembers, readGroups } from './groups.js';
import { getInfoSummary } from './info.js';
import {
  readActivityLogs,
  readAdministratorLogs,
  readAuthLogs,
  readOfflineEnrollmentLogs,
  readTelephonyLogs,
  readTrustMonitorEvents,
  v2LogParams,
} from './logs.js';
import type { TrustMonitorQuery, V1LogQuery, V2LogQuery } from './logs.js';
import type { DuoPage, OffsetQuery } from './pages.js';
import type { SignatureVersion } from './signing.js';
import { DuoTransport } from './transport.js';
import type { TransientRetry, TransportTimeouts } from './transport.js';
import { AuthLogPageSchema } from './wire.js';
import type {
  DuoActivityLog,
  DuoAdmin,
  DuoAdminLog,
  DuoAuthLog,
  DuoGroup,
  DuoGroupMember,
  DuoInfoSummary,
  DuoOfflineEnrollmentLog,
  DuoTelephonyLog,
  DuoTrustMonitorEvent,
  DuoUser,
} from './wire.js';
import { getUser, readUsers, removeUserFromGroup, setUserStatus } from './users.js';
import type { SettableUserStatus } from './users.js';

/**
 * What a client needs: the credential, and how to reach Duo.
 *
 * @example { apiHost: 'api-1234abcd.duosecurity.com', ikey: 'DIXXXXXXXXXXXXXXXXXX', skey: '…',
 *   caFile: '/etc/ssl/corp-proxy.pem', proxyUrl: 'http://proxy:3128', timeouts: { readMs: 30_000 } }
 */
export interface DuoClientConfig {
  /** `api-XXXXXXXX.duosecurity.com`; also `http(s)://127.0.0.1:PORT` for the simulator. */
  readonly apiHost: string;
  /** Integration key. */
  readonly ikey: string;
  /** Secret key; never logged, never in an error. */
  readonly skey: string;
  /** A PEM file with CA certificates trusted in addition to the system roots. */
  readonly caFile?: string;
  /** The same as PEM text. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** HTTPS proxy, reached with CONNECT: `http://[user:pass@]proxy:3128`. */
  readonly proxyUrl?: string;
  /** Hosts reached without the proxy, as `NO_PROXY` lists them. */
  readonly noProxy?: string;
  readonly timeouts?: TransportTimeouts;
  /** 5 (default) or 2. */
  readonly signatureVersion?: SignatureVersion;
  /** Used only when the client makes its own governor (no `deps.governor`). */
  readonly rateLimits?: RateLimits;
  /**
   * Retries: `rateLimit` (429 backoff; only when the client makes its own governor) and
   * `transient` (5xx, network errors, cut responses).
   */
  readonly backoff?: {
    readonly rateLimit?: Partial<RateLimitBackoff>;
    readonly transient?: Partial<TransientRetry>;
  };
}

export interface DuoClientDeps {
  /** The credential's governor, shared by all its streams; the client makes one otherwise. */
  readonly governor?: RateGovernor;
  /** Wall clock in ms, for the Date header and testConnection's window. */
  readonly clock?: () => number;
}

/** What testConnection checks: log access (activity) or users and groups (accounts). */
export type ConnectionPurpose = 'activity' | 'accounts';

/**
 * The verdict of testConnection: OK with a sentence, or the DuoError that says what to fix.
 *
 * @example { ok: false, purpose: 'activity', error: DuoError{ kind: 'permission_missing', … } }
 */
export type ConnectionVerdict =
  | { readonly ok: true; readonly purpose: ConnectionPurpose; readonly message: string }
  | { readonly ok: false; readonly purpose: ConnectionPurpose; readonly error: DuoError };

/**
 * The verdict of checkWritePermission: whether "Grant write resource" is granted, or the
 * DuoError that kept the probe from telling (bad credentials, network, …).
 *
 * @example { ok: true, granted: false, message: 'The credential cannot change users and groups…' }
 */
export type WritePermissionVerdict =
  | { readonly ok: true; readonly granted: boolean; readonly message: string }
  | { readonly ok: false; readonly error: DuoError };

/** A user id no Duo user has: the write-permission probe changes nothing. */
export const WRITE_PROBE_USER_ID = 'DU0000000000000000000';

export interface DuoClient {
  /** The signed host (`host[:port]`). */
  readonly apiHost: string;
  readonly governor: RateGovernor;

  /** `/admin/v1/users`, limit 300, groups embedded; `next` is the offset to resume at. */
  users(query?: OffsetQuery, signal?: AbortSignal): AsyncGenerator<DuoPage<DuoUser, number>>;
  /** `/admin/v1/users/:id`; throws DuoError `not_found`. */
  user(userId: string, signal?: AbortSignal): Promise<DuoUser>;
  /** `/admin/v1/groups`, limit 100. */
  groups(query?: OffsetQuery, signal?: AbortSignal): AsyncGenerator<DuoPage<DuoGroup, number>>;
  /** `/admin/v2/groups/:id/users`, limit 500. */
  groupMembers(
    groupId: string,
    query?: OffsetQuery,
    signal?: AbortSignal,
  ): AsyncGenerator<DuoPage<DuoGroupMember, number>>;
  /** `/admin/v1/admins` (needs "Grant administrators"; optional). */
  admins(query?: OffsetQuery, signal?: AbortSignal): AsyncGenerator<DuoPage<DuoAdmin, number>>;
  /** `/admin/v1/info/summary` (needs "Grant read information"). */
  infoSummary(signal?: AbortSignal): Promise<DuoInfoSummary>;

  /** `/admin/v2/logs/authentication`; `next` is the next_offset "ms,txid". */
  authLogs(query: V2LogQuery, signal?: AbortSignal): AsyncGenerator<DuoPage<DuoAuthLog, string>>;
  /** `/admin/v2/logs/telephony`; `next` is the next_offset "ms,telephony_id". */
  telephonyLogs(
    query: V2LogQuery,
    signal?: AbortSignal,
  ): AsyncGenerator<DuoPage<DuoTelephonyLog, string>>;
  /** `/admin/v2/logs/activity`; `next` is the next_offset "ms,activity_id". */
  activityLogs(
    query: V2LogQuery,
    signal?: AbortSignal,
  ): AsyncGenerator<DuoPage<DuoActivityLog, string>>;
  /** `/admin/v1/trust_monitor/events`; `next` is Duo's opaque next_offset. */
  trustMonitorEvents(
    query: TrustMonitorQuery,
    signal?: AbortSignal,
  ): AsyncGenerator<DuoPage<DuoTrustMonitorEvent, string>>;
  /** `/admin/v1/logs/administrator`; `next` is the next mintime in seconds. */
  administratorLogs(
    query: V1LogQuery,
    signal?: AbortSignal,
  ): AsyncGenerator<DuoPage<DuoAdminLog, EpochSec>>;
  /** `/admin/v1/logs/offline_enrollment`; `next` is the next mintime in seconds. */
  offlineEnrollmentLogs(
    query: V1LogQuery,
    signal?: AbortSignal,
  ): AsyncGenerator<DuoPage<DuoOfflineEnrollmentLog, EpochSec>>;

  /**
   * One cheap call: auth logs v2 of (now−5 min, now−2 min], limit 1 (activity), or
   * `/admin/v1/users?limit=1` (accounts). Never throws a DuoError: it is the verdict. A failure
   * to connect (DNS, refused, connect timeout) is the verdict of the first attempt.
   */
  testConnection(purpose: ConnectionPurpose, signal?: AbortSignal): Promise<ConnectionVerdict>;

  /**
   * Sets a Duo user's status: `disabled`, `bypass`, or `active` (which also unlocks a locked-out
   * user); resolves to the user after the change. Needs "Grant write resource" (else a DuoError
   * `permission_missing` naming it). Never sent twice: a lost answer throws `uncertain_outcome`.
   *
   * @example const user = await duo.setUserStatus('DU3RP9I2WOC59VZX672N', 'disabled');
   */
  setUserStatus(userId: string, status: SettableUserStatus, signal?: AbortSignal): Promise<DuoUser>;
  /**
   * Takes a Duo user out of a group (OK also when the user was not in it). Needs "Grant write
   * resource"; a group that does not exist is a `bad_request`, a user a `not_found`. Never sent
   * twice: a lost answer throws `uncertain_outcome` (read the user's groups to verify).
   *
   * @example await duo.removeUserFromGroup('DU3RP9I2WOC59VZX672N', 'DGXXXXXXXXXXXXXXXXX');
   */
  removeUserFromGroup(userId: string, groupId: string, signal?: AbortSignal): Promise<void>;
  /**
   * Whether the credential has "Grant write resource", without changing anything: sets the
   * status of a user that does not exist (`POST /admin/v1/users/DU0000000000000000000`). Duo
   * checks the permission first: 404 means granted, 403 40301 not granted. Never throws a
   * DuoError: another failure is the verdict's `error`.
   */
  checkWritePermission(signal?: AbortSignal): Promise<WritePermissionVerdict>;

  /** 429s, waits and requests of the governor (shared with the credential's other clients). */
  stats(): GovernorStats;
  close(): Promise<void>;
}

/** A connection test does not sit through minutes of 429 backoff: it reports "rate limited". */
const TEST_CONNECTION_RATE_LIMIT_WAIT_MS = 10_000;

/**
 * The timeouts of a client made for a connection test: a host that does not answer (a firewall
 * dropping packets, a DNS server that never replies) is reported within 5 s, not after the
 * 10 s connect timeout of syncs and its retries. Pass them to `createDuoClient` (`timeouts`).
 */
export const CONNECTION_TEST_TIMEOUTS: TransportTimeouts = { connectMs: 4_000 };

/**
 * Builds the client of one credential. Throws a RangeError for an unusable `apiHost`, and a
 * DuoError `missing_credentials` when a key is empty.
 *
 * @example const duo = createDuoClient({ apiHost: sim.url, ikey, skey, caFile: sim.caFile });
 */
export function createDuoClient(config: DuoClientConfig, deps: DuoClientDeps = {}): DuoClient {
  const clock = deps.clock ?? Date.now;
  const ownGovernor = deps.governor === undefined;
  const governor =
    deps.governor ??
    new RateGovernor({
      ...(config.rateLimits === undefined ? {} : { rateLimits: config.rateLimits }),
      ...(config.backoff?.rateLimit === undefined ? {} : { backoff: config.backoff.rateLimit }),
    });
  const transport = new DuoTransport(
    {
      apiHost: config.apiHost,
      ikey: config.ikey,
      skey: config.skey,
      ...(config.caFile === undefined ? {} : { caFile: config.caFile }),
      ...(config.ca === undefined ? {} : { ca: config.ca }),
      ...(config.proxyUrl === undefined ? {} : { proxyUrl: config.proxyUrl }),
      ...(config.noProxy === undefined ? {} : { noProxy: config.noProxy }),
      ...(config.timeouts === undefined ? {} : { timeouts: config.timeouts }),
      ...(config.signatureVersion === undefined
        ? {}
        : { signatureVersion: config.signatureVersion }),
      ...(config.backoff?.transient === undefined ? {} : { retry: config.backoff.transient }),
    },
    governor,
    clock,
  );

  async function testConnection(
    purpose: ConnectionPurpose,
    signal?: AbortSignal,
  ): Promise<ConnectionVerdict> {
    // One retry for a 5xx or a cut answer; none for a failure to connect: it says the cause now.
    const options = {
      signal,
      maxRateLimitWaitMs: TEST_CONNECTION_RATE_LIMIT_WAIT_MS,
      retries: 1,
      retryConnectFailures: false,
    };
    try {
      if (purpose === 'activity') {
        const now = ms(Math.floor(clock()));
        const path = '/admin/v2/logs/authentication';
        const params = v2LogParams({
          mintime: ms(now - 5 * MINUTE_MS),
          maxtime: ms(now - 2 * MINUTE_MS),
          limit: 1,
        });
        const answer = await transport.get(path, params, 'logs_authentication', options);
        if (!AuthLogPageSchema.safeParse(answer.response).success) {
          throw new DuoError({
            kind: 'bad_response',
            path,
            message: `Duo's answer to ${path} has no authentication log list.`,
            fix: 'Check that the API hostname is the Duo API host of your account (api-XXXXXXXX.duosecurity.com).',
          });
        }
        return {
          ok: true,
          purpose,
          message: `Connected to ${transport.endpoint.host}: the credential can read Duo's logs ("Grant read log").`,
        };
      }
      const path = '/admin/v1/users';
      const answer = await transport.get(path, [['limit', '1']], 'objects_page', options);
      if (!Array.isArray(answer.response)) {
        throw new DuoError({
          kind: 'bad_response',
          path,
          message: `Duo's answer to ${path} is not a list of users.`,
          fix: 'Check that the API hostname is the Duo API host of your account (api-XXXXXXXX.duosecurity.com).',
        });
      }
      return {
        ok: true,
        purpose,
        message: `Connected to ${transport.endpoint.host}: the credential can read users and groups ("Grant read resource").`,
      };
    } catch (error) {
      if (error instanceof DuoError) return { ok: false, purpose, error };
      throw error;
    }
  }

  async function checkWritePermission(signal?: AbortSignal): Promise<WritePermissionVerdict> {
    const options = {
      signal,
      maxRateLimitWaitMs: TEST_CONNECTION_RATE_LIMIT_WAIT_MS,
      retries: 1,
      retryConnectFailures: false,
    };
    const path = `/admin/v1/users/${WRITE_PROBE_USER_ID}`;
    try {
      await transport.post(path, [['status', 'active']], 'object', options);
      return {
        ok: false,
        error: new DuoError({
          kind: 'bad_response',
          path,
          message: `Duo changed a user that should not exist (${path}) instead of answering 404.`,
          fix: 'Check that the API hostname is the Duo API host of your account (api-XXXXXXXX.duosecurity.com).',
        }),
      };
    } catch (error) {
      if (!(error instanceof DuoError)) throw error;
      if (error.kind === 'not_found') {
        return {
          ok: true,
          granted: true,
          message: 'The credential can change users and groups in Duo ("Grant write resource").',
        };
      }
      if (error.kind === 'permission_missing') {
        return {
          ok: true,
          granted: false,
          message:
            'The credential cannot change users and groups in Duo: grant "Grant write resource" in the Admin API application to let access reviews remove revoked access and to disable, enable or unlock accounts.',
        };
      }
      return { ok: false, error };
    }
  }

  return {
    apiHost: transport.endpoint.host,
    governor,
    users: (query, signal) => readUsers(transport, query, signal),
    user: (userId, signal) => getUser(transport, userId, signal),
    groups: (query, signal) => readGroups(transport, query, signal),
    groupMembers: (groupId, query, signal) => readGroupMembers(transport, groupId, query, signal),
    admins: (query, signal) => readAdmins(transport, query, signal),
    infoSummary: (signal) => getInfoSummary(transport, signal),
    authLogs: (query, signal) => readAuthLogs(transport, query, signal),
    telephonyLogs: (query, signal) => readTelephonyLogs(transport, query, signal),
    activityLogs: (query, signal) => readActivityLogs(transport, query, signal),
    trustMonitorEvents: (query, signal) => readTrustMonitorEvents(transport, query, signal),
    administratorLogs: (query, signal) => readAdministratorLogs(transport, query, signal),
    offlineEnrollmentLogs: (query, signal) => readOfflineEnrollmentLogs(transport, query, signal),
    testConnection,
    setUserStatus: (userId, status, signal) => setUserStatus(transport, userId, status, signal),
    removeUserFromGroup: (userId, groupId, signal) =>
      removeUserFromGroup(transport, userId, groupId, signal),
    checkWritePermission,
    stats: () => governor.stats(),
    async close() {
      if (ownGovernor) governor.close();
      await transport.close();
    },
  };
}
