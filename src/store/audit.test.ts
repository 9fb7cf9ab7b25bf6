import { expect, it } from 'vitest';
import { ms } from '../domain/time.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { lastSignIns, recordAudit } from './audit.js';

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
});
