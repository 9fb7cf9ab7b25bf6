import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import { cliActor } from '../core/actor.js';
import { csvPages } from '../core/csv.js';
import {
  ACCESS_REVIEW_COLUMNS,
  accessReviewExport,
  accessReviewReport,
  adminActionsExport,
  dormantAccountsReport,
  EXPORT_PAGE,
} from '../core/reports.js';
import { dayOf, type NormalisedEvent } from '../domain/activity.js';
import { DAY_MS, ms } from '../domain/time.js';
import { upsertAccounts } from './accounts.js';
import { ingestActivityPage } from './activity/ingest.js';
import { openDatabase, type Db } from './dialect.js';
import { findEntitlementByDuoGroupId } from './entitlements.js';
import { createIdentity } from './identities.js';
import {
  inlineReaders,
  openReaders,
  ReaderPool,
  ReadWorkerError,
  type Readers,
} from './readers.js';
import { migrate } from './migrate.js';
import { accessReviewRows } from './reports.js';
import { createSource } from './sources.js';

const NOW = Date.UTC(2025, 5, 30, 12);
/** More members than two export pages, so pages meet at two boundaries. */
const MEMBERS = 2 * EXPORT_PAGE + 100;

function auth(key: string, user: string, daysAgo: number): NormalisedEvent {
  const tsMs = ms(NOW - daysAgo * DAY_MS);
  return {
    naturalKey: key,
    tsMs,
    userKey: user,
    username: user.toLowerCase(),
    result: 'success',
    payload: JSON.stringify({ txid: key, timestamp: Math.floor(tsMs / 1000), user: { key: user } }),
  };
}

/**
 * A tenant: MEMBERS accounts in one Duo group (some disabled, some sharing a username's prefix),
 * activity for two in three of them at various ages, administrator actions.
 */
async function seed(db: Db): Promise<{ entitlementId: number }> {
  const owner = await createIdentity(db, { displayName: 'Owner' });
  const duo = await createSource(db, { type: 'duo', name: 'Duo', ownerIdentityId: owner.id });
  const logs = await createSource(db, {
    type: 'duo-activity',
    name: 'Logs',
    ownerIdentityId: owner.id,
  });
  const group = [{ duoGroupId: 'DGALL', name: 'Everyone' }];
  await upsertAccounts(db, {
    sourceId: duo.id,
    runId: 'r1',
    now: ms(NOW),
    accounts: Array.from({ length: MEMBERS }, (_, i) => ({
      duoUserId: `DU${String(i).padStart(18, '0')}`,
      username: `user${String((i * 7919) % MEMBERS).padStart(5, '0')}`,
      email: `user${String(i)}@example.com`,
      status: i % 11 === 0 ? 'disabled' : 'active',
      lastLoginMs: i % 5 === 0 ? ms(NOW - (i % 200) * DAY_MS) : null,
      groups: i % 4 === 0 ? [...group, { duoGroupId: 'DGFEW', name: 'Few' }] : group,
    })),
  });
  const events = Array.from({ length: MEMBERS }, (_, i) => i)
    .filter((i) => i % 3 !== 0)
    .flatMap((i) => [
      auth(`t${String(i)}a`, `DU${String(i).padStart(18, '0')}`, i % 150),
      auth(`t${String(i)}b`, `DU${String(i).padStart(18, '0')}`, (i % 150) + 2),
    ]);
  for (let i = 0; i < events.length; i += 1000)
    await ingestActivityPage(db, {
      sourceId: logs.id,
      stream: 'authentication',
      cursor: { at: i },
      events: events.slice(i, i + 1000),
    });
  const admin: NormalisedEvent[] = Array.from({ length: 1_200 }, (_, i) => ({
    naturalKey: `admin-${String(i)}`,
    tsMs: ms(NOW - Math.floor(i / 3) * 1000),
    username: 'Ann Admin',
    payload: JSON.stringify({
      action: 'user_update',
      object: `user${String(i)}`,
      username: 'Ann Admin',
      timestamp: Math.floor((NOW - Math.floor(i / 3) * 1000) / 1000),
    }),
  }));
  for (let i = 0; i < admin.length; i += 1000)
    await ingestActivityPage(db, {
      sourceId: logs.id,
      stream: 'administrator',
      cursor: { at: i },
      events: admin.slice(i, i + 1000),
    });
  const everyone = await findEntitlementByDuoGroupId(db, duo.id, 'DGALL');
  if (!everyone) throw new Error('the group was not stored');
  return { entitlementId: everyone.id };
}

async function collect<T>(pages: AsyncIterable<readonly T[]>): Promise<T[][]> {
  const all: T[][] = [];
  for await (const page of pages) all.push([...page]);
  return all;
}

