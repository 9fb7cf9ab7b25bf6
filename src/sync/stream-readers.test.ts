import { describe, expect, it } from 'vitest';
import { DAY_MS, MINUTE_MS, ms, type EpochMs } from '../domain/time.js';
import type { DuoPage, V2LogQuery } from '../duo/index.js';
import { decodePayload } from '../store/payload.js';
import { retentionFloor, type SyncWindow } from './cursor.js';
import { readAhead, readV2Window, type StreamPage } from './stream-readers.js';

function page(n: number, last = false): StreamPage {
  return { events: [], rejected: [], warnings: [], resume: last ? undefined : `offset-${n}` };
}

/** Pages 1..count (the last completes the window), logging when each is requested and served. */
async function* duoPages(count: number, log: string[], fail?: number): AsyncGenerator<StreamPage> {
  for (let n = 1; n <= count; n++) {
    log.push(`request ${n}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (n === fail) throw new Error(`page ${n}: Duo answered 503`);
    log.push(`served ${n}`);
    yield page(n, n === count);
  }
  log.push('reader asked past the last page');
}

describe('reading a window one page ahead', () => {
  it('asks Duo for the next page while the current one is being stored, in order', async () => {
    const log: string[] = [];
    for await (const p of readAhead(duoPages(3, log))) {
      log.push(`storing ${String(p.resume ?? 'last')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      log.push(`stored ${String(p.resume ?? 'last')}`);
    }
    expect(log).toEqual([
      'request 1',
      'served 1',
      'request 2',
      'storing offset-1',
      'served 2',
      'stored offset-1',
      'request 3',
      'storing offset-2',
      'served 3',
      'stored offset-2',
      'storing last',
      'stored last',
    ]);
  });

  it('never asks for a page past the one that completes the window', async () => {
    const log: string[] = [];
    const pages: StreamPage[] = [];
    for await (const p of readAhead(duoPages(2, log))) pages.push(p);
    expect(pages.map((p) => p.resume)).toEqual(['offset-1', undefined]);
    expect(log).not.toContain('reader asked past the last page');
  });

  it('reports a failed read when its page is due, after the pages before it are stored', async () => {
    const log: string[] = [];
    const stored: string[] = [];
    await expect(
      (async () => {
        for await (const p of readAhead(duoPages(3, log, 2))) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          stored.push(String(p.resume));
        }
      })(),
    ).rejects.toThrow('page 2: Duo answered 503');
    expect(stored).toEqual(['offset-1']);
  });

  it('drops a page read ahead when the caller stops early', async () => {
    const log: string[] = [];
    const stored: string[] = [];
    for await (const p of readAhead(duoPages(3, log))) {
      stored.push(String(p.resume));
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stored).toEqual(['offset-1']);
    expect(log).toEqual(['request 1', 'served 1', 'request 2', 'served 2']);
  });
});

const now = ms(Date.UTC(2026, 10, 28, 12, 0, 0));
const window: SyncWindow = {
  purpose: 'backfill',
  min: ms(now - 30 * DAY_MS),
  max: ms(now - DAY_MS),
};

interface DuoAnswer {
  readonly records: number;
  readonly total?: number | { readonly relation: string; readonly value: number };
}

/**
 * Duo's v2 pages as the client yields them: each answer's records (too bare to normalise, so
 * they come back as rejected ones, which count as sent all the same) with Duo's `next_offset`
 * on every non-empty page, the last one included, and the answer's `total_objects`.
 */
function duoWindow(
  answers: readonly DuoAnswer[],
  queries: V2LogQuery[],
): (query: V2LogQuery) => AsyncGenerator<DuoPage<unknown, string>> {
  return async function* (query: V2LogQuery): AsyncGenerator<DuoPage<unknown, string>> {
    let offset = query.nextOffset;
    for (;;) {
      await Promise.resolve(); // an answer arrives later, as Duo's does
      queries.push({ ...query, nextOffset: offset });
      const answer = answers[queries.length - 1] ?? { records: 0 };
      const next = answer.records === 0 ? undefined : `${String(now)},${String(queries.length)}`;
      const total = answer.total;
      yield {
        records: Array.from({ length: answer.records }, () => ({})),
        rejected: [],
        next,
        ...(total === undefined
          ? {}
          : typeof total === 'number'
            ? { totalObjects: total, totalObjectsExact: true }
            : { totalObjects: total.value, totalObjectsExact: total.relation === 'eq' }),
        warnings: [],
      };
      if (next === undefined) return;
      offset = next;
    }
  };
}

async function readAll(
  answers: readonly DuoAnswer[],
  from: SyncWindow = window,
  clock: () => EpochMs = () => now,
): Promise<{ pages: StreamPage[]; queries: V2LogQuery[] }> {
  const queries: V2LogQuery[] = [];
  const pages: StreamPage[] = [];
  for await (const page of readV2Window('authentication', from, clock, duoWindow(answers, queries)))
    pages.push(page);
  return { pages, queries };
}

