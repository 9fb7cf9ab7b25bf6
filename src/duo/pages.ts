/**
 * Pages as the client yields them, and the two things every endpoint shares: validating records
 * one by one (a bad record is reported, never dropped silently, and never poisons its page) and
 * offset paging of list endpoints that follows Duo's `next_offset`, whatever page size came back.
 *
 * @example for await (const page of readOffsetPages(transport, spec, {}, signal)) store(page.records);
 */
import type { z } from 'zod';
import { badResponse } from './errors.js';
import { fastCheckOf } from './fast-check.js';
import type { EndpointFamily } from './governor.js';
import type { DuoTransport } from './transport.js';
import { ListMetadataSchema, totalObjectsValue } from './wire.js';

/** A record that failed its schema: where it was in the page, why, and the record as sent. */
export interface RejectedRecord {
  readonly position: number;
  readonly error: string;
  readonly raw: unknown;
}

/**
 * One page of an endpoint. `next` is the cursor to resume after this page (an offset, a v2
 * `next_offset`, a v1 `mintime`), or undefined when nothing follows.
 *
 * @example { records: [user], rejected: [], next: 300, totalObjects: 1200, warnings: [] }
 */
export interface DuoPage<T, C> {
  readonly records: T[];
  readonly rejected: RejectedRecord[];
  readonly next: C | undefined;
  readonly totalObjects?: number;
  /**
   * Whether `totalObjects` is an exact count: true for a plain number or `relation: "eq"`,
   * false for a lower bound (`relation: "gte"`). Absent when there is no total.
   */
  readonly totalObjectsExact?: boolean;
  readonly warnings: string[];
  /**
   * Each record's JSON text as Duo sent it, in the order of `records` (log endpoints): stored as
   * its payload instead of serialising the parsed record again. Absent when not cut.
   */
  readonly texts?: readonly string[];
}

/**
 * Validates each record alone; the valid ones keep Duo's unknown fields. With `texts` (each raw
 * record's JSON text, same order), the valid records' texts come back in the order of `records`.
 */
export function validateRecords<S extends z.ZodType>(
  schema: S,
  raw: readonly unknown[],
  texts?: readonly string[],
): { records: z.output<S>[]; rejected: RejectedRecord[]; texts?: string[] } {
  const records: z.output<S>[] = [];
  const rejected: RejectedRecord[] = [];
  const kept: string[] | undefined = texts === undefined ? undefined : [];
  const check = fastCheckOf(schema);
  raw.forEach((item, position) => {
    if (check?.(item) === true) {
      // zod would accept it and return an equal copy: the record itself serves.
      records.push(item as z.output<S>);
      kept?.push(texts?.[position] ?? '');
      return;
    }
    const result = schema.safeParse(item);
    if (result.success) {
      records.push(result.data);
      kept?.push(texts?.[position] ?? '');
    } else rejected.push({ position, error: describeIssues(result.error), raw: item });
  });
  return kept === undefined ? { records, rejected } : { records, rejected, texts: kept };
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map(
      (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(record)'}: ${issue.message}`,
    )
    .join('; ');
}

export interface OffsetListSpec<S extends z.ZodType> {
  readonly path: string;
  readonly family: EndpointFamily;
  readonly schema: S;
  /** Page size asked for (Duo may send fewer or clamp it). */
  readonly limit: number;
  /** Extra parameters sent with every page. */
  readonly params?: readonly (readonly [string, string])[];
}

export interface OffsetQuery {
  /** Resume at this offset (a previous page's `next`). */
  readonly offset?: number;
  readonly limit?: number;
}

/** Pages of a list endpoint (users, groups, members, admins), following `metadata.next_offset`. */
export async function* readOffsetPages<S extends z.ZodType>(
  transport: DuoTransport,
  spec: OffsetListSpec<S>,
  query: OffsetQuery = {},
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<z.output<S>, number>> {
  const limit = query.limit ?? spec.limit;
  let offset = query.offset ?? 0;
  for (;;) {
    const answer = await transport.get(
      spec.path,
      [...(spec.params ?? []), ['limit', String(limit)], ['offset', String(offset)]],
      spec.family,
      { signal },
    );
    if (!Array.isArray(answer.response)) {
      throw badResponse(spec.path, '`response` is not a list');
    }
    const metadata = ListMetadataSchema.safeParse(answer.metadata ?? {});
    if (!metadata.success) {
      throw badResponse(spec.path, `metadata: ${describeIssues(metadata.error)}`);
    }
    const next = offsetOf(metadata.data.next_offset);
    if (Number.isNaN(next)) {
      throw badResponse(
        spec.path,
        `next_offset ${String(metadata.data.next_offset)} is not a number`,
      );
    }
    if (next !== undefined && next <= offset) {
      throw badResponse(spec.path, `next_offset ${next} does not move past offset ${offset}`);
    }
    const total = totalObjectsValue(metadata.data.total_objects);
    const { records, rejected } = validateRecords(spec.schema, answer.response);
    yield {
      records,
      rejected,
      next,
      ...(total === undefined ? {} : { totalObjects: total }),
      warnings: [],
    };
    if (next === undefined) return;
    offset = next;
  }
}

/** The next offset; undefined at the end; NaN when Duo sent something that is not an offset. */
function offsetOf(value: number | string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isSafeInteger(number) && number >= 0 ? number : Number.NaN;
}
