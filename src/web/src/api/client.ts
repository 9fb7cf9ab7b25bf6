/**
 * The one door to the REST API (`/api/v1`): JSON in and out, the session cookie, the CSRF header
 * on every mutating request, and `{ error: { code, message, details? } }` turned into `ApiError`.
 *
 * @example const sources = await api.get<SourceList>('/sources');
 */

import type { ErrorCode } from '../../../api/contract/errors.js';

/** The closed set of error codes the API answers with (plus `network` when it is unreachable). */
export type ApiErrorCode = ErrorCode | 'network';

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details: unknown;

  constructor(status: number, code: ApiErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The per-field problems of a `validation_failed` answer, keyed by field name. */
  fieldProblems(): Record<string, string> {
    const problems: Record<string, string> = {};
    if (!Array.isArray(this.details)) return problems;
    for (const item of this.details as unknown[]) {
      if (isRecord(item) && typeof item['field'] === 'string') {
        const message = item['message'];
        problems[item['field']] = typeof message === 'string' ? message : 'is not valid';
      }
    }
    return problems;
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface Api {
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown, query?: Query): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body?: unknown): Promise<T>;
  /**
   * `keepalive`: the request outlives the page (sent while the tab closes); its answer may
   * never be read.
   */
  del<T>(path: string, query?: Query, options?: { keepalive?: boolean }): Promise<T>;
  /** The URL of a GET (for downloads such as `?format=csv`). */
  url(path: string, query?: Query): string;
  /** Set after sign-in or `auth/me`; sent as `x-csrf-token` on every mutating request. */
  setCsrfToken(token: string | null): void;
  /** Called when any request answers 401 (the session ended). */
  onUnauthenticated(listener: () => void): void;
}

// Absolute: the console's pages are at any depth (`/sources/abc/accounts`).
export const API_BASE = '/api/v1';

export function createApi(base = API_BASE): Api {
  let csrfToken: string | null = null;
  let unauthenticated: () => void = () => undefined;

  const url = (path: string, query?: Query): string => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return `${base}${path}${search ? `?${search}` : ''}`;
  };

  async function request<T>(
    method: string,
    path: string,
    body?: unknown,
    query?: Query,
    keepalive = false,
  ) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
    let response: Response;
    try {
      response = await fetch(url(path, query), {
        method,
        headers,
        credentials: 'same-origin',
        ...(keepalive ? { keepalive } : {}),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'network', 'The server cannot be reached. Check that it is running.');
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) {
      const error = toApiError(response.status, parsed);
      if (error.code === 'unauthenticated' && !path.startsWith('/auth/')) unauthenticated();
      throw error;
    }
    return parsed as T;
  }

  return {
    get: (path, query) => request('GET', path, undefined, query),
    post: (path, body, query) => request('POST', path, body ?? {}, query),
    put: (path, body) => request('PUT', path, body ?? {}),
    patch: (path, body) => request('PATCH', path, body ?? {}),
    del: (path, query, options) =>
      request('DELETE', path, undefined, query, options?.keepalive ?? false),
    url,
    setCsrfToken: (token) => {
      csrfToken = token;
    },
    onUnauthenticated: (listener) => {
      unauthenticated = listener;
    },
  };
}

const STATUS_CODES: Record<number, ApiErrorCode> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
};

function toApiError(status: number, body: unknown): ApiError {
  const error = isRecord(body) && isRecord(body['error']) ? body['error'] : undefined;
  const code = (typeof error?.['code'] === 'string' ? error['code'] : undefined) as
    ApiErrorCode | undefined;
  const message =
    typeof error?.['message'] === 'string'
      ? error['message']
      : `The server answered ${status}${typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : ''}`;
  return new ApiError(
    status,
    code ?? STATUS_CODES[status] ?? 'internal',
    message,
    error?.['details'],
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short sentence for any error thrown while talking to the API. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
