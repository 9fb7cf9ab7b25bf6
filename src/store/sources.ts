/**
 * Sources: connector instances with their settings, state and encrypted credentials. A
 * `Source` never carries the secret; `getSourceCredentials` decrypts it for the Duo client.
 *
 * @example await configureSource(db, id, { apiHost, integrationKey, secretKey }, key);
 */
import type { Selectable } from 'kysely';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import {
  DEFAULT_SOURCE_SETTINGS,
  type ConnectionTestResult,
  type NewSource,
  type Source,
  type SourceCredentials,
  type SourceSettings,
  type SourceState,
  type SourceType,
} from '../domain/sources.js';
import { nowMs } from '../domain/time.js';
import { deleteSourceActivity } from './activity/event-streams.js';
import { epochMs, fromJson, newId, toJson, toJsonOrNull } from './columns.js';
import type { Db } from './dialect.js';
import { assertReferencesExist } from './references.js';
import type { SourcesTable } from './schema.js';
import { decryptSecret, encryptSecret, type SecretKey } from './secrets.js';

export function toSource(row: Selectable<SourcesTable>): Source {
  return {
    id: row.id,
    type: row.type as SourceType,
    name: row.name,
    description: row.description,
    ownerIdentityId: row.owner_identity_id,
    governanceGroupId: row.governance_group_id,
    apiHost: row.api_host,
    integrationKey: row.integration_key,
    hasSecret: row.secret_ciphertext !== null,
    settings: {
      ...DEFAULT_SOURCE_SETTINGS,
      ...(fromJson(row.settings) as Partial<SourceSettings>),
    },
    state: row.state as SourceState,
    lastTest: fromJson(row.last_test) as ConnectionTestResult | null,
    writeGranted: row.write_granted === null ? null : row.write_granted === 1,
    createdAt: epochMs(row.created_at),
    updatedAt: epochMs(row.updated_at),
  };
}

