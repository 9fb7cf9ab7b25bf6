import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import { ForbiddenError } from '../domain/errors.js';
import { ms } from '../domain/time.js';
import { ROLES, type Role } from '../domain/users.js';
import { inlineReaders } from '../store/readers.js';
import { cliActor, SCHEDULER, type Actor } from './actor.js';
import {
  accessReviewReport,
  adminActionsReport,
  dormantAccountsReport,
  syncHealthReport,
} from './reports.js';

const NOW = Date.UTC(2025, 5, 30, 12);

function userActor(role: Role, disabled = false): Actor {
  return {
    kind: 'user',
    user: {
      id: `u-${role}`,
      username: `${role}-user`,
      role,
      identityId: null,
      disabled,
      mustChangePassword: false,
      createdAt: ms(NOW),
      updatedAt: ms(NOW),
    },
    via: 'session',
    ip: '127.0.0.1',
  };
}

describeEachDatabase('reports as use cases', (t) => {
  const deps = () => ({ db: t.db, readers: inlineReaders(t.db), clock: () => NOW });

  it('lets every signed-in role and the command line read every report', async () => {
    for (const actor of [...ROLES.map((r) => userActor(r)), cliActor('alice')]) {
      await expect(dormantAccountsReport(deps(), actor, {})).resolves.toMatchObject({
        days: 90,
        generatedAt: NOW,
      });
      await expect(adminActionsReport(deps(), actor, { limit: 5 })).resolves.toMatchObject({
        actions: [],
      });
      await expect(syncHealthReport(deps(), actor)).resolves.toMatchObject({ generatedAt: NOW });
    }
  });

  it('refuses the scheduler and a disabled user, before reading anything', async () => {
    for (const actor of [SCHEDULER, userActor('admin', true)]) {
      await expect(dormantAccountsReport(deps(), actor, {})).rejects.toThrow(ForbiddenError);
      // The Duo group does not exist: refused as forbidden, not as not found.
      await expect(accessReviewReport(deps(), actor, { entitlementId: 999 })).rejects.toThrow(
        ForbiddenError,
      );
      await expect(adminActionsReport(deps(), actor, {})).rejects.toThrow(ForbiddenError);
      await expect(syncHealthReport(deps(), actor)).rejects.toThrow(ForbiddenError);
    }
  });

  it('refuses days and a page size out of range, naming them', async () => {
    const actor = cliActor('alice');
    await expect(dormantAccountsReport(deps(), actor, { days: 0 })).rejects.toThrow(
      /days must be a whole number from 1 to 3650/,
    );
    await expect(adminActionsReport(deps(), actor, { limit: 1001 })).rejects.toThrow(
      /limit must be a whole number from 1 to 1000/,
    );
  });
});
