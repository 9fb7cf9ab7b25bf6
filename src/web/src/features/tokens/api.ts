/**
 * API tokens (admin only): the token text is returned once, at creation; a token may expire
 * (`expiresAt`, epoch milliseconds; null: never).
 *
 * @example await createToken(api, 'SIEM export', 90) // expires in 90 days
 */
import type { Api } from '../../api/client';
import { isRecord } from '../../api/client';
import { listFrom } from '../../api/shapes';

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly createdAt?: number;
  readonly lastUsedAt?: number | null;
  readonly expiresAt?: number | null;
  readonly prefix?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether the token has expired (it then authenticates nowhere). */
export function isExpired(token: ApiToken, now = Date.now()): boolean {
  return typeof token.expiresAt === 'number' && now >= token.expiresAt;
}

export async function listTokens(api: Api): Promise<ApiToken[]> {
  return listFrom<ApiToken>(await api.get('/tokens'), 'tokens');
}

/**
 * Creates a token expiring in `expiresInDays` days (null: never); the answer's `token` text is
 * shown once and never again.
 */
export async function createToken(
  api: Api,
  name: string,
  expiresInDays: number | null,
): Promise<{ token: string; id?: string; expiresAt: number | null }> {
  const expiresAt =
    expiresInDays === null ? null : new Date(Date.now() + expiresInDays * DAY_MS).toISOString();
  const body = await api.post<unknown>('/tokens', { name, expiresAt });
  if (!isRecord(body)) return { token: '', expiresAt: null };
  const token = body['token'];
  const apiToken = isRecord(body['apiToken']) ? body['apiToken'] : {};
  const id = apiToken['id'];
  const expires = apiToken['expiresAt'];
  return {
    token: typeof token === 'string' ? token : '',
    ...(typeof id === 'string' ? { id } : {}),
    expiresAt: typeof expires === 'number' ? expires : null,
  };
}

export async function revokeToken(api: Api, id: string): Promise<void> {
  await api.del(`/tokens/${id}`);
}
