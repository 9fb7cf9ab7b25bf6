/**
 * What people do with sources, shared by the CLI and the HTTP API: create, configure
 * (credentials checked before they are stored), test the connection (a verdict with cause and
 * fix), delete. Input is validated here, once, with messages naming the field at fault.
 *
 * @example const source = await configureSourceCredentials(ctx, id, { apiHost, integrationKey, secretKey });
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { ConnectionTestResult, Source } from '../domain/sources.js';
import {
  MAX_BACKFILL_DAYS,
  MAX_RETENTION_DAYS,
  MIN_RETENTION_DAYS,
  retentionProblem,
  SOURCE_TYPES,
} from '../domain/sources.js';
import { ms } from '../domain/time.js';
import {
  caFileProblem,
  CONNECTION_TEST_TIMEOUTS,
  proxyUrlProblem,
  type DuoError,
  type WritePermissionVerdict,
} from '../duo/index.js';
import {
  configureSource,
  createSource,
  getSource,
  getSourceCredentials,
  recordConnectionTest,
} from '../store/sources.js';
import { SourceNotReadyError, type SyncContext } from './context.js';
import { ApiHostError, checkApiHost } from './duo-connections.js';
import { runExclusive } from './runs.js';

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    readonly details?: readonly { readonly field: string; readonly message: string }[],
  ) {
    super(message);
  }
}

/** Parses input with a zod schema; failures become one InputError naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : '(body)',
    message: issue.message,
  }));
  throw new InputError(details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
}

/**
 * A retention in whole days, refused with its bounds and why they are so: events are kept at
 * least as long as Duo keeps them, so a re-read never brings deleted ones back.
 */
function retentionDaysInput() {
  const bounds = `a whole number of days from ${String(MIN_RETENTION_DAYS)} (Duo keeps ${String(MIN_RETENTION_DAYS)} days of logs) to ${String(MAX_RETENTION_DAYS)}`;
  return z
    .number()
    .int(`must be ${bounds}`)
    .min(MIN_RETENTION_DAYS, `must be ${bounds}`)
    .max(MAX_RETENTION_DAYS, `must be ${bounds}`);
}

export const SourceSettingsInput = z
  .object({
    syncIntervalHours: z
      .number()
      .min(1)
      .max(24 * 30),
    aggregationIntervalHours: z
      .number()
      .min(1)
      .max(24 * 30)
      .nullable(),
    reconciliationHours: z
      .number()
      .int()
      .min(0)
      .max(24 * 14),
    backfillDays: z.number().int().min(1).max(MAX_BACKFILL_DAYS),
    maxDeleteShare: z.number().min(0).max(1),
    createIdentities: z.boolean(),
    caFile: z
      .string()
      .trim()
      .max(4096)
      .superRefine((path, context) => {
        const problem = isAbsolute(path)
          ? caFileProblem(path)
          : 'must be an absolute path on the server';
        if (problem !== undefined) {
          context.addIssue({
            code: 'custom',
            message: `${path.slice(0, 200)} ${problem}: give the path of a PEM file with the CA certificate, or null for DUO_INSIGHTS_CA_FILE`,
          });
        }
      })
      .nullable(),
    proxyUrl: z
      .string()
      .trim()
      .max(2048)
      .superRefine((url, context) => {
        const problem =
          proxyUrlProblem(url) ??
          (new URL(url).password === ''
            ? undefined
            : 'must not carry a password (source settings are shown to every viewer): put an authenticating proxy in HTTPS_PROXY');
        if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
      })
      .nullable(),
    retentionDays: retentionDaysInput(),
    rollupRetentionDays: retentionDaysInput(),
  })
  .partial()
  .strict()
  .superRefine((s, context) => {
    if (s.retentionDays === undefined || s.rollupRetentionDays === undefined) return;
    const problem = retentionProblem({
      retentionDays: s.retentionDays,
      rollupRetentionDays: s.rollupRetentionDays,
    });
    if (problem !== undefined) {
      context.addIssue({ code: 'custom', path: ['rollupRetentionDays'], message: problem });
    }
  });

