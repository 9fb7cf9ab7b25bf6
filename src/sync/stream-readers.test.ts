import { describe, expect, it } from 'vitest';
import { readAhead, type StreamPage } from './stream-readers.js';

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
