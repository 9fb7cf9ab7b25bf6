/**
 * Shapes every resource shares: the opaque cursor of a list's next page, epoch milliseconds,
 * and the empty answer of a 204.
 *
 * @example export const RunList = z.object({ runs: z.array(Run), next: Next });
 */
import { z } from 'zod';

/** Epoch milliseconds (UTC). */
export const EpochMs = z.number();

/** The cursor of the next page (pass it back as `?cursor=`); null on the last page. */
export const Next = z.string().nullable().describe('cursor of the next page; null: the last one');

/** A 204 answer has no body. */
export const NoContent = z.null().describe('No content');

/** An error stored with a run or stream: a closed code and a sentence. */
export const StoredError = z.object({
  code: z.string(),
  message: z.string(),
  cause: z.string().optional(),
  fix: z.string().optional().describe('what to do about it, when known (also ends `message`)'),
});