export const NewSourceInput = z
  .object({
    type: z.enum(SOURCE_TYPES),
    name: z.string().trim().min(1, 'is required').max(120),
    description: z.string().max(2000).nullable().optional(),
    ownerIdentityId: z.string().min(1, 'is required').max(100),
    governanceGroupId: z.string().min(1).max(100).nullable().optional(),
    settings: SourceSettingsInput.optional(),
  })
  .strict();

const INTEGRATION_KEY = /^DI[A-Z0-9]{18}$/;

export const CredentialsInput = z
  .object({
    apiHost: z.string().trim().min(1, 'is required').max(255),
    integrationKey: z
      .string()
      .trim()
      .regex(INTEGRATION_KEY, 'must be the 20-character integration key that starts with DI'),
    secretKey: z
      .string()
      .trim()
      .min(20, 'looks too short for a Duo secret key (40 characters)')
      .max(128)
      .optional(),
  })
  .strict();

export function settingsFromInput(
  input: z.output<typeof SourceSettingsInput> | undefined,
): Partial<Source['settings']> {
  if (!input) return {};
  return {
    ...(input.syncIntervalHours === undefined
      ? {}
      : { syncIntervalMs: input.syncIntervalHours * 3_600_000 }),
    ...(input.aggregationIntervalHours === undefined
      ? {}
      : {
          aggregationIntervalMs:
            input.aggregationIntervalHours === null
              ? null
              : input.aggregationIntervalHours * 3_600_000,
        }),
    ...(input.reconciliationHours === undefined
      ? {}
      : { reconciliationHours: input.reconciliationHours }),
    ...(input.backfillDays === undefined ? {} : { backfillDays: input.backfillDays }),
    ...(input.maxDeleteShare === undefined ? {} : { maxDeleteShare: input.maxDeleteShare }),
    ...(input.createIdentities === undefined ? {} : { createIdentities: input.createIdentities }),
    ...(input.caFile === undefined ? {} : { caFile: input.caFile }),
    ...(input.proxyUrl === undefined ? {} : { proxyUrl: input.proxyUrl }),
    ...(input.retentionDays === undefined ? {} : { retentionDays: input.retentionDays }),
    ...(input.rollupRetentionDays === undefined
      ? {}
      : { rollupRetentionDays: input.rollupRetentionDays }),
  };
}

export async function createSourceFromInput(ctx: SyncContext, input: unknown): Promise<Source> {
  const parsed = parseInput(NewSourceInput, input);
  return createSource(ctx.db, {
    type: parsed.type,
    name: parsed.name,
    description: parsed.description ?? null,
    ownerIdentityId: parsed.ownerIdentityId,
    governanceGroupId: parsed.governanceGroupId ?? null,
    settings: settingsFromInput(parsed.settings),
  });
}

/** Stores credentials after checking their form; the source must pass a new test to sync. */
export async function configureSourceCredentials(
  ctx: SyncContext,
  sourceId: string,
  input: unknown,
  allowLoopbackHosts: boolean,
): Promise<Source> {
  const parsed = parseInput(CredentialsInput, input);
  try {
    checkApiHost(parsed.apiHost, allowLoopbackHosts);
  } catch (error) {
    if (error instanceof ApiHostError) {
      throw new InputError(`apiHost: ${error.message}`, [
        { field: 'apiHost', message: error.message },
      ]);
    }
    throw error;
  }
  const current = await getSource(ctx.db, sourceId);
  if (parsed.secretKey === undefined && !current.hasSecret) {
    throw new InputError('secretKey: is required the first time a source is configured', [
      { field: 'secretKey', message: 'is required the first time a source is configured' },
    ]);
  }
  return configureSource(
    ctx.db,
    sourceId,
    {
      apiHost: parsed.apiHost,
      integrationKey: parsed.integrationKey,
      ...(parsed.secretKey === undefined ? {} : { secretKey: parsed.secretKey }),
    },
    ctx.secretKey,
  );
}

