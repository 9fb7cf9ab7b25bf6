import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import { appliedMigrations, migrate } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';

describeEachDatabase(
  'migrations',
  (t) => {
    it('create every table on an empty database and record what ran', async () => {
      const applied = await migrate(t.db);
      expect(applied).toEqual(MIGRATIONS.map((m) => m.id));
      expect(await appliedMigrations(t.db)).toEqual(applied);
      const tables = (await t.db.introspection.getTables()).map((x) => x.name).sort();
      expect(tables).toEqual(
        expect.arrayContaining([
          'accounts',
          'activity_daily',
          'activity_events',
          'entitlements',
          'identities',
          'leases',
          'runs',
          'settings',
          'sources',
          'streams',
          'strings',
        ]),
      );
    });

    it('change nothing when run again, from the same or another connection', async () => {
      expect(await migrate(t.db)).toEqual([]);
      expect(await migrate(t.connect())).toEqual([]);
      expect(await appliedMigrations(t.db)).toEqual(MIGRATIONS.map((m) => m.id));
    });
  },
  { migrate: false },
);

describe('migration files', () => {
  it('are numbered in order without gaps', () => {
    MIGRATIONS.forEach((m, i) => {
      expect(m.id.startsWith(String(i + 1).padStart(4, '0') + '_')).toBe(true);
    });
  });
});
