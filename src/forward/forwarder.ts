/**
 * The delivery loop: one loop per destination, each on its own, so a destination that is down
 * keeps its backlog and backs off (exponential, capped, with jitter) without slowing the sync or
 * the other destinations. A loop holds the lease `destination:<id>`, so with several servers on
 * one database each destination is delivered by one of them. It reads the events after the
 * destination's cursors, hands them to the transport, and only once the transport accepted them
 * moves the cursors (with the delivered count), in a transaction of its own. `wake()` (called
 * after each stored page) ends an idle wait at once; a backoff wait is not cut short by it.
 *
 * @example const f = new Forwarder(deps); f.start(); sync.onStored(() => f.wake()); … await f.stop();
 */
import type { Logger } from '../logging.js';
import type { Destination } from '../domain/destinations.js';
import { nowMs } from '../domain/time.js';
import type { Db } from '../store/dialect.js';
import {
  destinationSecret,
  findDestination,
  listDestinations,
  pendingEvents,
  recordDelivery,
  recordDeliveryError,
} from '../store/destinations.js';
import { acquireLease, releaseLease } from '../store/leases.js';
import type { SecretKey } from '../store/secrets.js';
import { forwardRecord } from './record.js';
import { createTransport, type Transport, type TransportOptions } from './transports.js';

export interface ForwarderDeps {
  readonly db: Db;
  readonly secretKey: SecretKey;
  readonly log: Logger;
  readonly clock: () => number;
  /** This process, as named in leases. */
  readonly holder: string;
}

export interface ForwarderOptions {
  /** Events per batch (default 500). */
  readonly batchSize?: number;
  /** Longest idle wait before looking again without a wake (default 5 s). */
  readonly idleMs?: number;
  /** First backoff after a failure (default 1 s), doubled per failure up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  /** The backoff's cap (default 5 minutes). */
  readonly maxBackoffMs?: number;
  /** How often the list of destinations is read again for new ones (default 10 s). */
  readonly refreshMs?: number;
  readonly leaseTtlMs?: number;
  readonly transport?: TransportOptions;
}

/** The wait after `failures` failures in a row: backoff·2^(n−1), capped, with ±20 % jitter. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

/** A wait that `wake()` can end early. */
class Waiter {
  #wake: (() => void) | undefined;
  sleep(ms: number, wakeable: boolean, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      if (wakeable) this.#wake = done;
    });
  }
  wake(): void {
    this.#wake?.();
  }
}

export class Forwarder {
  readonly #loops = new Map<string, { waiter: Waiter; done: Promise<void> }>();
  readonly #abort = new AbortController();
  readonly #refresh = new Waiter();
  #refreshing: Promise<void> | undefined;
  readonly #batchSize: number;
  readonly #idleMs: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #refreshMs: number;
  readonly #leaseTtlMs: number;

  constructor(
    private readonly deps: ForwarderDeps,
    private readonly options: ForwarderOptions = {},
  ) {
    this.#batchSize = options.batchSize ?? 500;
    this.#idleMs = options.idleMs ?? 5000;
    this.#backoffMs = options.backoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 300_000;
    this.#refreshMs = options.refreshMs ?? 10_000;
    this.#leaseTtlMs = options.leaseTtlMs ?? 60_000;
  }

  /** Starts a loop for every destination, and for each one created later. */
  start(): void {
    this.#refreshing ??= this.#refreshLoop();
  }

  /** New events were stored (or a destination was created): idle loops look now. */
  wake(): void {
    this.#refresh.wake();
    for (const loop of this.#loops.values()) loop.waiter.wake();
  }

  /** Ends every loop after its batch in flight; their leases are released. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#refreshing;
    await Promise.all([...this.#loops.values()].map((l) => l.done));
  }

  async #refreshLoop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        for (const destination of await listDestinations(this.deps.db))
          if (!this.#loops.has(destination.id)) this.#startLoop(destination.id);
      } catch (error) {
        this.deps.log.error({ err: error }, 'could not list the destinations to forward to');
      }
      await this.#refresh.sleep(this.#refreshMs, true, signal);
    }
  }

  #startLoop(id: string): void {
    const waiter = new Waiter();
    const done = this.#loop(id, waiter).finally(() => this.#loops.delete(id));
    this.#loops.set(id, { waiter, done });
  }

  async #loop(id: string, waiter: Waiter): Promise<void> {
    const { db, log } = this.deps;
    const signal = this.#abort.signal;
    const lease = { name: `destination:${id}`, holder: this.deps.holder, ttlMs: this.#leaseTtlMs };
    let transport: Transport | undefined;
    let failures = 0;
    let leaseRenewedAt = 0;
    try {
      while (!signal.aborted) {
        const destination = await findDestination(db, id);
        if (!destination) return;
        if (this.deps.clock() - leaseRenewedAt > this.#leaseTtlMs / 3) {
          if (!(await acquireLease(db, lease))) {
            // Another server delivers it; look again when its lease could have lapsed.
            leaseRenewedAt = 0;
            await waiter.sleep(this.#leaseTtlMs / 2, false, signal);
            continue;
          }
          leaseRenewedAt = this.deps.clock();
        }
        let delivered: number;
        try {
          transport ??= await this.#transportOf(destination);
          delivered = await this.#deliverBatch(destination, transport);
          failures = 0;
        } catch (error) {
          failures += 1;
          const message = error instanceof Error ? error.message : String(error);
          await recordDeliveryError(db, id, message, nowMs(this.deps.clock)).catch(() => undefined);
          const waitMs = backoffDelay(failures, this.#backoffMs, this.#maxBackoffMs);
          log.warn(
            {
              destinationId: id,
              destination: destination.name,
              failures,
              retryInMs: waitMs,
              error: message,
            },
            'a destination did not accept a batch: it keeps its backlog and is tried again',
          );
          await transport?.close().catch(() => undefined);
          transport = undefined;
          await waiter.sleep(waitMs, false, signal);
          continue;
        }
        if (delivered === 0) await waiter.sleep(this.#idleMs, true, signal);
      }
    } finally {
      await transport?.close().catch(() => undefined);
      await releaseLease(db, lease).catch(() => undefined);
    }
  }

  async #transportOf(destination: Destination): Promise<Transport> {
    const secret = await destinationSecret(this.deps.db, destination.id, this.deps.secretKey);
    return createTransport(destination.settings, secret, {
      clock: this.deps.clock,
      ...this.options.transport,
    });
  }

  /** One batch: read, send, and once accepted, move the cursors. The events it delivered. */
  async #deliverBatch(destination: Destination, transport: Transport): Promise<number> {
    const batch = await pendingEvents(this.deps.db, destination, this.#batchSize);
    if (batch.events.length === 0) return 0;
    await transport.send(batch.events.map(forwardRecord));
    await recordDelivery(
      this.deps.db,
      destination.id,
      batch,
      batch.events.length,
      nowMs(this.deps.clock),
    );
    return batch.events.length;
  }
}
