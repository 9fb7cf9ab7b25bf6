/**
 * Syncs the log streams of an Activity Insights – Duo source: every stream reads its
 * windows page by page, and each page is stored together with the stream's cursor in one
 * transaction, so a crash at any instant loses nothing and duplicates nothing. A backlog (Duo
 * answering faster than pages are stored) is stored several pages per transaction, with the
 * last page's cursor: a crash loses only those uncommitted pages, which the next run reads
 * again from the cursor committed before them. The first sync
 * reads the last 24 hours of every stream before any backfill; each later sync re-reads the
 * reconciliation window for late events. One stream failing never stops the others.
 *
 * @example const run = await syncActivitySource(ctx, source.id, { trigger: 'manual' });
 */
import type { StoredError } from '../domain/activity.js';
import type { Run, RunTrigger, StreamRunCounts } from '../domain/runs.js';
import { assertRunKind, MAX_BACKFILL_DAYS } from '../domain/sources.js';
import { STREAM_INFO, STREAMS, type StreamName } from '../domain/streams.js';
import { DAY_MS, HOUR_MS, ms, type EpochMs } from '../domain/time.js';
import { DuoError, type DuoClient } from '../duo/index.js';
import { ingestActivityPages, type IngestResult } from '../store/activity/ingest.js';
import { saveRejectedRecords } from '../store/rejected-records.js';
import { getSourceCredentials, getSource } from '../store/sources.js';
import { ensureStreams, findStream, saveStreamCursor, updateStream } from '../store/streams.js';
import { toStoredError, type SyncContext } from './context.js';
import {
  advanceWindow,
  completeWindow,
  DEFAULT_CURSOR_SETTINGS,
  extendBackfill,
  parseCursor,
  planNextWindow,
  type CursorSettings,
  type StreamCursor,
  type SyncWindow,
} from './cursor.js';
import { runExclusive, type RunReporter } from './runs.js';
import { readAhead, STREAM_READERS, type StreamPage } from './stream-readers.js';

export interface SyncOptions {
  readonly trigger: RunTrigger;
  /** Only these streams (default: all five). */
  readonly streams?: readonly StreamName[];
  /** Overrides the source's backfill depth for this run (1–180 days). */
  readonly backfillDays?: number;
  /** Stops at the next page boundary; what was stored stays stored. */
  readonly signal?: AbortSignal;
  /** Told the run as soon as it is recorded, before it works. */
  readonly onRunStarted?: (run: Run) => void;
  /** Asked once the run holds the source (see `RunRequest.stillDue`): the scheduler's re-check. */
  readonly stillDue?: () => Promise<boolean>;
}

/**
 * A backlog's pages are stored together until the run's streams hold `events` events not yet
 * stored (one budget for all streams, so memory stays bounded while they sync side by side),
 * the oldest page has waited `waitMs`, or the window is complete, whichever comes first: one
 * commit per few thousand events instead of one per Duo page. A page that completes its window
 * (a caught-up stream) is stored at once.
 */
export const PAGE_BUFFER = { events: 5_000, waitMs: 2_000 } as const;

interface BufferedPage {
  readonly page: StreamPage;
  /** The stream's cursor once this page is stored. */
  readonly cursor: StreamCursor;
}

const DEADLINE = Symbol('deadline');

