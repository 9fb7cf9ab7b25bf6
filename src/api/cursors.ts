/**
 * Opaque page cursors: the keyset position of the last row shown, as base64url JSON. A cursor
 * that does not parse is a validation error naming `cursor`.
 *
 * @example const next = encodeCursor({ tsMs: 1700000000000, id: 42 });
 */
import type { z } from 'zod';
import { ApiError } from './errors.js';

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<S extends z.ZodType>(
  schema: S,
  text: string | undefined,
): z.output<S> | undefined {
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new ApiError('validation_failed', 'cursor: is not a cursor this list gave out', [
      { field: 'cursor', message: 'is not a cursor this list gave out' },
    ]);
  return parsed.data;
}
