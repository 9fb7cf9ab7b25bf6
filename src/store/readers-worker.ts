/**
 * A read worker's thread (started by `ReaderPool` in `readers.ts`): opens its own read-only
 * connection to the SQLite file named in `workerData`, imports the list of named reads, and
 * answers each request `{ id, name, input }` with `{ id, ok, value | error }`. Requests run
 * concurrently; each query holds this thread, never the server's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openReadOnlySqlite, type Db } from './dialect.js';

/** What the pool gives a worker. */
export interface ReaderWorkerData {
  /** The SQLite file. */
  readonly path: string;
  /** The module whose `READS` the worker runs (default: `readers-list.js`). */
  readonly readsUrl: string;
}

/** A request from the pool. */
export interface ReadRequest {
  readonly id: number;
  readonly name: string;
  readonly input: unknown;
}

/** A worker's answer to one request. */
export type ReadReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { readonly name: string; readonly message: string };
    };

type NamedReads = Readonly<Record<string, (db: Db, input: unknown) => Promise<unknown>>>;

const port = parentPort;
if (port === null) throw new Error('readers-worker.js runs as a worker thread of ReaderPool');
const data = workerData as ReaderWorkerData;
const db = openReadOnlySqlite(data.path);
const { READS } = (await import(data.readsUrl)) as { READS: NamedReads };

port.on('message', (request: ReadRequest) => {
  void answer(request).then((reply) => {
    try {
      port.postMessage(reply);
    } catch (error) {
      // A value that cannot cross threads (a function, a class with private state) is the read's
      // bug: the request fails, the worker stays up.
      port.postMessage({
        id: request.id,
        ok: false,
        error: { name: 'DataCloneError', message: `${request.name} answered ${String(error)}` },
      } satisfies ReadReply);
    }
  });
});

async function answer(request: ReadRequest): Promise<ReadReply> {
  const read = Object.hasOwn(READS, request.name) ? READS[request.name] : undefined;
  try {
    if (read === undefined) throw new Error(`no read named ${request.name}`);
    return { id: request.id, ok: true, value: await read(db, request.input) };
  } catch (error) {
    const { name, message } =
      error instanceof Error ? error : { name: 'Error', message: String(error) };
    return { id: request.id, ok: false, error: { name, message } };
  }
}