describeEachDatabase('readers', (t) => {
  let entitlementId = 0;
  let readers: Readers;
  const deps = (r: Readers) => ({ db: t.db, readers: r, clock: () => NOW });

  beforeAll(async () => {
    ({ entitlementId } = await seed(t.db));
    // On an SQLite file the reads run in worker threads; on PostgreSQL inline (pg runs queries
    // off the event loop already).
    readers = openReaders(t.db, t.url);
  }, 120_000);

  afterAll(async () => {
    await readers.close();
  });

  it('runs the reads in worker threads on an SQLite file, inline on PostgreSQL', async () => {
    await readers.runRead('dormantAccountIds', { idleSinceMs: ms(NOW - 90 * DAY_MS) });
    expect(readers.threads()).toBe(t.kind === 'sqlite' ? 1 : 0);
  });

  it('answers every report through the readers exactly as inline, page for page', async () => {
    const inline = inlineReaders(t.db);
    for (const days of [1, 30, 90, 3650]) {
      const viaReaders = await dormantAccountsReport(deps(readers), cliActor(), { days });
      expect(viaReaders).toEqual(await dormantAccountsReport(deps(inline), cliActor(), { days }));
    }
    const review = await accessReviewReport(deps(readers), cliActor(), { entitlementId });
    expect(review).toEqual(await accessReviewReport(deps(inline), cliActor(), { entitlementId }));
    expect(review.members.length).toBe(MEMBERS);
    const actions = await collect(await adminActionsExport(deps(readers), cliActor(), {}));
    expect(actions).toEqual(await collect(await adminActionsExport(deps(inline), cliActor(), {})));
    expect(actions.flat().length).toBe(1_200);
  });

  it('pages an access review by username: every member once, in the order of the one-statement query', async () => {
    const { pages } = await accessReviewExport(deps(readers), cliActor(), { entitlementId });
    const paged = await collect(pages);
    expect(paged.map((p) => p.length)).toEqual([EXPORT_PAGE, EXPORT_PAGE, 100]);
    const whole = await accessReviewRows(t.db, {
      entitlementId,
      sinceDay: dayOf(ms(NOW)) - 89,
    });
    expect(paged.flat().map((m) => m.accountId)).toEqual(whole.map((m) => m.accountId));
    expect(paged.flat().map((m) => m.daysActive)).toEqual(whole.map((m) => m.daysActive));
  });

  it('lets the event loop run between the pages of an export', async () => {
    // What happens on the loop, in order: each page written, and each turn of a ticker that
    // re-arms itself with setImmediate (it runs only when the loop is free).
    const events: string[] = [];
    let ticking = true;
    const tick = (): void => {
      events.push('tick');
      if (ticking) setImmediate(tick);
    };
    const { pages } = await accessReviewExport(deps(readers), cliActor(), { entitlementId });
    setImmediate(tick);
    for await (const chunk of csvPages(pages, ACCESS_REVIEW_COLUMNS))
      events.push(chunk.startsWith('username,') ? 'header' : 'page');
    ticking = false;
    const pagesAt = events.flatMap((e, i) => (e === 'page' ? [i] : []));
    expect(pagesAt.length).toBe(3);
    // Between the first page and the last, the loop ran other callbacks.
    const between = events.slice(pagesAt[0], pagesAt[pagesAt.length - 1]);
    expect(between).toContain('tick');
  });
});

describe('a pool of read workers', () => {
  let dir = '';
  let path = '';
  let readsUrl: URL;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'di-readers-'));
    path = join(dir, 'reads.db');
    // Named reads of a test's own: one answers, one crashes its worker thread.
    const module = join(dir, 'reads.mjs');
    writeFileSync(
      module,
      [
        'export const READS = {',
        '  echo: async (_db, input) => ({ input, thread: (await import("node:worker_threads")).threadId }),',
        '  crash: async () => { process.exit(3); },',
        '  fail: async () => { throw new RangeError("the read refused its input"); },',
        '};',
      ].join('\n'),
    );
    readsUrl = pathToFileURL(module);
    writeFileSync(path, '');
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails the read of a crashed worker clearly, and replaces the worker', async () => {
    const pool = new ReaderPool({ path, size: 1, readsUrl });
    try {
      const before = (await pool.runNamed('echo', 1)) as { thread: number };
      await expect(pool.runNamed('crash', {})).rejects.toThrow(
        new ReadWorkerError('the read worker running crash stopped (exit code 3): try again'),
      );
      const after = (await pool.runNamed('echo', 2)) as { input: number; thread: number };
      expect(after.input).toBe(2);
      expect(after.thread).not.toBe(before.thread);
    } finally {
      await pool.close();
    }
  });

  it('passes on the error of a read and keeps its worker', async () => {
    const pool = new ReaderPool({ path, size: 1, readsUrl });
    try {
      const first = (await pool.runNamed('echo', 1)) as { thread: number };
      await expect(pool.runNamed('fail', {})).rejects.toThrow('the read refused its input');
      await expect(pool.runNamed('nothing', {})).rejects.toThrow('no read named nothing');
      expect(((await pool.runNamed('echo', 1)) as { thread: number }).thread).toBe(first.thread);
    } finally {
      await pool.close();
    }
  });

  it('spreads concurrent reads over its workers, up to its size', async () => {
    const pool = new ReaderPool({ path, size: 2, readsUrl });
    try {
      const answers = (await Promise.all([1, 2, 3, 4].map((i) => pool.runNamed('echo', i)))) as {
        input: number;
        thread: number;
      }[];
      expect(answers.map((a) => a.input)).toEqual([1, 2, 3, 4]);
      expect(new Set(answers.map((a) => a.thread)).size).toBe(2);
      expect(pool.threads()).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('stops its workers on close and refuses reads after', async () => {
    const pool = new ReaderPool({ path, size: 2, readsUrl });
    await Promise.all([pool.runNamed('echo', 1), pool.runNamed('echo', 2)]);
    expect(pool.threads()).toBe(2);
    await pool.close();
    expect(pool.threads()).toBe(0);
    await expect(pool.runNamed('echo', 3)).rejects.toThrow(
      'cannot run echo: the readers are closed',
    );
  });

  it('reads inline on an in-memory database, which no other connection can see', async () => {
    const db = openDatabase('sqlite::memory:');
    const readers = openReaders(db, 'sqlite::memory:');
    try {
      await migrate(db);
      await expect(readers.runRead('dormantAccountIds', { idleSinceMs: ms(NOW) })).resolves.toEqual(
        [],
      );
      expect(readers.threads()).toBe(0);
    } finally {
      await readers.close();
      await db.destroy();
    }
  });
});
