/**
 * How each log stream reads one window from Duo, as pages of normalised events. A page's
 * `resume` is where the window continues after it (a v2 `next_offset`, a v1 `mintime` in
 * seconds), undefined when the page completes the window.
 *
 * No request is spent on nothing. Duo puts `next_offset` on a v2 window's last page too, so
 * following it would always end with one empty request; a v2 window is complete as soon as the
 * records Duo sent for it reach its exact `metadata.total_objects`. A page shorter than `limit`
 * is not taken as the end: Duo documents `limit` as a maximum, not a promise of full pages. v1
 * logs end at a page of fewer than 1000 records (Duo returns "the 1000 earliest").
 *
 * @example for await (const page of STREAM_READERS.authentication(duo, window, signal, clock)) …
 */
import type { StreamName } from '../domain/streams.js';
import {
  ms,
  msToSeconds,
  seconds,
  secondsToMs,
  type EpochMs,
  type EpochSec,
} from '../domain/time.js';
import type { DuoClient, DuoPage, RejectedRecord, V2LogQuery } from '../duo/index.js';
import { encodeEvent, type EncodedEvent } from '../store/activity/ingest.js';
import {
  needsRetentionRefresh,
  retentionFloor,
  type SyncWindow,
  type WindowProgress,
} from './cursor.js';
import { normalise, numberIdenticalRecords } from './normalise.js';

export interface StreamPage {
  /**
   * Payloads already compressed as they are stored: a page waiting in a sync's buffer (or read
   * ahead) holds about a quarter of its JSON, outside the JavaScript heap, and the JSON text
   * dies young instead of being promoted and collected later.
   */
  readonly events: EncodedEvent[];
  /** Records Duo sent that could not be read, with their position in Duo's page. */
  readonly rejected: RejectedRecord[];
  readonly resume: string | number | undefined;
  /** v2: the window's start, count and total after this page, saved with `resume`. */
  readonly progress?: WindowProgress;
  readonly warnings: string[];
  readonly totalObjects?: number;
}

/** `now` is the sync's clock: a long read moves its `mintime` along with Duo's retention. */
export type StreamReader = (
  duo: DuoClient,
  window: SyncWindow,
  signal: AbortSignal,
  now: () => EpochMs,
) => AsyncGenerator<StreamPage>;

export const STREAM_READERS: Readonly<Record<StreamName, StreamReader>> = {
  authentication: (duo, window, signal, now) =>
    readV2Window('authentication', window, now, (query) => duo.authLogs(query, signal)),
  telephony: (duo, window, signal, now) =>
    readV2Window('telephony', window, now, (query) => duo.telephonyLogs(query, signal)),
  activity: (duo, window, signal, now) =>
    readV2Window('activity', window, now, (query) => duo.activityLogs(query, signal)),
  // Paged by Duo's opaque offset, with no total: a window ends at a page without `next_offset`.
  trust_monitor: (duo, window, signal, now) =>
    readV2Window('trust_monitor', window, now, (query) => duo.trustMonitorEvents(query, signal)),
  administrator: (duo, window, signal) =>
    readV1('administrator', window, (mintime) => duo.administratorLogs({ mintime }, signal)),
  offline_enrollment: (duo, window, signal) =>
    readV1('offline_enrollment', window, (mintime) =>
      duo.offlineEnrollmentLogs({ mintime }, signal),
    ),
};

/**
 * A v2 window: Duo's pages from the saved `next_offset` on, counting the records Duo sends
 * against its exact `total_objects` for the window. The count only proves the end while the
 * total never shrinks: a total that drops (records aging out of retention, or a Duo that counts
 * what remains rather than the whole window) or that is only a lower bound (`relation: "gte"`)
 * turns the proof off, and the window then ends the old way, at a page without `next_offset` or
 * an empty one. Before each request the window's `mintime` is kept inside Duo's retention.
 */