describe('reading a v2 window without a wasted request', () => {
  it('stops at the page that brings the records Duo sent to its exact total', async () => {
    const { pages, queries } = await readAll([
      { records: 1000, total: 2500 },
      { records: 1000, total: 2500 },
      { records: 500, total: 2500 },
    ]);
    expect(queries).toHaveLength(3);
    expect(pages.map((p) => p.resume === undefined)).toEqual([false, false, true]);
    expect(pages[1]?.progress).toEqual({ min: window.min, read: 2000, total: 2500 });
  });

  it('costs one request for a window of exactly 1,000 records', async () => {
    const { queries } = await readAll([{ records: 1000, total: { relation: 'eq', value: 1000 } }]);
    expect(queries).toHaveLength(1);
  });

  it('does not take a short page for the last while the total is not reached', async () => {
    const { pages, queries } = await readAll([
      { records: 1000, total: 2600 },
      { records: 400, total: 2600 },
      { records: 1000, total: 2600 },
      { records: 200, total: 2600 },
    ]);
    expect(queries).toHaveLength(4);
    expect(pages.at(-1)?.resume).toBeUndefined();
  });

  it('takes a lower-bound total (relation gte) for no proof: the window ends at the empty page', async () => {
    const gte = { relation: 'gte', value: 1500 };
    const { queries } = await readAll([
      { records: 1000, total: gte },
      { records: 500, total: gte },
    ]);
    expect(queries).toHaveLength(3);
  });

  it('takes a total that shrinks between pages for no proof (what is counted no longer matches)', async () => {
    // As a Duo that counted only what remains after next_offset would answer.
    const { queries } = await readAll([
      { records: 1000, total: 3000 },
      { records: 1000, total: 2000 },
      { records: 1000, total: 1000 },
    ]);
    expect(queries).toHaveLength(4);
  });

  it('resumes with the saved count, and without one ends at the empty page', async () => {
    const saved = { ...window, resume: `${String(now)},9`, read: 2000, total: 2500 };
    expect((await readAll([{ records: 500, total: 2500 }], saved)).queries).toHaveLength(1);
    const uncounted = { ...window, resume: `${String(now)},9` };
    expect((await readAll([{ records: 500, total: 2500 }], uncounted)).queries).toHaveLength(2);
  });

  it('moves mintime up to the retention floor before a request once the window nears 180 days', async () => {
    const edge = { ...window, min: retentionFloor(now) };
    let clock = now;
    const answers = [
      { records: 1000, total: 3000 },
      { records: 1000, total: 3000 },
      { records: 1000, total: 2990 },
    ];
    const queries: V2LogQuery[] = [];
    const reader = readV2Window('authentication', edge, () => clock, duoWindow(answers, queries));
    const pages: StreamPage[] = [];
    for await (const page of reader) {
      pages.push(page);
      // Duo's pace: each page read a few minutes after the one before.
      clock = ms(clock + 4 * MINUTE_MS);
    }
    expect(queries.map((q) => q.mintime)).toEqual([
      edge.min,
      edge.min,
      retentionFloor(ms(now + 8 * MINUTE_MS)),
      retentionFloor(ms(now + 8 * MINUTE_MS)),
    ]);
    // The moved window continues after the saved page and, without a count, ends at the empty page.
    expect(queries[2]?.nextOffset).toBe(pages[1]?.resume);
    expect(pages[2]?.progress).toEqual({
      min: retentionFloor(ms(now + 8 * MINUTE_MS)),
      read: undefined,
      total: 2990,
    });
  });
});

describe('a page waiting to be stored', () => {
  it('holds its payloads compressed as they are stored, each decoding to the record Duo sent', async () => {
    const records = [1, 2].map((n) => ({
      txid: `0000000${String(n)}-c2ac-4d8a-b2f4-4f0a1e9c7d11`,
      timestamp: Math.floor(now / 1000) - 600,
      isotimestamp: new Date(now - 600_000).toISOString(),
      result: 'success',
      reason: 'user_approved',
      factor: 'duo_push',
      event_type: 'authentication',
      user: { key: `DU${String(n)}`, name: `user${String(n)}@example.com`, groups: [] },
      a_field_duo_added_later: { n },
    }));
    const pages: StreamPage[] = [];
    const read = async function* (): AsyncGenerator<DuoPage<unknown, string>> {
      await Promise.resolve();
      yield { records, rejected: [], next: undefined, warnings: [] };
    };
    for await (const page of readV2Window('authentication', window, () => now, read))
      pages.push(page);
    const events = pages.flatMap((p) => p.events);
    expect(events.map((e) => e.naturalKey)).toEqual(records.map((r) => r.txid));
    // No JSON text is kept beside the compressed form.
    for (const event of events) expect(event).not.toHaveProperty('payload');
    expect(events.map((e) => JSON.parse(decodePayload(e.encodedPayload)) as unknown)).toEqual(
      records,
    );
    for (const [i, event] of events.entries())
      expect(event.encodedPayload.length).toBeLessThan(JSON.stringify(records[i]).length);
  });
});
