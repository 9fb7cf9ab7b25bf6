/**
 * Small conversions shared by the repositories' row ↔ domain mappers: JSON text columns,
 * epoch-ms columns, booleans stored as 0/1, new ids, batching.
 */
import { randomUUID } from 'node:crypto';
import { ms, type EpochMs } from '../domain/time.js';

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function fromJson(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

/** Whether two stored JSON texts hold the same value, whatever the order of object keys. */
export function sameJson(a: string | null, b: string | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return sortedJson(JSON.parse(a)) === sortedJson(JSON.parse(b));
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) =>
      x < y ? -1 : x > y ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function toJsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function epochMs(value: number): EpochMs {
  return ms(value);
}

export function epochMsOrNull(value: number | null): EpochMs | null {
  return value === null ? null : ms(value);
}

export function toFlag(value: boolean | null | undefined): number | null {
  return value === undefined || value === null ? null : value ? 1 : 0;
}

export function fromFlag(value: number | null): boolean | null {
  return value === null ? null : value !== 0;
}

/** Ids of user-facing objects: text UUIDs. */
export function newId(): string {
  return randomUUID();
}

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