export async function syncActivitySource(
  ctx: SyncContext,
  sourceId: string,
  options: SyncOptions,
): Promise<Run> {
  const source = await getSource(ctx.db, sourceId);
  assertRunKind(source, 'sync');
  if (options.backfillDays !== undefined) checkBackfillDays(options.backfillDays);
  const credentials = await getSourceCredentials(ctx.db, sourceId, ctx.secretKey);
  const streams = options.streams ?? STREAMS;
  await ensureStreams(ctx.db, sourceId, streams);

  return runExclusive(
    ctx,
    {
      sourceId,
      kind: 'sync',
      trigger: options.trigger,
      ...(options.onRunStarted === undefined ? {} : { onStarted: options.onRunStarted }),
      ...(options.stillDue === undefined ? {} : { stillDue: options.stillDue }),
    },
    async (report, signal) => {
      const duo = ctx.duo.clientFor(credentials, source.settings);
      try {
        const backfillDays = Math.min(
          options.backfillDays ?? source.settings.backfillDays,
          MAX_BACKFILL_DAYS,
        );
        const settings = (): CursorSettings => ({
          ...DEFAULT_CURSOR_SETTINGS,
          now: ms(ctx.clock()),
          reconciliationMs: source.settings.reconciliationHours * HOUR_MS,
          backfillMs: backfillDays * DAY_MS,
        });
        const extendTo =
          options.backfillDays === undefined ? undefined : ms(ctx.clock() - backfillDays * DAY_MS);
        const syncer = new StreamSyncer(ctx, sourceId, duo, report, signal, settings, extendTo);
        const failed = new Set<StreamName>();
        for (const phase of ['recent', 'backfill'] as const) {
          const todo = streams.filter((s) => !failed.has(s));
          const outcomes = await Promise.all(todo.map((s) => syncer.sync(s, phase)));
          outcomes.forEach((ok, i) => {
            const stream = todo[i];
            if (!ok && stream !== undefined) failed.add(stream);
          });
        }
        const available = streams.length - syncer.unavailable.size;
        const failedCount = [...failed].filter((s) => !syncer.unavailable.has(s)).length;
        const rejected = syncer.rejected();
        if (failedCount === 0 && rejected > 0) {
          // Records Duo sent garbled are not stored; say so instead of a quiet success.
          return {
            status: 'partial',
            error: {
              code: 'records_rejected',
              message: `${rejected} records from Duo could not be read; they are kept whole (rejected records) and the run's warnings say where`,
            },
          };
        }
        if (failedCount === 0) return { status: 'succeeded' };
        // One fix said once, naming the streams it is for when not all of them.
        const byFix = new Map<string, StreamName[]>();
        for (const [stream, e] of syncer.errors)
          if (e.fix !== undefined) byFix.set(e.fix, [...(byFix.get(e.fix) ?? []), stream]);
        const fix = [...byFix]
          .map(([text, named]) =>
            byFix.size === 1 && named.length === failedCount
              ? text
              : `${named.join(', ')}: ${text}`,
          )
          .join(' ');
        const failing = [...failed].filter((s) => !syncer.unavailable.has(s));
        const error: StoredError = {
          code: 'streams_failed',
          message: `${failedCount} of ${available} streams failed: ${failing.join(', ')}`,
          ...(fix === '' ? {} : { fix }),
        };
        return { status: failedCount === available ? 'failed' : 'partial', error };
      } finally {
        await duo.close();
      }
    },
    options.signal,
  );
}

/**
 * The windows a stream reads in one run, from its cursor as the run starts: an unfinished recent
 * window and the one after it (or just the next recent one), and the backfill's window when
 * there is history to fetch (a first sync plans one below its first day).
 */
export function plannedWindows(cursor: StreamCursor, settings: CursorSettings): number {
  const recent = cursor.window
    ? 2
    : planNextWindow(cursor, settings, 'recent') === undefined
      ? 0
      : 1;
  const backfill = cursor.backfill
    ? planNextWindow(cursor, settings, 'backfill') === undefined
      ? 0
      : 1
    : cursor.syncedUntil === undefined && settings.backfillMs > settings.firstWindowMs
      ? 1
      : 0;
  return recent + backfill;
}

function checkBackfillDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > MAX_BACKFILL_DAYS) {
    throw new RangeError(
      `backfill days must be a whole number from 1 to ${MAX_BACKFILL_DAYS} (got ${days})`,
    );
  }
}

/** Runs the windows of each stream of one sync, counting what it did. */
class StreamSyncer {
  readonly unavailable = new Set<StreamName>();
  /** What each failing stream ended with (its message and Duo's fix). */
  readonly errors = new Map<StreamName, StoredError>();
  /** Windows read and to read, per stream: planned when its recent phase starts. */
  readonly #windows = new Map<StreamName, { done: number; total: number }>();
  #firstSync = false;
  readonly #counts = new Map<StreamName, { -readonly [K in keyof StreamRunCounts]: number }>();
  readonly #ctx: SyncContext;
  readonly #sourceId: string;
  readonly #duo: DuoClient;
  readonly #report: RunReporter;
  readonly #signal: AbortSignal;
  readonly #settings: () => CursorSettings;
  readonly #extendTo: EpochMs | undefined;
  /** Events read but not yet stored, over every stream of this run (what the buffers hold). */
  #bufferedEvents = 0;

