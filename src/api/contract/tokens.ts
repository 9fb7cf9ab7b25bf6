/**
 * API tokens: never their hash; the token text is in the creation answer only.
 *
 * @example { "id": "…", "name": "SIEM export", "prefix": "di_ab12", "expiresAt": null, "token": "di_…" }
 */
import { z } from 'zod';
import { EpochMs, Next } from './common.js';

export const ApiToken = z.object({
  id: z.string(),
  name: z.string(),
  userId: z.string(),
  prefix: z.string(),
  createdAt: EpochMs,
  lastUsedAt: EpochMs.nullable().describe('to within 5 minutes; null: never used'),
  expiresAt: EpochMs.nullable().describe('null: never expires'),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const ApiTokenList = z.object({ tokens: z.array(ApiToken), next: Next });
export type ApiTokenList = z.infer<typeof ApiTokenList>;

/** A created token: the token with its text, shown in this answer only. */
export const CreatedApiToken = ApiToken.extend({
  token: z.string().describe('the bearer token; shown once'),
});
export type CreatedApiToken = z.infer<typeof CreatedApiToken>;
