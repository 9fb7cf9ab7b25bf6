import { expect, it } from 'vitest';
import { ms } from '../domain/time.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { lastSignIns, listAudit, recordAudit } from './audit.js';

describeEachDatabase('the audit trail', (t) => {
  it('tells each user’s latest sign-in, and nothing for a user who never signed in', async () => {
    const signIn = (user: string, at: number) =>
      recordAudit(t.db, {
        actorUserId: user,
        actor: user,
        action: 'auth.login',
        targetType: 'user',
        targetId: user,
        at: ms(at),
      });
    await signIn('u-ann', 1_700_000_000_000);
    await signIn('u-ann', 1_700_000_900_000);
    await signIn('u-bob', 1_700_000_500_000);
    await recordAudit(t.db, {
      actorUserId: 'u-cat',
      actor: 'cat',
      action: 'source.create',
      targetType: 'source',
      at: ms(1_700_000_950_000),
    });
    const latest = await lastSignIns(t.db);
    expect(latest.get('u-ann')).toBe(1_700_000_900_000);
    expect(latest.get('u-bob')).toBe(1_700_000_500_000);
    expect(latest.has('u-cat')).toBe(false);
  });

  it('pages the trail newest first, entries of the same instant each shown once', async () => {
    // Four entries per instant: pages of three end between entries of equal time.
    const at = [3, 2, 1].flatMap((n) => Array.from({ length: 4 }, () => 1_600_000_000_000 + n));
    for (const instant of [...at].reverse())
      await recordAudit(t.db, {
        actor: 'pager',
        action: 'source.sync',
        targetType: 'source',
        at: ms(instant),
      });
    const mine = (entries: Awaited<ReturnType<typeof listAudit>>) =>
      entries.filter((e) => e.actor === 'pager');
    const all = mine(await listAudit(t.db, { limit: 1000 }));
    const seen: number[] = [];
    let before: { at: number; id: number } | undefined;
    for (;;) {
      const page = await listAudit(t.db, { limit: 3, ...(before ? { before } : {}) });
      seen.push(...mine(page).map((e) => e.id));
      const last = page[page.length - 1];
      if (!last || page.length < 3) break;
      before = { at: last.at, id: last.id };
    }
    expect(all.map((e) => e.at)).toEqual(at);
    expect(seen).toEqual(all.map((e) => e.id));
  });
});
