/**
 * Stored factors under their one name (`domain/factors.ts`): events synced before factors were
 * named one way keep Duo's spelling (`sms` from telephony beside `sms_passcode`, `SMS Passcode`
 * from the legacy log). Each such value is replaced by its name, so the factors of an identity
 * and the timeline's factor filter count one factor once. Rollups do not hold factors.
 */
import { factorName } from '../../domain/factors.js';
import type { Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0004: Migration = {
  id: '0004_factor_names',
  async up(db: Db): Promise<void> {
    const used = await db
      .selectFrom('activity_events')
      .innerJoin('strings', 'strings.id', 'activity_events.factor')
      .select(['strings.id', 'strings.value'])
      .distinct()
      .execute();
    for (const { id, value } of used) {
      const name = factorName(value);
      if (name === undefined || name === value) continue;
      await db
        .insertInto('strings')
        .values({ value: name })
        .onConflict((oc) => oc.column('value').doNothing())
        .execute();
      const named = await db
        .selectFrom('strings')
        .select('id')
        .where('value', '=', name)
        .executeTakeFirstOrThrow();
      await db
        .updateTable('activity_events')
        .set({ factor: named.id })
        .where('factor', '=', id)
        .execute();
    }
  },
};