/**
 * How long, in whole seconds, a Test Connection started now would wait for Duo's rate limit
 * before its request goes (an activity source's log read is paced at 2 a minute): 0 when it
 * would go at once or the source has no credentials yet.
 */
export async function connectionTestWait(ctx: SyncContext, sourceId: string): Promise<number> {
  const source = await getSource(ctx.db, sourceId);
  if (source.apiHost === null || source.integrationKey === null) return 0;
  const delay = ctx.duo.rateLimitDelay(
    { apiHost: source.apiHost, integrationKey: source.integrationKey },
    source.type === 'duo' ? 'objects_page' : 'logs_authentication',
  );
  return Math.ceil(delay / 1000);
}

/**
 * Test Connection: one cheap Duo call with the source's credentials (a log read for an
 * activity source, a one-user page for a Duo source, then the write-permission probe, which
 * changes nothing). Records the verdict on the source (verified / failing, and whether "Grant
 * write resource" is granted) and as a run.
 */
export async function testSourceConnection(
  ctx: SyncContext,
  sourceId: string,
  signal?: AbortSignal,
): Promise<ConnectionTestResult> {
  const source = await getSource(ctx.db, sourceId);
  if (source.apiHost === null || source.integrationKey === null || !source.hasSecret) {
    throw new SourceNotReadyError(
      `source "${source.name}" has no credentials yet: configure its integration key, secret key and API host first`,
    );
  }
  const credentials = await getSourceCredentials(ctx.db, sourceId, ctx.secretKey);
  let result: ConnectionTestResult | undefined;
  await runExclusive(
    ctx,
    { sourceId, kind: 'test', trigger: 'manual' },
    async (_report, runSignal) => {
      const duo = ctx.duo.clientFor(credentials, source.settings, {
        timeouts: CONNECTION_TEST_TIMEOUTS,
      });
      try {
        const verdict = await duo.testConnection(
          source.type === 'duo' ? 'accounts' : 'activity',
          runSignal,
        );
        if (!verdict.ok) result = failedTest(verdict.error, ctx.clock());
        else if (source.type !== 'duo')
          result = { ok: true, at: ms(ctx.clock()), message: verdict.message };
        else {
          // Reading works; whether the credential may also change users and groups is told
          // apart, and never fails the test.
          const write = await duo.checkWritePermission(runSignal);
          const writeGranted = write.ok ? write.granted : null;
          result = {
            ok: true,
            at: ms(ctx.clock()),
            message: `${verdict.message} ${writeSentence(write)}`,
            writeGranted,
          };
        }
      } finally {
        await duo.close();
      }
      await recordConnectionTest(ctx.db, sourceId, result, result.writeGranted ?? null);
      return result.ok
        ? { status: 'succeeded' }
        : { status: 'failed', error: { code: result.code ?? 'failed', message: result.message } };
    },
    signal,
  );
  if (!result) throw new Error('the connection test ended without a verdict');
  return result;
}

/** What the write probe found, in the words of the test's verdict. */
function writeSentence(write: WritePermissionVerdict): string {
  if (!write.ok) {
    return `Whether it can change users and groups in Duo ("Grant write resource") is not known: ${write.error.message}`;
  }
  return write.granted
    ? 'It can change them in Duo ("Grant write resource"): access reviews remove revoked access, and accounts can be disabled, enabled and unlocked.'
    : 'It cannot change them in Duo: grant "Grant write resource" in the Admin API application to let access reviews remove revoked access (until then, remediation is manual) and to disable, enable or unlock accounts.';
}

function failedTest(error: DuoError, now: number): ConnectionTestResult {
  return {
    ok: false,
    at: ms(now),
    code: error.kind,
    message: error.message,
    details: {
      fix: error.fix,
      ...(error.permission === undefined ? {} : { permission: error.permission }),
      ...(error.clockSkewSeconds === undefined ? {} : { clockSkewSeconds: error.clockSkewSeconds }),
      ...(error.networkReason === undefined ? {} : { networkReason: error.networkReason }),
      ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
      ...(error.attempts === undefined ? {} : { attempts: error.attempts }),
    },
  };
}
