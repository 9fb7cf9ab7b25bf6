/**
 * How a person writes the values that filter a use case, the same for an API query and a
 * command-line flag.
 *
 * @example TimeQuery.parse('2026-03-01T00:00:00Z') // 1772323200000
 */
import { z } from 'zod';

/** A time given as epoch milliseconds or an ISO 8601 text with a time zone. */
export const TimeQuery = z
  .union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true })])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));