export async function* readV2Window(
  stream: StreamName,
  window: SyncWindow,
  now: () => EpochMs,
  read: (query: V2LogQuery) => AsyncGenerator<DuoPage<unknown, string>>,
): AsyncGenerator<StreamPage> {
  let min = window.min;
  let nextOffset = typeof window.resume === 'string' ? window.resume : undefined;
  // A window resumed from a cursor that did not count has no proof of its end.
  let received: number | undefined = nextOffset === undefined ? 0 : window.read;
  let total: number | undefined = nextOffset === undefined ? undefined : window.total;
  for (;;) {
    let moved = false;
    for await (const page of read({ mintime: min, maxtime: window.max, nextOffset })) {
      const exact = page.totalObjectsExact === true ? page.totalObjects : undefined;
      if (exact === undefined || (total !== undefined && exact < total)) received = undefined;
      else if (received !== undefined) received += page.records.length + page.rejected.length;
      total = exact;
      const complete = page.next === undefined || (received !== undefined && received === total);
      const resume = complete ? undefined : page.next;
      yield {
        ...toStreamPage(stream, page, resume),
        ...(resume === undefined ? {} : { progress: { min, read: received, total } }),
      };
      if (resume === undefined) return;
      nextOffset = resume;
      const at = now();
      if (needsRetentionRefresh(min, at)) {
        // Duo would refuse the old mintime; what lay below the floor is no longer served.
        min = retentionFloor(at);
        received = undefined;
        total = undefined;
        moved = true;
        break;
      }
    }
    if (!moved) return;
    if (min >= window.max) {
      // The rest of the window aged out of Duo's retention while it was read: nothing is left.
      yield { events: [], rejected: [], resume: undefined, warnings: [] };
      return;
    }
  }
}

/**
 * v1 logs have no `maxtime`: a window is read from its `mintime` (inclusive) until Duo has no
 * more (a recent window) or until the next `mintime` passes the window's end (a backfill window).
 * Identical records of one second get their ordinal in the key (`numberIdenticalRecords`).
 */
async function* readV1(
  stream: StreamName,
  window: SyncWindow,
  read: (mintime: EpochSec) => AsyncGenerator<DuoPage<unknown, EpochSec>>,
): AsyncGenerator<StreamPage> {
  const start =
    typeof window.resume === 'number' ? seconds(window.resume) : msToSeconds(ms(window.min));
  for await (const page of read(start)) {
    const beyondWindow =
      window.purpose === 'backfill' &&
      page.next !== undefined &&
      secondsToMs(page.next) > window.max;
    const read = toStreamPage(stream, page, beyondWindow ? undefined : page.next);
    yield { ...read, events: numberIdenticalRecords(read.events) };
    if (beyondWindow) return;
  }
}

function toStreamPage<C extends string | number>(
  stream: StreamName,
  page: DuoPage<unknown, C>,
  resume: C | undefined,
): StreamPage {
  const events: EncodedEvent[] = [];
  const rejected = [...page.rejected];
  page.records.forEach((record, index) => {
    try {
      events.push(encodeEvent(stream, normalise(stream, record, page.texts?.[index])));
    } catch (error) {
      rejected.push({
        position: index,
        error: error instanceof Error ? error.message : String(error),
        raw: record,
      });
    }
  });
  return {
    events,
    rejected,
    resume,
    warnings: page.warnings,
    ...(page.totalObjects === undefined ? {} : { totalObjects: page.totalObjects }),
  };
}

/**
 * Reads one page ahead: while the caller stores page N, the request for page N+1 is already on
 * its way (and waiting for its turn in the rate governor), so Duo's latency and the pacing
 * overlap with the database's work. Pages still come out one at a time and in order, and the
 * caller stores each before it asks for the next, so cursors are committed in order. Never reads
 * past a page that completes the window. When the caller stops early (error, abort), a request
 * already in flight is left to end on its own: its result is dropped, never stored.
 *
 * @example for await (const page of readAhead(STREAM_READERS.authentication(duo, window, signal))) …
 */
export async function* readAhead(pages: AsyncGenerator<StreamPage>): AsyncGenerator<StreamPage> {
  let ahead: Promise<IteratorResult<StreamPage>> | undefined = pages.next();
  try {
    while (ahead !== undefined) {
      const result = await ahead;
      ahead = undefined;
      if (result.done === true) return;
      const page = result.value;
      if (page.resume !== undefined) {
        ahead = pages.next();
        // Observed when awaited; until then a failure must not count as unhandled.
        ahead.catch(ignore);
      }
      yield page;
    }
  } finally {
    if (ahead === undefined) await pages.return(undefined);
    else void ahead.then(() => pages.return(undefined)).catch(ignore);
  }
}

function ignore(): void {
  // A page read ahead that nobody will store: its outcome does not matter.
}
