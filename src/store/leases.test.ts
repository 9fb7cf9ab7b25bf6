import { expect, it } from 'vitest';
import { ms } from '../domain/time.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { acquireLease, findLease, releaseLease, renewLease } from './leases.js';

const NOW = ms(Date.UTC(2026, 0, 1));
/** `ms` after NOW, the time the test judges leases by (no waiting). */
const at = (after: number) => ms(NOW + after);

describeEachDatabase('leases', (t) => {
  it('let one holder in and keep a second one out until the lease expires, across connections', async () => {
    const other = t.connect();
    const name = `source:${String(Math.random())}`;
    const a = { name, holder: 'process-a' };
    const b = { name, holder: 'process-b' };
    expect(await acquireLease(t.db, { ...a, ttlMs: 400, at: at(0) })).toBe(true);
    expect(await acquireLease(other, { ...b, ttlMs: 400, at: at(399) })).toBe(false);
    expect((await findLease(other, name))?.holder).toBe('process-a');

    expect(await acquireLease(other, { ...b, ttlMs: 60_000, at: at(500) })).toBe(true);
    expect(await renewLease(t.db, { ...a, ttlMs: 60_000, at: at(500) })).toBe(false);
    expect(await acquireLease(t.db, { ...a, ttlMs: 60_000, at: at(500) })).toBe(false);
  });

  it('let only one of many simultaneous contenders win', async () => {
    const name = `source:${String(Math.random())}`;
    const connections = [t.db, t.connect(), t.connect()];
    const wins = await Promise.all(
      connections.flatMap((db, c) =>
        [0, 1, 2].map((i) =>
          acquireLease(db, { name, holder: `p${String(c)}-${String(i)}`, ttlMs: 60_000 }),
        ),
      ),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('renew for the holder and free the name on release', async () => {
    const name = `source:${String(Math.random())}`;
    expect(await acquireLease(t.db, { name, holder: 'a', ttlMs: 300, at: at(0) })).toBe(true);
    expect(await renewLease(t.db, { name, holder: 'a', ttlMs: 60_000, at: at(0) })).toBe(true);
    expect(await acquireLease(t.db, { name, holder: 'b', ttlMs: 1000, at: at(400) })).toBe(false);
    expect(await releaseLease(t.db, { name, holder: 'b' })).toBe(false);
    expect(await releaseLease(t.db, { name, holder: 'a' })).toBe(true);
    expect(await acquireLease(t.db, { name, holder: 'b', ttlMs: 1000, at: at(400) })).toBe(true);
  });
});
