/** API tokens (admin only): the token text is returned once, at creation. */
import type { Api } from '../../api/client';
import { isRecord } from '../../api/client';
import { listFrom } from '../../api/shapes';

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly createdAt?: number;
  readonly lastUsedAt?: number | null;
  readonly prefix?: string;
}

export async function listTokens(api: Api): Promise<ApiToken[]> {
  return listFrom<ApiToken>(await api.get('/tokens'), 'tokens');
}

/** Creates a token; the answer's `token` text is shown once and never again. */
export async function createToken(api: Api, name: string): Promise<{ token: string; id?: string }> {
  const body = await api.post<unknown>('/tokens', { name });
  if (!isRecord(body)) return { token: '' };
  const token = body['token'];
  const apiToken = body['apiToken'];
  const id = isRecord(apiToken) ? apiToken['id'] : undefined;
  return {
    token: typeof token === 'string' ? token : '',
    ...(typeof id === 'string' ? { id } : {}),
  };
}

export async function revokeToken(api: Api, id: string): Promise<void> {
  await api.del(`/tokens/${id}`);
}
