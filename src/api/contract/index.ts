/**
 * The answer contract of the REST API (`/api/v1`): one zod schema per answer, for every status.
 * Pure zod, no server code: the server serialises by these schemas, the OpenAPI document is made
 * from them, and the console takes its types from them (`import type`).
 *
 * @example import type { SourceSummary } from '../../../api/contract/index.js';
 */
export * from './accounts.js';
export * from './activity.js';
export * from './audit.js';
export * from './common.js';
export * from './demo.js';
export * from './destinations.js';
export * from './errors.js';
export * from './governance-groups.js';
export * from './health.js';
export * from './identities.js';
export * from './reports.js';
export * from './reviews.js';
export * from './runs.js';
export * from './sources.js';
export * from './tokens.js';
export * from './users.js';
