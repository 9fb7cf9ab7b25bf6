/**
 * Access-review campaigns: create, list, show, the items (filtered, sorted, paged; CSV with
 * every matching item), decisions (listed items or a selection), sign-off and the evidence
 * (JSON or CSV). Each route parses, calls one use case of `core/reviews.ts` (which decides who
 * may, checks the rules and writes the audit record) and renders.
 *
 * @example POST /api/v1/reviews/:id/decisions {"select":{"suggestion":"revoke"},"decision":"revoke"}
 */
import { z } from 'zod';
import { csvPages, toCsv } from '../../core/csv.js';
import {
  campaignEvidence,
  createCampaign,
  decideReviewItems,
  EVIDENCE_COLUMNS,
  evidenceCsvRows,
  evidenceFileName,
  getCampaign,
  listCampaigns,
  listReviewItems,
  MAX_REVIEW_ITEM_PAGE,
  REVIEW_ITEM_COLUMNS,
  reviewItemPages,
  signOffCampaign,
  type ReviewDeps,
} from '../../core/reviews.js';
import { actorOf } from '../auth.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import { jsonOrCsv } from '../contract/reports.js';
import {
  Campaign,
  CAMPAIGN_STATES,
  CampaignList,
  DecisionsBody,
  DecisionsResult,
  Evidence,
  NewCampaignBody,
  REVIEW_DECISIONS,
  REVIEW_ITEM_SORTS,
  ReviewItemList,
} from '../contract/reviews.js';
import { FormatQuery, IdParams, NoBody } from '../schemas.js';
import { sendCsv } from './reports.js';

const Flag = z.enum(['true', 'false']).transform((v) => v === 'true');
const Days = z.coerce.number().int().min(0).max(3650);

/** The item filters as query parameters (`?decision=undecided&activeWithinDays=30`). */
const ItemQuery = FormatQuery.extend({
  decision: z.enum(['keep', 'revoke', 'undecided']).optional(),
  suggestion: z.enum(REVIEW_DECISIONS).optional(),
  mine: Flag.optional().describe('true: only items the signed-in person reviews'),
  q: z.string().max(200).optional().describe('username, name, e-mail or identity contains'),
  entitlementId: z.coerce.number().int().positive().optional(),
  accountStatus: z.string().max(50).optional(),
  activeWithinDays: Days.optional().describe('last activity within this many days'),
  inactiveForDays: Days.optional().describe('no activity for at least this many days (or never)'),
  sort: z.enum(REVIEW_ITEM_SORTS).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_REVIEW_ITEM_PAGE).optional(),
  cursor: z.string().max(500).optional(),
});

/** The query's defined values only (`exactOptionalPropertyTypes`). */
function defined<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

export function reviewRoutes(app: ApiInstance, api: ApiDeps): void {
  const deps: ReviewDeps = { db: api.db, readers: api.readers, clock: api.clock };

  app.post(
    '/reviews',
    {
      schema: {
        tags: ['reviews'],
        summary:
          'Create an access-review campaign: entitlement members or the accounts of Duo sources, reviewed by source owners, a governance group or named identities (admin, or a source manager of every source)',
        body: NewCampaignBody,
        response: answers({ 201: Campaign }),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createCampaign(deps, actorOf(request), request.body)),
  );

  app.get(
    '/reviews',
    {
      schema: {
        tags: ['reviews'],
        summary: 'The campaigns the signed-in person may see (runs or reviews), newest first',
        querystring: z.object({
          state: z.enum(CAMPAIGN_STATES).optional(),
          mine: Flag.optional().describe('true: only campaigns in which I review items'),
        }),
        response: answers({ 200: CampaignList }),
      },
    },
    async (request) => ({
      campaigns: await listCampaigns(deps, actorOf(request), defined(request.query)),
    }),
  );

  app.get(
    '/reviews/:id',
    {
      schema: {
        tags: ['reviews'],
        summary: 'One campaign with its progress (overall, mine, per reviewer) and remediation',
        params: IdParams,
        response: answers({ 200: Campaign }),
      },
    },
    async (request) => getCampaign(deps, actorOf(request), request.params.id),
  );

  app.get(
    '/reviews/:id/items',
    {
      schema: {
        tags: ['reviews'],
        summary:
          "A campaign's items (a reviewer sees their own), filtered, sorted and paged; CSV of every matching item with format=csv",
        params: IdParams,
        querystring: ItemQuery,
        response: answers({ 200: jsonOrCsv(ReviewItemList) }),
      },
    },
    async (request, reply) => {
      const { format, limit, cursor, ...filter } = request.query;
      const actor = actorOf(request);
      if (format === 'csv') {
        const pages = reviewItemPages(deps, actor, request.params.id, defined(filter));
        const first = await pages.next();
        const campaign = await getCampaign(deps, actor, request.params.id);
        const rows = async function* () {
          if (first.done === true) return;
          yield first.value;
          yield* pages;
        };
        return sendCsv(
          reply,
          evidenceFileName(campaign).replace(/^review-evidence-/, 'review-items-'),
          csvPages(rows(), REVIEW_ITEM_COLUMNS),
        );
      }
      return listReviewItems(deps, actor, request.params.id, {
        ...defined(filter),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
  );

  app.post(
    '/reviews/:id/decisions',
    {
      schema: {
        tags: ['reviews'],
        summary:
          'Decide keep or revoke for listed items, or for every item a filter selects (a reviewer: their own items); a keep against a revoke suggestion needs a comment',
        params: IdParams,
        body: DecisionsBody,
        response: answers({ 200: DecisionsResult }),
      },
    },
    async (request) => decideReviewItems(deps, actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/reviews/:id/sign-off',
    {
      schema: {
        tags: ['reviews'],
        summary:
          'Sign a campaign off once every item is decided: decisions are locked and remediation may start',
        params: IdParams,
        body: NoBody,
        response: answers({ 200: Campaign }),
      },
    },
    async (request) => signOffCampaign(deps, actorOf(request), request.params.id),
  );

  app.get(
    '/reviews/:id/evidence',
    {
      schema: {
        tags: ['reviews'],
        summary:
          "A campaign's evidence: every item with every decision, its remediation step and verification (JSON, or CSV with format=csv)",
        params: IdParams,
        querystring: FormatQuery,
        response: answers({ 200: jsonOrCsv(Evidence) }),
      },
    },
    async (request, reply) => {
      const evidence = await campaignEvidence(deps, actorOf(request), request.params.id);
      const name = evidenceFileName(evidence.campaign);
      if (request.query.format === 'csv')
        return sendCsv(reply, name, toCsv(evidenceCsvRows(evidence), EVIDENCE_COLUMNS));
      return reply
        .header('content-disposition', `attachment; filename="${name}.json"`)
        .send(evidence);
    },
  );
}