  constructor(
    ctx: SyncContext,
    sourceId: string,
    duo: DuoClient,
    report: RunReporter,
    signal: AbortSignal,
    settings: () => CursorSettings,
    extendTo: EpochMs | undefined,
  ) {
    this.#extendTo = extendTo;
    this.#ctx = ctx;
    this.#sourceId = sourceId;
    this.#duo = duo;
    this.#report = report;
    this.#signal = signal;
    this.#settings = settings;
  }

  /** Syncs one phase of one stream; false when the stream failed (it is marked, not thrown). */
  async sync(stream: StreamName, phase: 'recent' | 'backfill'): Promise<boolean> {
    const log = this.#ctx.log.child({ sourceId: this.#sourceId, stream, phase });
    const rateLimitedBefore = this.#rateLimited(stream);
    try {
      const stored = await findStream(this.#ctx.db, this.#sourceId, stream);
      const parsed = parseCursor(stored?.cursor, this.#settings());
      let cursor = parsed.cursor;
      if (parsed.warning !== undefined) {
        log.warn({ warning: parsed.warning }, 'stream cursor replaced');
        this.#report.warn(`${stream}: ${parsed.warning}`);
        await saveStreamCursor(this.#ctx.db, this.#sourceId, stream, cursor);
      }
      if (phase === 'recent' && this.#extendTo !== undefined) {
        const extended = extendBackfill(cursor, this.#extendTo);
        if (extended !== cursor) {
          cursor = extended;
          await saveStreamCursor(this.#ctx.db, this.#sourceId, stream, cursor);
        }
      }
      if (phase === 'recent') {
        if (cursor.syncedUntil === undefined) this.#firstSync = true;
        this.#windows.set(stream, { done: 0, total: plannedWindows(cursor, this.#settings()) });
        await this.#reportWindows();
      }
      const tally = this.#windows.get(stream) ?? { done: 0, total: 0 };
      // Recent: an unfinished window first, then one window up to now − 2 min. Backfill: one
      // window down to the backfill's start (more only when it was widened meanwhile).
      let windows = 0;
      for (;;) {
        const window = planNextWindow(cursor, this.#settings(), phase);
        if (!window || (phase === 'recent' && ++windows > 2)) break;
        if (tally.done >= tally.total) tally.total = tally.done + 1;
        cursor = await this.#readWindow(stream, cursor, window);
        tally.done += 1;
        await this.#reportWindows();
        if (phase === 'recent' && window.resume === undefined) break;
      }
      this.#settleRateLimited(stream);
      await updateStream(this.#ctx.db, this.#sourceId, stream, {
        state: 'ok',
        lastSuccessAt: ms(this.#ctx.clock()),
        lastError: null,
        rateLimited: (stored?.rateLimited ?? 0) + this.#rateLimited(stream) - rateLimitedBefore,
      });
      return true;
    } catch (error) {
      if (this.#signal.aborted) throw error;
      this.#settleRateLimited(stream);
      const notAvailable =
        STREAM_INFO[stream].optional &&
        error instanceof DuoError &&
        (error.kind === 'permission_missing' || error.kind === 'not_found');
      const stored = toStoredError(error);
      if (notAvailable) {
        this.unavailable.add(stream);
        // Nothing more to read there: its planned windows are not work left.
        const tally = this.#windows.get(stream);
        if (tally !== undefined) tally.total = tally.done;
        await this.#reportWindows();
        log.info('stream not available on this Duo account');
        await updateStream(this.#ctx.db, this.#sourceId, stream, {
          state: 'not_available',
          lastError: {
            code: 'not_available',
            message: `${STREAM_INFO[stream].label} logs are not available on this Duo account (${stored.message})`,
          },
        });
        return false;
      }
      log.warn({ err: stored }, 'stream failed');
      this.#report.warn(`${stream}: ${stored.message}`);
      this.errors.set(stream, stored);
      await updateStream(this.#ctx.db, this.#sourceId, stream, {
        state: 'failing',
        lastError: stored,
      });
      return false;
    }
  }

  async #readWindow(
    stream: StreamName,
    start: StreamCursor,
    window: SyncWindow,
  ): Promise<StreamCursor> {
    let cursor = start;
    const buffer: BufferedPage[] = [];
    let bufferedSince = 0;
    const flush = async (): Promise<void> => {
      const pages = buffer.splice(0);
      for (const { page } of pages) this.#bufferedEvents -= page.events.length;
      if (pages.length > 0) await this.#store(stream, window, pages);
    };
    const now = (): EpochMs => ms(this.#ctx.clock());
    const pages = readAhead(STREAM_READERS[stream](this.#duo, window, this.#signal, now));
    let inFlight: Promise<unknown> | undefined;
    try {
      for (;;) {
        let result: IteratorResult<StreamPage> | typeof DEADLINE;
        try {
          const pending = pages.next();
          inFlight = pending;
          // Awaited below; a failure while buffered pages are being stored is not unhandled.
          pending.catch(ignore);
          result =
            buffer.length === 0
              ? await pending
              : await beforeDeadline(pending, bufferedSince + PAGE_BUFFER.waitMs, this.#ctx.clock);
          // A stream Duo answers slowly (rate limits) stores what it holds while it waits.
          while (result === DEADLINE) {
            await flush();
            result = await pending;
          }
          inFlight = undefined;
        } catch (error) {
          // The pages already read are good: store them before the failure is handled.
          await flush();
          throw error;
        }
        if (result.done === true) break;
        const page = result.value;
        cursor =
          page.resume === undefined
            ? completeWindow(cursor, window, this.#settings())
            : advanceWindow(cursor, window, page.resume, page.progress);
        // Unreadable records are kept whole before the cursor moves past them (idempotent).
        await saveRejectedRecords(this.#ctx.db, {
          sourceId: this.#sourceId,
          stream,
          runId: this.#report.runId,
          records: page.rejected,
        });
        if (buffer.length === 0) bufferedSince = this.#ctx.clock();
        buffer.push({ page, cursor });
        this.#bufferedEvents += page.events.length;
        if (
          page.resume === undefined ||
          this.#bufferedEvents >= PAGE_BUFFER.events ||
          this.#ctx.clock() - bufferedSince >= PAGE_BUFFER.waitMs ||
          this.#signal.aborted
        )
          await flush();
        if (page.resume === undefined) return cursor;
        this.#signal.throwIfAborted();
      }
    } finally {
      // A page still being read when storing failed is left to end on its own, never stored.
      if (inFlight === undefined) await pages.return(undefined);
      else void inFlight.then(() => pages.return(undefined)).catch(ignore);
    }
    await flush();
    this.#signal.throwIfAborted();
    throw new Error(`${stream}: Duo's pages ended before the window was complete`);
  }

  /** Stores buffered pages of one window in one transaction, then counts and reports them. */
  async #store(
    stream: StreamName,
    window: SyncWindow,
    pages: readonly BufferedPage[],
  ): Promise<void> {
    const results = await ingestActivityPages(
      this.#ctx.db,
      pages.map(({ page, cursor }) => ({
        sourceId: this.#sourceId,
        stream,
        events: page.events,
        cursor,
        strings: this.#ctx.strings,
      })),
    );
    this.#ctx.events?.emit('stored', this.#sourceId);
    pages.forEach(({ page }, i) => {
      const result: IngestResult = results[i] ?? { inserted: 0, updated: 0, changes: [] };
      this.#count(stream, page, result.inserted, result.updated);
      for (const change of result.changes)
        this.#ctx.log.debug(
          { sourceId: this.#sourceId, stream, ...change },
          'Duo sent a stored record again with other content: stored the new one',
        );
      this.#ctx.log.info(
        {
          sourceId: this.#sourceId,
          stream,
          window: `${new Date(window.min).toISOString()} → ${new Date(window.max).toISOString()}`,
          purpose: window.purpose,
          received: page.events.length,
          new: result.inserted,
          updated: result.updated,
          ...(page.totalObjects === undefined ? {} : { windowTotal: page.totalObjects }),
          windowDone: page.resume === undefined,
          pagesInTransaction: pages.length,
        },
        'page stored',
      );
    });
    const last = pages[pages.length - 1];
    if (last !== undefined)
      await this.#report.progress(stream, {
        window,
        cursor: last.cursor,
        totalObjects: last.page.totalObjects,
      });
  }

  /** Windows done and planned over every stream, and whether a stream syncs for the first time. */
  async #reportWindows(): Promise<void> {
    let done = 0;
    let total = 0;
    for (const tally of this.#windows.values()) {
      done += tally.done;
      total += tally.total;
    }
    if (this.#firstSync) await this.#report.progress('firstSync', true);
    await this.#report.progress('windows', { done, total });
  }

  /** Records Duo sent that could not be read, over every stream of this run. */
  rejected(): number {
    let total = 0;
    for (const counts of this.#counts.values()) total += counts.rejected;
    return total;
  }

  #count(stream: StreamName, page: StreamPage, inserted: number, updated: number): void {
    const counts = this.#counts.get(stream) ?? {
      pages: 0,
      eventsNew: 0,
      eventsUpdated: 0,
      rejected: 0,
      rateLimited: 0,
    };
    counts.pages += 1;
    counts.eventsNew += inserted;
    counts.eventsUpdated += updated;
    counts.rejected += page.rejected.length;
    counts.rateLimited = this.#rateLimited(stream);
    this.#counts.set(stream, counts);
    this.#report.count(stream, { ...counts });
    for (const rejected of page.rejected) {
      this.#report.warn(
        `${stream}: Duo sent a record that could not be read (position ${rejected.position} of its page): ${rejected.error}`,
      );
    }
    for (const warning of page.warnings) this.#report.warn(`${stream}: ${warning}`);
  }

  /**
   * Brings the run's count of the stream's 429s up to the client's: a 429 answered to a request
   * no stored page followed (a window's last, empty read; a request that then failed) is counted
   * too, not only those before a page.
   */
  #settleRateLimited(stream: StreamName): void {
    const rateLimited = this.#rateLimited(stream);
    const counts = this.#counts.get(stream);
    if (counts === undefined ? rateLimited === 0 : counts.rateLimited === rateLimited) return;
    const settled = counts ?? {
      pages: 0,
      eventsNew: 0,
      eventsUpdated: 0,
      rejected: 0,
      rateLimited,
    };
    settled.rateLimited = rateLimited;
    this.#counts.set(stream, settled);
    this.#report.count(stream, { ...settled });
  }

  #rateLimited(stream: StreamName): number {
    const family = FAMILY_OF[stream];
    return this.#duo.stats().byFamily[family].rateLimited;
  }
}

const FAMILY_OF = {
  authentication: 'logs_authentication',
  telephony: 'logs_telephony',
  administrator: 'logs_administrator',
  offline_enrollment: 'logs_offline',
  activity: 'logs_activity',
  trust_monitor: 'logs_trust_monitor',
} as const satisfies Record<StreamName, string>;

/**
 * `pending`, or `DEADLINE` if the clock reaches `deadlineMs` first (`pending` keeps running
 * and is awaited again by the caller).
 */
async function beforeDeadline<T>(
  pending: Promise<T>,
  deadlineMs: number,
  clock: () => number,
): Promise<T | typeof DEADLINE> {
  const waitMs = deadlineMs - clock();
  if (waitMs <= 0) return DEADLINE;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof DEADLINE>((resolve) => {
    timer = setTimeout(() => {
      resolve(DEADLINE);
    }, waitMs);
  });
  try {
    return await Promise.race([pending, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function ignore(): void {
  // A page read that nobody will store, or a failure observed where it is awaited.
}
