/**
 * Tolerant readers for list answers: the API may wrap a list as `{ <resource>: [...] }`,
 * `{ items: [...] }` or send a bare array; each endpoint names its key in one place.
 *
 * @example const sources = listFrom<Source>(body, 'sources');
 */
import { isRecord } from './client';

export interface Page<T> {
  readonly items: T[];
  /** Opaque cursor of the next page; undefined on the last page. */
  readonly next: string | undefined;
}

export function listFrom<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (!isRecord(body)) return [];
  const value = body[key] ?? body['items'] ?? body['data'];
  return Array.isArray(value) ? (value as T[]) : [];
}

export function pageFrom<T>(body: unknown, key: string): Page<T> {
  const items = listFrom<T>(body, key);
  const next = isRecord(body) ? (body['next'] ?? body['nextCursor'] ?? body['cursor']) : undefined;
  return { items, next: cursorText(next) };
}

/** Cursors are opaque: strings pass through, objects travel as JSON. */
export function cursorText(next: unknown): string | undefined {
  if (next === undefined || next === null || next === '') return undefined;
  return typeof next === 'string' ? next : JSON.stringify(next);
}

/** An object answer that may be wrapped as `{ <key>: {...} }`. */
// The answer is trusted to match the contract type the caller names (the API validates it).
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function objectFrom<T>(body: unknown, key: string): T {
  const value = isRecord(body) && isRecord(body[key]) ? body[key] : body;
  return value as T;
}
