/**
 * Opens the store for the composition root: the data directory (owner-only), the database
 * (migrated), the credentials key (checked against the one the database's credentials use) and
 * the string-id cache, with one `close()` for all of it.
 *
 * @example const store = await openStore(config); ... await store.close();
 */
import { StringCache } from './activity/strings.js';
import { openDatabase, type Db, type OpenOptions } from './dialect.js';
import { secureStoreFiles, type LoosePath } from './files.js';
import { migrate } from './migrate.js';
import { checkSecretKey, loadSecretKey, type LoadedSecretKey } from './secrets.js';

export interface StoreOptions extends OpenOptions {
  readonly databaseUrl: string;
  readonly dataDir: string;
  /** Base64 key from the configuration; absent = `secret.key` in `dataDir`. */
  readonly secretKey?: string;
}

export interface Store {
  readonly db: Db;
  readonly secretKey: LoadedSecretKey;
  /** The string-id cache to pass to `ingestActivityPage`. */
  readonly strings: StringCache;
  /** Data files that others could read, made owner-only by this open (warn about each). */
  readonly loosePaths: readonly LoosePath[];
  /** Migrations applied by this open (empty when the schema was current). */
  readonly migrated: readonly string[];
  close(): Promise<void>;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const loosePaths = secureStoreFiles(options);
  const db = openDatabase(options.databaseUrl, options);
  try {
    const migrated = await migrate(db);
    const secretKey = await loadSecretKey({
      dataDir: options.dataDir,
      ...(options.secretKey === undefined ? {} : { secretKey: options.secretKey }),
    });
    await checkSecretKey(db, secretKey.key);
    const strings = new StringCache();
    return {
      db,
      secretKey,
      strings,
      loosePaths,
      migrated,
      close: async () => {
        strings.clear();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
