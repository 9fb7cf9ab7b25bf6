/**
 * A page of a list answer as the console's tables read it. Every list answer of the API is
 * `{ <plural name>: [...], next }` (the contract in `src/api/contract`); `next` is the opaque
 * cursor of the next page, null on the last.
 *
 * @example return pageOf(body.accounts, body.next);
 */

export interface Page<T> {
  readonly items: T[];
  /** Opaque cursor of the next page; undefined on the last page. */
  readonly next: string | undefined;
}

export function pageOf<T>(items: readonly T[], next: string | null): Page<T> {
  return { items: [...items], next: next ?? undefined };
}
