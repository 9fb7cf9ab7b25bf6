/**
 * How each log stream reads one window from Duo, as pages of normalised events. A page's
 * `resume` is where the window continues after it (a v2 `next_offset`, a v1 `mintime` in
 * seconds), undefined when the page completes the window.
 *
 * @example for await (const page of STREAM_READERS.authentication(duo, window, signal)) …
 */
import type { NormalisedEvent } from '../domain/activity.js';
import type { StreamName } from '../domain/streams.js';
import { ms, msToSeconds, seconds, secondsToMs, type EpochSec } from '../domain/time.js';
import type { DuoClient, DuoPage, RejectedRecord } from '../duo/index.js';
import type { SyncWindow } from './cursor.js';
import { normalise, numberIdenticalRecords } from './normalise.js';

export interface StreamPage {
  readonly events: NormalisedEvent[];
  /** Records Duo sent that could not be read, with their position in Duo's page. */
  readonly rejected: RejectedRecord[];
  readonly resume: string | number | undefined;
  readonly warnings: string[];
  readonly totalObjects?: number;
}

export type StreamReader = (
  duo: DuoClient,
  window: SyncWindow,
  signal: AbortSignal,
) => AsyncGenerator<StreamPage>;

export const STREAM_READERS: Readonly<Record<StreamName, StreamReader>> = {
  authentication: (duo, window, signal) =>
    readV2('authentication', duo.authLogs(v2Query(window), signal)),
  telephony: (duo, window, signal) =>
    readV2('telephony', duo.telephonyLogs(v2Query(window), signal)),
  activity: (duo, window, signal) => readV2('activity', duo.activityLogs(v2Query(window), signal)),
  administrator: (duo, window, signal) =>
    readV1('administrator', window, (mintime) => duo.administratorLogs({ mintime }, signal)),
  offline_enrollment: (duo, window, signal) =>
    readV1('offline_enrollment', window, (mintime) =>
      duo.offlineEnrollmentLogs({ mintime }, signal),
    ),
};

function v2Query(window: SyncWindow): {
  mintime: typeof window.min;
  maxtime: typeof window.max;
  nextOffset?: string;
} {
  return {
    mintime: window.min,
    maxtime: window.max,
    ...(typeof window.resume === 'string' ? { nextOffset: window.resume } : {}),
  };
}

async function* readV2(
  stream: StreamName,
  pages: AsyncGenerator<DuoPage<unknown, string>>,
): AsyncGenerator<StreamPage> {
  for await (const page of pages) {
    yield toStreamPage(stream, page, page.next);
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
  const events: NormalisedEvent[] = [];
  const rejected = [...page.rejected];
  page.records.forEach((record, index) => {
    try {
      events.push(normalise(stream, record));
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
