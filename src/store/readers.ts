/**
 * Where heavy reads run, so that a large report never stalls the server's one event loop.
 * `runRead(name, input)` runs one of the named reads of `readers-list.ts`: on an SQLite file, in a
 * small pool of worker threads (node:worker_threads), each with its own read-only connection to
 * the same file (WAL mode lets readers run beside the writer); on PostgreSQL (the pg pool already
 * runs queries off the loop) and on an in-memory SQLite database (which no other connection can
 * see), inline on `db`. Workers start on the first read, hold the process open only while they
 * have work, and stop on `close()`; a worker that crashes fails the reads it was running with a
 * `ReadWorkerError` and is replaced on the next read.
 *
 * @example const readers = openReaders(db, config.databaseUrl);
 *   const ids = await readers.runRead('dormantAccountIds', { idleSinceMs });
 *   await readers.close();
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseDatabaseUrl, type Db } from './dialect.js';
import { READS, type ReadInput, type ReadName, type ReadOutput } from './readers-list.js';
import type { ReadReply, ReadRequest, ReaderWorkerData } from './readers-worker.js';

export type { ReadInput, ReadName, ReadOutput } from './readers-list.js';

/** Runs the named reads; one per app, closed with it. */
export interface Readers {
  runRead<N extends ReadName>(name: N, input: ReadInput<N>): Promise<ReadOutput<N>>;
  /** Worker threads running now (0 when reads run inline). */
  threads(): number;
  close(): Promise<void>;
}

/** A read worker stopped (crashed, or the pool closed) before answering a read. */
export class ReadWorkerError extends Error {
  override readonly name = 'ReadWorkerError';
}

/** Read worker threads unless told otherwise. */
export const DEFAULT_READ_WORKERS = 2;

export interface ReadersOptions {
  /** Worker threads on an SQLite file (default 2); 0 runs every read inline. */
  readonly workers?: number;
}

/** The readers for the database at `databaseUrl` (the one `db` is open on). */
export function openReaders(db: Db, databaseUrl: string, options: ReadersOptions = {}): Readers {
  const location = parseDatabaseUrl(databaseUrl);
  const workers = options.workers ?? DEFAULT_READ_WORKERS;
  if (location.kind === 'postgres' || location.path === ':memory:' || workers === 0)
    return inlineReaders(db);
  return new ReaderPool({ path: location.path, size: workers });
}

/** Every read on `db`, on the caller's thread. */
export function inlineReaders(db: Db): Readers {
  let closed = false;
  return {
    runRead: async (name, input) => {
      if (closed) throw new ReadWorkerError(`cannot run ${name}: the readers are closed`);
      const read = READS[name] as (db: Db, input: unknown) => Promise<unknown>;
      return (await read(db, input)) as ReadOutput<typeof name>;
    },
    threads: () => 0,
    close: () => {
      closed = true;
      return Promise.resolve();
    },
  };
}

export interface ReaderPoolOptions {
  /** The SQLite file. */
  readonly path: string;
  /** Worker threads at most. */
  readonly size: number;
  /** The module of named reads the workers run (default `readers-list.js`; tests give others). */
  readonly readsUrl?: URL;
}

interface Pending {
  readonly name: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Member {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * Worker threads with read-only connections to one SQLite file. A read goes to an idle worker,
 * else a new one (up to `size`), else the least busy; each worker runs its reads concurrently.
 */
export class ReaderPool implements Readers {
  readonly #path: string;
  readonly #size: number;
  readonly #script: URL;
  readonly #readsUrl: URL;
  readonly #members = new Set<Member>();
  #nextId = 1;
  #closed = false;

  constructor(options: ReaderPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError('a reader pool needs at least one worker thread');
    this.#path = options.path;
    this.#size = options.size;
    this.#script = builtModule('readers-worker.js');
    this.#readsUrl = options.readsUrl ?? builtModule('readers-list.js');
  }

  threads(): number {
    return this.#members.size;
  }

  runRead<N extends ReadName>(name: N, input: ReadInput<N>): Promise<ReadOutput<N>> {
    return this.#run(name, input) as Promise<ReadOutput<N>>;
  }

  /** Runs a read by any name the pool's module has (tests use modules of their own). */
  runNamed(name: string, input: unknown): Promise<unknown> {
    return this.#run(name, input);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const members = [...this.#members];
    this.#members.clear();
    for (const member of members)
      this.#fail(member, (name) => `the read ${name} was stopped: the server is closing`);
    await Promise.all(members.map((m) => m.worker.terminate()));
  }

  #run(name: string, input: unknown): Promise<unknown> {
    if (this.#closed)
      return Promise.reject(new ReadWorkerError(`cannot run ${name}: the readers are closed`));
    const member = this.#pick();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      member.pending.set(id, { name, resolve, reject });
      member.worker.ref();
      const request: ReadRequest = { id, name, input };
      member.worker.postMessage(request);
    });
  }

  #pick(): Member {
    let best: Member | undefined;
    for (const member of this.#members)
      if (best === undefined || member.pending.size < best.pending.size) best = member;
    if (best !== undefined && (best.pending.size === 0 || this.#members.size >= this.#size))
      return best;
    return this.#spawn();
  }

  #spawn(): Member {
    const data: ReaderWorkerData = { path: this.#path, readsUrl: this.#readsUrl.href };
    const worker = new Worker(this.#script, { workerData: data });
    const member: Member = { worker, pending: new Map() };
    this.#members.add(member);
    worker.unref();
    worker.on('message', (reply: ReadReply) => {
      const pending = member.pending.get(reply.id);
      if (pending === undefined) return;
      member.pending.delete(reply.id);
      if (member.pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.value);
      else {
        const error = new Error(reply.error.message);
        error.name = reply.error.name;
        pending.reject(error);
      }
    });
    const stopped = (why: string): void => {
      if (!this.#members.delete(member)) return;
      this.#fail(member, (name) => `the read worker running ${name} stopped (${why}): try again`);
    };
    worker.on('error', (error) => {
      stopped(error.message);
    });
    worker.on('messageerror', (error) => {
      stopped(`an answer could not be read: ${error.message}`);
    });
    worker.on('exit', (code) => {
      stopped(`exit code ${String(code)}`);
    });
    return member;
  }

  #fail(member: Member, message: (name: string) => string): void {
    for (const pending of member.pending.values())
      pending.reject(new ReadWorkerError(message(pending.name)));
    member.pending.clear();
  }
}

/**
 * A module of this folder as built JavaScript. Running from the TypeScript source (the tests),
 * the module beside this one is a `.ts` file that Node 20 cannot run in a worker thread: the
 * build's copy in `dist/store/` is used.
 */
function builtModule(file: string): URL {
  const beside = new URL(`./${file}`, import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL(`../../dist/store/${file}`, import.meta.url);
  if (import.meta.url.endsWith('.ts') && existsSync(fileURLToPath(built))) return built;
  throw new Error(`the read worker's module ${file} is missing: build first (npm run build)`);
}