/** The whole row; `toSource` leaves the ciphertext behind. */
async function selectSource(db: Db, id: string): Promise<Selectable<SourcesTable> | undefined> {
  return db.selectFrom('sources').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Creates an unconfigured source. Throws `ConflictError` when the name is taken,
 * `MissingReferenceError` when the owner or governance group does not exist.
 */
export async function createSource(db: Db, input: NewSource): Promise<Source> {
  await assertReferencesExist(db, sourceReferences(input));
  await assertNameFree(db, input.name);
  const now = nowMs();
  const row = await db
    .insertInto('sources')
    .values({
      id: newId(),
      type: input.type,
      name: input.name,
      description: input.description ?? null,
      owner_identity_id: input.ownerIdentityId,
      governance_group_id: input.governanceGroupId ?? null,
      api_host: null,
      integration_key: null,
      secret_ciphertext: null,
      key_id: null,
      settings: toJson({ ...DEFAULT_SOURCE_SETTINGS, ...input.settings }),
      state: 'unconfigured',
      last_test: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toSource(row);
}

function sourceReferences(input: {
  readonly ownerIdentityId?: string | undefined;
  readonly governanceGroupId?: string | null | undefined;
}) {
  return [
    { field: 'ownerIdentityId', table: 'identities', id: input.ownerIdentityId },
    { field: 'governanceGroupId', table: 'governance_groups', id: input.governanceGroupId },
  ] as const;
}

async function assertNameFree(db: Db, name: string, exceptId?: string): Promise<void> {
  let q = db.selectFrom('sources').select('id').where('name', '=', name);
  if (exceptId !== undefined) q = q.where('id', '<>', exceptId);
  if (await q.executeTakeFirst()) throw new ConflictError(`a source named "${name}" exists`);
}

export async function findSource(db: Db, id: string): Promise<Source | undefined> {
  const row = await selectSource(db, id);
  return row && toSource(row);
}

export async function getSource(db: Db, id: string): Promise<Source> {
  const source = await findSource(db, id);
  if (!source) throw new NotFoundError('source', id);
  return source;
}

export async function findSourceByName(db: Db, name: string): Promise<Source | undefined> {
  const row = await db
    .selectFrom('sources')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row && toSource(row);
}

export async function listSources(
  db: Db,
  filter: { readonly type?: SourceType; readonly ownerIdentityId?: string } = {},
): Promise<Source[]> {
  let q = db.selectFrom('sources').selectAll();
  if (filter.type !== undefined) q = q.where('type', '=', filter.type);
  if (filter.ownerIdentityId !== undefined)
    q = q.where('owner_identity_id', '=', filter.ownerIdentityId);
  const rows = await q.orderBy('name').execute();
  return rows.map(toSource);
}

export interface SourcePatch {
  readonly name?: string;
  readonly description?: string | null;
  readonly ownerIdentityId?: string;
  readonly governanceGroupId?: string | null;
  /** Merged into the current settings. */
  readonly settings?: Partial<SourceSettings>;
}

export async function updateSource(db: Db, id: string, patch: SourcePatch): Promise<Source> {
  return db.transaction().execute(async (trx) => {
    const current = await getSource(trx, id);
    await assertReferencesExist(trx, sourceReferences(patch));
    if (patch.name !== undefined) await assertNameFree(trx, patch.name, id);
    const row = await trx
      .updateTable('sources')
      .set({
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.ownerIdentityId === undefined
          ? {}
          : { owner_identity_id: patch.ownerIdentityId }),
        ...(patch.governanceGroupId === undefined
          ? {}
          : { governance_group_id: patch.governanceGroupId }),
        ...(patch.settings === undefined
          ? {}
          : { settings: toJson({ ...current.settings, ...patch.settings }) }),
        updated_at: nowMs(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSource(row);
  });
}

export interface SourceConfiguration {
  readonly apiHost: string;
  readonly integrationKey: string;
  /** Write-only; omit to keep the stored one. */
  readonly secretKey?: string;
}

/**
 * Saves credentials (the secret encrypted with `key`) and moves the source to `configured`:
 * new credentials must pass a connection test again before the source syncs.
 */
export async function configureSource(
  db: Db,
  id: string,
  configuration: SourceConfiguration,
  key: SecretKey,
): Promise<Source> {
  return db.transaction().execute(async (trx) => {
    const current = await selectSource(trx, id);
    if (!current) throw new NotFoundError('source', id);
    const secret =
      configuration.secretKey === undefined
        ? { secret_ciphertext: current.secret_ciphertext, key_id: current.key_id }
        : { secret_ciphertext: encryptSecret(key, configuration.secretKey), key_id: key.id };
    const complete = secret.secret_ciphertext !== null;
    const row = await trx
      .updateTable('sources')
      .set({
        api_host: configuration.apiHost,
        integration_key: configuration.integrationKey,
        ...secret,
        state: complete ? 'configured' : 'unconfigured',
        // Another credential may have other permissions: unknown until it is tested.
        write_granted: null,
        updated_at: nowMs(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSource(row);
  });
}

/**
 * The decrypted credentials, for the Duo client only. Throws `NotFoundError` for an unknown
 * source, `ConflictError` when not configured, `SecretKeyError` when `key` is not the one used.
 */
export async function getSourceCredentials(
  db: Db,
  id: string,
  key: SecretKey,
): Promise<SourceCredentials> {
  const row = await selectSource(db, id);
  if (!row) throw new NotFoundError('source', id);
  if (row.api_host === null || row.integration_key === null || row.secret_ciphertext === null)
    throw new ConflictError(`source ${row.name} has no credentials yet`);
  return {
    apiHost: row.api_host,
    integrationKey: row.integration_key,
    secretKey: decryptSecret(key, row.secret_ciphertext),
  };
}

/**
 * Records a Test Connection verdict; the source becomes `verified` or `failing`. `writeGranted`:
 * whether the test found "Grant write resource" (null: not tested, as for an activity source).
 *
 * @example await recordConnectionTest(db, source.id, { ok: true, at, message }, false);
 */
export async function recordConnectionTest(
  db: Db,
  id: string,
  result: ConnectionTestResult,
  writeGranted: boolean | null = null,
): Promise<Source> {
  const row = await db
    .updateTable('sources')
    .set({
      last_test: toJsonOrNull(result),
      write_granted: writeGranted === null ? null : writeGranted ? 1 : 0,
      state: result.ok ? 'verified' : 'failing',
      updated_at: nowMs(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('source', id);
  return toSource(row);
}

/**
 * Records that Duo refused (or allowed) a change with the source's credential, outside a Test
 * Connection: a 40301 on a write means "Grant write resource" is not granted.
 */
export async function recordWriteGranted(db: Db, id: string, granted: boolean): Promise<void> {
  await db
    .updateTable('sources')
    .set({ write_granted: granted ? 1 : 0 })
    .where('id', '=', id)
    .execute();
}

/** Deletes a source with its accounts, entitlements, events, streams and runs. */
export async function deleteSource(db: Db, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Events and rollups are not deleted by a cascade on PostgreSQL (no foreign key: ingest
    // would pay a query per row for one).
    await deleteSourceActivity(trx, id);
    const result = await trx.deleteFrom('sources').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new NotFoundError('source', id);
  });
}
