/**
 * The one mapper from errors to HTTP answers. Every error answer has one shape,
 * `{ error: { code, message, details? } }`, with `code` from a closed set; 5xx answers say only
 * "internal error" (with a reference to the log line), their details go to the log.
 *
 * @example throw new ApiError('forbidden', 'viewers cannot change sources');
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import {
  ConflictError,
  ForbiddenError,
  MissingReferenceError,
  NotFoundError,
} from '../domain/errors.js';
import { DuoError } from '../duo/index.js';
import { SourceBusyError, SourceNotReadyError } from '../sync/context.js';
import { ApiHostError } from '../sync/duo-connections.js';
import { InputError } from '../sync/sources.js';
import type { ErrorCode } from './contract/errors.js';

export { ERROR_CODES, type ErrorCode } from './contract/errors.js';

const STATUS: Readonly<Record<ErrorCode, number>> = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf_failed: 403,
  password_change_required: 403,
  not_found: 404,
  conflict: 409,
  source_busy: 409,
  source_not_ready: 409,
  rate_limited: 429,
  payload_too_large: 413,
  internal: 500,
};

/** The longest path parameter the router reads (ids are at most 100 characters). */
export const MAX_PARAM_LENGTH = 500;

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly details?: unknown;
  };
}

/** An error the API raises itself, with its code (and HTTP status from the code). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
  get status(): number {
    return STATUS[this.code];
  }
}

export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

function fieldOf(path: readonly PropertyKey[], where: string): string {
  const tail = path.map(String).join('.');
  return tail.length > 0 ? tail : where;
}

/** Maps any error to its status and body; unknown errors become `internal` (and are logged). */
export function toErrorAnswer(
  error: unknown,
  request: FastifyRequest,
): {
  readonly status: number;
  readonly body: ErrorBody;
  readonly headers?: Record<string, string>;
} {
  const answer = (code: ErrorCode, message: string, details?: unknown) => ({
    status: STATUS[code],
    body: errorBody(code, message, details),
  });
  if (error instanceof ApiError)
    return {
      status: error.status,
      body: errorBody(error.code, error.message, error.details),
      ...(error.headers === undefined ? {} : { headers: { ...error.headers } }),
    };
  if (isFastifyError(error) && hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'body';
    const details: FieldProblem[] = error.validation.map((v) => ({
      field: fieldOf(
        v.instancePath.split('/').filter((p) => p.length > 0),
        where,
      ),
      message: v.message ?? 'is invalid',
    }));
    return answer(
      'validation_failed',
      `the ${where} is invalid: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`,
      details,
    );
  }
  if (error instanceof InputError)
    return answer(
      'validation_failed',
      error.message,
      error.details ?? [{ field: 'body', message: error.message }],
    );
  if (error instanceof ApiHostError)
    return answer('validation_failed', `apiHost: ${error.message}`, [
      { field: 'apiHost', message: error.message },
    ]);
  if (error instanceof ZodError) {
    const details = error.issues.map((i) => ({
      field: fieldOf(i.path, 'body'),
      message: i.message,
    }));
    return answer('validation_failed', 'the request is invalid', details);
  }
  if (error instanceof MissingReferenceError)
    return answer('validation_failed', error.message, error.problems);
  if (error instanceof NotFoundError) return answer('not_found', error.message);
  if (error instanceof ForbiddenError) return answer('forbidden', error.message);
  if (error instanceof ConflictError) return answer('conflict', error.message);
  if (error instanceof SourceBusyError)
    // No run id: the answer is shown to people as is; the source page links the running run.
    return answer('source_busy', error.message, {
      ...(error.kind === undefined ? {} : { running: error.kind }),
      ...(error.expiresAt === undefined ? {} : { expiresAt: error.expiresAt }),
    });
  if (error instanceof SourceNotReadyError) return answer('source_not_ready', error.message);
  if (error instanceof DuoError)
    return answer('source_not_ready', `${error.message} ${error.fix}`.trim(), { kind: error.kind });
  if (isFastifyError(error)) {
    const problem = requestProblem(error, request);
    if (problem) return answer('validation_failed', problem.message, [problem]);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413)
      return answer('payload_too_large', 'the request body is too large');
    if (error.statusCode === 429) return answer('rate_limited', error.message);
    if (error.statusCode === 404) return answer('not_found', error.message);
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
      return answer('validation_failed', error.message, [
        { field: 'request', message: error.message },
      ]);
  }
  // Our own RangeErrors are bad values from the caller (after Fastify's, which subclass it).
  if (error instanceof RangeError)
    return answer('validation_failed', error.message, [
      { field: 'request', message: error.message },
    ]);
  request.log.error({ err: error, url: request.url, method: request.method }, 'request failed');
  return answer(
    'internal',
    `internal error (reference ${request.id}); the server log has the details`,
  );
}

/**
 * What is wrong with a request Fastify refused before any route ran (its body, content type or
 * path), as a field problem; `undefined` for other errors.
 */
function requestProblem(error: FastifyError, request: FastifyRequest): FieldProblem | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { field: 'body', message: 'the body is not valid JSON' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { field: 'body', message: 'the body is empty: send JSON, or no content type' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      return {
        field: 'content-type',
        message: `a ${type.slice(0, 80)} body is not accepted: send application/json`,
      };
    }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { field: 'content-length', message: 'does not match the body sent' };
    case 'FST_ERR_BAD_URL':
      return {
        field: 'path',
        message: 'the path is not valid percent-encoded UTF-8 (e.g. a cut-off %XX sequence)',
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        field: 'path',
        message: `a part of the path is longer than ${MAX_PARAM_LENGTH} characters: no such id exists`,
      };
    case 'FST_ERR_VALIDATION':
      return { field: error.validationContext ?? 'request', message: error.message };
    default:
      return undefined;
  }
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).code === 'string';
}

/**
 * Fastify's error handler, and its `frameworkErrors` (a path the router cannot read): one
 * answer for every error, never stored by a cache.
 */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body, headers } = toErrorAnswer(error, request);
  if (headers) void reply.headers(headers);
  void reply
    .code(status)
    .header('cache-control', NO_STORE)
    .type('application/json; charset=utf-8')
    .send(body);
}

/** Every API answer carries it: answers hold personal data and change with each sync. */
export const NO_STORE = 'no-store';
