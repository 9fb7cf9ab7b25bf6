import type { Db } from '../dialect.js';

/** One numbered, forward-only schema change; `id` is its file name (`0001_initial`). */
export interface Migration {
  readonly id: string;
  up(db: Db): Promise<void>;
}
