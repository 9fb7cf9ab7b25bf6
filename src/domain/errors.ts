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
 * The secret key cannot decrypt stored credentials (wrong key, rotated key, corrupt data) or is
 * malformed. Says which key id was expected and which was given; never the key itself.
 */
export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}
