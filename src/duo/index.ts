/**
 * The Duo Admin API client's public surface: import from here, not from the files behind it.
 *
 * @example import { createDuoClient, DuoError, RateGovernor } from '../duo/index.js';
 */
export { CONNECTION_TEST_TIMEOUTS, createDuoClient, WRITE_PROBE_USER_ID } from './client.js';
export type {
  ConnectionPurpose,
  ConnectionVerdict,
  DuoClient,
  DuoClientConfig,
  DuoClientDeps,
  WritePermissionVerdict,
} from './client.js';
export { SETTABLE_USER_STATUSES } from './users.js';
export type { SettableUserStatus } from './users.js';
export { DUO_ERROR_KINDS, DuoError, permissionFor } from './errors.js';
export type { DuoErrorKind, DuoPermission, NetworkReason } from './errors.js';
export {
  DEFAULT_RATE_LIMIT_BACKOFF,
  DEFAULT_RATE_LIMITS,
  ENDPOINT_FAMILIES,
  GovernorClosedError,
  RateGovernor,
} from './governor.js';
export type {
  EndpointFamily,
  FamilyRate,
  GovernorDeps,
  GovernorOptions,
  GovernorStats,
  RateLimitBackoff,
  RateLimits,
} from './governor.js';
export { LOG_PAGE_LIMIT, TRUST_MONITOR_PAGE_LIMIT, joinNextOffset, nextV1Mintime } from './logs.js';
export type { TrustMonitorQuery, V1LogQuery, V2LogQuery } from './logs.js';
export type { DuoPage, OffsetQuery, RejectedRecord } from './pages.js';
export {
  DEFAULT_TRANSIENT_RETRY,
  bypassesProxy,
  caFileProblem,
  parseApiHost,
  proxyUrlProblem,
} from './transport.js';
export type { ApiEndpoint, TransientRetry, TransportTimeouts } from './transport.js';
