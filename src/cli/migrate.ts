/**
 * `duo-insights migrate`: bring the database schema up to date and say which migrations ran.
 *
 * @example duo-insights migrate   # schema is up to date: no migration to apply
 */
import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { openDatabase, type Db } from '../store/dialect.js';
import { migrate } from '../store/migrate.js';
import { jsonOption } from './common.js';
import { emit, reportError, type OutputOptions } from './output.js';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('bring the database schema up to date (also done on every start)')
    .addOption(jsonOption())
    .action(async (opts: OutputOptions) => {
      // The database alone: opening the app would migrate first and leave nothing to report.
      let db: Db | undefined;
      try {
        db = openDatabase(loadConfig(process.env).databaseUrl);
        const applied = await migrate(db);
        emit(
          { applied },
          (v) =>
            v.applied.length === 0
              ? 'schema is up to date: no migration to apply'
              : `applied ${String(v.applied.length)} migrations: ${v.applied.join(', ')}`,
          opts,
        );
      } catch (error) {
        reportError(error);
      } finally {
        await db?.destroy();
      }
    });
}
