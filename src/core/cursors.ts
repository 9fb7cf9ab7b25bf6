/**
 * Opaque page cursors, as the API and the command line give them out and take them back: the
 * keyset position of the last row shown, as base64url JSON. A cursor that does not parse is an
 * input error naming `cursor`.
 *
 * @example const next = encodeCursor({ t: 1700000000000, id: 42 }); decodeCursor(EventCursor, next);
 */
import { z } from 'zod';
import { InputError } from '../sync/sources.js';

/** The position in a feed of events (a timeline, administrator actions): its time and id. */
export const EventCursor = z.object({ t: z.number().int(), id: z.number().int() });

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position a cursor holds; `undefined` for none. Throws InputError naming `cursor`. */
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
    throw new InputError('cursor: is not a cursor this list gave out', [
      { field: 'cursor', message: 'is not a cursor this list gave out' },
    ]);
  return parsed.data;
}
