/**
 * The few error classes every layer shares; the API maps each to one HTTP answer. Messages
 * never carry secrets.
 *
 * @example throw new NotFoundError('source', id);
 */

/** A `get*` found nothing: the resource and the id asked for. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly resource: string,
    readonly id: string,
    options?: ErrorOptions,
  ) {
    super(`${resource} ${id} was not found`, options);
  }
}

/** A write broke a uniqueness or state rule (e.g. a source name already taken). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/**
 * A source cannot run yet, or not this way: no credentials, the wrong kind of run for its type,
 * or a connection never tested. The message says what to do instead.
 */
export class SourceNotReadyError extends Error {
  override readonly name = 'SourceNotReadyError';
}

/** The actor may not do this (a source manager and a source that is not theirs; a viewer). */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
}

/**
 * The secret key cannot decrypt stored credentials (wrong key, rotated key, corrupt data) or is
 * malformed. Says which key id was expected and which was given; never the key itself.
 */
export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

/**
 * An error, the errors it wraps (`cause`, and each of an AggregateError's, as a failed
 * dual-stack connect reports), and theirs, in that order, at most 7 deep.
 *
 * @example for (const link of causeChain(error)) if (codeOf(link) === 'ECONNREFUSED') …
 */
export function* causeChain(error: unknown, depth = 0): Generator {
  if (depth > 6 || error === undefined || error === null) return;
  yield error;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) yield* causeChain(inner, depth + 1);
  }
  if (error instanceof Error) yield* causeChain(error.cause, depth + 1);
}

/** One field of a write that names a row that does not exist. */
export interface MissingReference {
  /** The field as the caller wrote it (`ownerIdentityId`). */
  readonly field: string;
  readonly message: string;
}

/**
 * A write refers to rows that do not exist (an owner, a governance group, an identity): the
 * caller's mistake, reported per field before anything is written.
 */
export class MissingReferenceError extends Error {
  override readonly name = 'MissingReferenceError';
  constructor(readonly problems: readonly MissingReference[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }
}
