/**
 * The one error answer of every route, `{ error: { code, message, details? } }`, with `code` from
 * a closed set, and the statuses an error may come with. Pure zod: the console reads the types.
 *
 * @example response: { 200: Source, ...ERROR_ANSWERS }
 */
import { z } from 'zod';

export const ERROR_CODES = [
  'validation_failed',
  'unauthenticated',
  'forbidden',
  'csrf_failed',
  'password_change_required',
  'not_found',
  'conflict',
  'source_busy',
  'source_not_ready',
  'rate_limited',
  'payload_too_large',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One problem of a `validation_failed` answer: the field (or `body`, `path`, …) and what is wrong. */
export const FieldProblem = z.object({ field: z.string(), message: z.string() });
export type FieldProblem = z.infer<typeof FieldProblem>;

export const ErrorAnswer = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      /** `validation_failed`: a list of field problems; others: facts such as `runId`. */
      details: z.unknown().optional(),
    }),
  })
  .describe('An error: its code (closed set), a sentence with the fix, and details');
export type ErrorAnswer = z.infer<typeof ErrorAnswer>;

/** Every status an error answer may have (400 bad input … 500 internal), each the one shape. */
export const ERROR_ANSWERS = {
  400: ErrorAnswer.describe('validation_failed: the details name each field'),
  401: ErrorAnswer.describe('unauthenticated: sign in, or send a valid API token'),
  403: ErrorAnswer.describe(
    'forbidden, csrf_failed, or password_change_required (POST /api/v1/auth/password first)',
  ),
  404: ErrorAnswer.describe('not_found: an id in the path names nothing'),
  409: ErrorAnswer.describe('conflict, source_busy or source_not_ready'),
  413: ErrorAnswer.describe('payload_too_large'),
  429: ErrorAnswer.describe('rate_limited (with Retry-After)'),
  500: ErrorAnswer.describe('internal: the server log has the details'),
} as const;

/**
 * A route's answers: its own (2xx) and every error status in the one shape.
 *
 * @example schema: { response: answers({ 200: SourceList }) }
 */
export function answers<T extends Readonly<Record<number, unknown>>>(
  own: T,
): T & typeof ERROR_ANSWERS {
  return { ...own, ...ERROR_ANSWERS };
}
