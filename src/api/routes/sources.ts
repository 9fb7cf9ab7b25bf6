/**
 * Sources: create, list (with last run, next run, health), show, change, and delete (confirmed by
 * name; removes the source's data). Who may manage a source (admins every one; source managers
 * the sources they own or whose governance group they belong to; viewers read) is decided by the
 * use cases of `core/sources.ts`; the source's configuration, runs, streams, accounts and
 * entitlements have their own route files. The list is also a CSV (`format=csv`), without the
 * configuration (no secret is in it).
 *
 * @example curl -X POST /api/v1/sources -d '{"type":"duo","name":"Duo","ownerIdentityId":"…"}'
 */
import { z } from 'zod';
import { NewSourceInput, SourceSettingsInput } from '../../sync/sources.js';
import {
  createSource,
  deleteSource,
  listSourceSummaries,
  showSource,
  updateSource,
} from '../../core/sources.js';
import { actorOf } from '../auth.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { NoContent } from '../contract/common.js';
import { answers } from '../contract/errors.js';
import { Source as SourceAnswer, SourceList, SourceSummary } from '../contract/sources.js';
import { jsonOrCsv } from '../contract/reports.js';
import { csvTime, toCsv, type CsvColumn } from '../../core/csv.js';
import type { SourceSummary as Summary } from '../../core/sources.js';
import { getIdentity } from '../../store/identities.js';
import { FormatQuery, IdParams } from '../schemas.js';
import { sendCsv } from './reports.js';
import { sourceSummaryView, sourceView } from '../views.js';

const SourcePatchBody = z
  .object({
    name: z.string().trim().min(1, 'is required').max(120).optional(),
    description: z.string().max(2000).nullable().optional(),
    ownerIdentityId: z.string().min(1).max(100).optional(),
    governanceGroupId: z.string().min(1).max(100).nullable().optional(),
    settings: SourceSettingsInput.optional(),
  })
  .strict();

export function sourceRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/sources',
    {
      schema: {
        tags: ['sources'],
        summary: 'Every source with its last run, next run and health; CSV with format=csv',
        querystring: FormatQuery,
        response: answers({ 200: jsonOrCsv(SourceList) }),
      },
    },
    async (request, reply) => {
      const summaries = await listSourceSummaries(deps);
      if (request.query.format === 'csv') {
        const owners = new Map<string, string>();
        for (const id of new Set(summaries.map((s) => s.source.ownerIdentityId)))
          owners.set(id, (await getIdentity(deps.db, id).catch(() => null))?.displayName ?? '');
        const rows = summaries.map((s) => ({
          ...s,
          ownerName: owners.get(s.source.ownerIdentityId) ?? '',
        }));
        return sendCsv(reply, 'sources', toCsv(rows, SOURCE_COLUMNS));
      }
      return { sources: summaries.map(sourceSummaryView), next: null };
    },
  );

  app.post(
    '/sources',
    {
      schema: {
        tags: ['sources'],
        summary: 'Create a source (type duo or duo-activity); configure and test it next',
        body: NewSourceInput,
        response: answers({ 201: SourceAnswer }),
      },
    },
    async (request, reply) => {
      const source = await createSource(deps, actorOf(request), request.body);
      return reply.code(201).send(sourceView(source));
    },
  );

  app.get(
    '/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'A source with its last run, next run and health',
        params: IdParams,
        response: answers({ 200: SourceSummary }),
      },
    },
    async (request) => {
      return sourceSummaryView(await showSource(deps, request.params.id));
    },
  );

  app.patch(
    '/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'Change a source’s name, description, owner, governance group or settings',
        params: IdParams,
        body: SourcePatchBody,
        response: answers({ 200: SourceAnswer }),
      },
    },
    async (request) => {
      const updated = await updateSource(deps, actorOf(request), {
        sourceId: request.params.id,
        changes: request.body,
      });
      return sourceView(updated);
    },
  );

  app.delete(
    '/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'Delete a source and all its data; confirm with ?confirm=<the source name>',
        params: IdParams,
        querystring: z.object({ confirm: z.string().max(200).optional() }),
        response: answers({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await deleteSource(deps, actorOf(request), {
        sourceId: request.params.id,
        confirm: request.query.confirm,
      });
      return reply.code(204).send(null);
    },
  );
}

const numbers = new Intl.NumberFormat('en-GB');

/**
 * A source's health in the words of the sources page: an activity source's streams per state
 * (and which fail), a Duo source's accounts per status.
 */
function healthText(health: Summary['health']): string {
  if ('streams' in health) {
    const total = Object.values(health.streams).reduce((a, b) => a + b, 0);
    if (total === 0) return 'No stream synced yet';
    const ok = health.streams['ok'] ?? 0;
    const notInPlan = health.streams['not_available'] ?? 0;
    const text =
      health.failing.length > 0
        ? `${String(health.failing.length)} failing · ${health.failing.join(', ')}`
        : ok + notInPlan === total
          ? `${String(ok)} healthy`
          : `${String(ok)} of ${String(total)} synced`;
    return notInPlan > 0 ? `${text}, ${String(notInPlan)} not in plan` : text;
  }
  const total = Object.values(health.accounts).reduce((a, b) => a + b, 0);
  if (total === 0) return 'No account yet';
  return `${numbers.format(total)} accounts · ${numbers.format(health.accounts['active'] ?? 0)} active`;
}

type SourceRow = Summary & { readonly ownerName: string };

/** What the sources page lists of each source: never its configuration or secret. */
const SOURCE_COLUMNS: readonly CsvColumn<SourceRow>[] = [
  { header: 'name', value: (s) => s.source.name },
  { header: 'type', value: (s) => s.source.type },
  { header: 'owner', value: (s) => s.ownerName },
  { header: 'state', value: (s) => s.source.state },
  { header: 'last_run_kind', value: (s) => s.lastRun?.kind },
  { header: 'last_run_status', value: (s) => s.lastRun?.status },
  { header: 'last_run_finished', value: (s) => csvTime(s.lastRun?.finishedAt) },
  { header: 'next_run', value: (s) => csvTime(s.nextRunAt) },
  { header: 'health', value: (s) => healthText(s.health) },
  { header: 'id', value: (s) => s.source.id },
];
