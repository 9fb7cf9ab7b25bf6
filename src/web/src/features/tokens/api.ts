/**
 * API tokens (admin only): the token text is returned once, at creation; a token may expire
 * (`expiresAt`, epoch milliseconds; null: never).
 *
 * @example await createToken(api, 'SIEM export', 90) // expires in 90 days
 */
import type { Api } from '../../api/client';
import type { ApiToken, ApiTokenList, CreatedApiToken } from '../../../../api/contract/index.js';

export type { ApiToken, CreatedApiToken } from '../../../../api/contract/index.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether the token has expired (it then authenticates nowhere). */
export function isExpired(token: ApiToken, now = Date.now()): boolean {
  return token.expiresAt !== null && now >= token.expiresAt;
}

export async function listTokens(api: Api): Promise<ApiToken[]> {
  return (await api.get<ApiTokenList>('/tokens')).tokens;
}

/**
 * Creates a token expiring in `expiresInDays` days (null: never); the answer's `token` text is
 * shown once and never again.
 */
export function createToken(
  api: Api,
  name: string,
  expiresInDays: number | null,
): Promise<CreatedApiToken> {
  const expiresAt =
    expiresInDays === null ? null : new Date(Date.now() + expiresInDays * DAY_MS).toISOString();
  return api.post<CreatedApiToken>('/tokens', { name, expiresAt });
}

export async function revokeToken(api: Api, id: string): Promise<void> {
  await api.del(`/tokens/${id}`);
}
