/**
 * `duo-insights reviews create|list|show|decide|sign-off|remediate|evidence`: access-review
 * campaigns through the same use cases as the API (`core/reviews.ts`,
 * `core/review-remediation.ts`), as the person at the command line (an admin's rights). A table
 * or `key: value` lines on a terminal, the API's JSON when piped or with `--json`; a bad flag
 * exits 2 naming it.
 *
 * @example duo-insights reviews create --name "VPN Q4" --groups VPN,Engineering --reviewers owner --due 2026-12-31
 * @example duo-insights reviews decide <campaign> --select suggested-revoke --revoke
 * @example duo-insights reviews remediate <campaign> --dry-run
 */
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { App } from '../app.js';
import { cliActor } from '../core/actor.js';
import { toCsv } from '../core/csv.js';
import { TimeQuery } from '../core/queries.js';
import { remediateCampaign, waitForRemediation } from '../core/review-remediation.js';
import {
  campaignEvidence,
  createCampaign,
  decideReviewItems,
  EVIDENCE_COLUMNS,
  evidenceCsvRows,
  getCampaign,
  listCampaigns,
  listReviewItems,
  signOffCampaign,
  type CampaignView,
  type DecisionsBody,
  type ReviewItemFilter,
} from '../core/reviews.js';
import type { Entitlement } from '../domain/accounts.js';
import { NotFoundError } from '../domain/errors.js';
import { CAMPAIGN_STATES, type CampaignState, type ReviewerChoice } from '../domain/reviews.js';
import { getEntitlement, listEntitlements } from '../store/entitlements.js';
import { listSources } from '../store/sources.js';
import { positiveInt, resolveIdentity, resolveSource, withApp } from './common.js';
import {
  CommandError,
  emit,
  fields,
  formatTime,
  table,
  wantsJson,
  type OutputOptions,
} from './output.js';

/** Every subcommand: `--json`, and a bad flag exits 2 (bad input). */
function subcommand(name: string): Command {
  return new Command(name)
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : 2);
    })
    .addOption(new Option('--json', 'print JSON even on a terminal'));
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** `--due`: a date (`2026-12-31`: the end of that day, UTC), an ISO 8601 date-time or epoch ms. */
export function dueFlag(value: string): number {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59.999Z` : value;
  const parsed = TimeQuery.safeParse(/^\d+$/.test(date) ? Number(date) : date);
  if (!parsed.success || Number.isNaN(parsed.data))
    throw new InvalidArgumentError(
      '--due must be a date (2026-12-31), an ISO 8601 date-time with a time zone, or epoch milliseconds',
    );
  return parsed.data;
}

/** `--select`: `suggested-revoke`, `undecided`, `active-within=<days>`, `inactive-for=<days>`. */
export function selectFlag(value: string, previous: ReviewItemFilter = {}): ReviewItemFilter {
  const days = (text: string, flag: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 3650)
      throw new InvalidArgumentError(`--select ${flag}=<days> needs a whole number from 0 to 3650`);
    return n;
  };
  const [name = '', arg] = value.split('=', 2);
  switch (name) {
    case 'suggested-revoke':
      return { ...previous, suggestion: 'revoke' };
    case 'suggested-keep':
      return { ...previous, suggestion: 'keep' };
    case 'undecided':
      return { ...previous, decision: 'undecided' };
    case 'active-within':
      return { ...previous, activeWithinDays: days(arg ?? '', name) };
    case 'inactive-for':
      return { ...previous, inactiveForDays: days(arg ?? '', name) };
    default:
      throw new InvalidArgumentError(
        `--select ${value}: use suggested-revoke, suggested-keep, undecided, active-within=<days> or inactive-for=<days>`,
      );
  }
}

/** A campaign named by its id, or by its name when exactly one campaign has it. */
async function resolveCampaign(app: App, ref: string): Promise<CampaignView> {
  try {
    return await getCampaign(app, cliActor(), ref);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  const named = (await listCampaigns(app, cliActor())).filter((c) => c.name === ref);
  const [only] = named;
  if (named.length === 1 && only) return only;
  if (named.length > 1)
    throw new CommandError(
      `"${ref}" names ${String(named.length)} campaigns (ids ${named.map((c) => c.id).join(', ')}): give the id`,
      2,
    );
  throw new NotFoundError('review campaign', ref);
}

/** An entitlement named by its id, Duo group id or name, among the `duo` sources (or `--source`). */
async function resolveEntitlement(app: App, ref: string, sourceRef?: string): Promise<Entitlement> {
  if (/^\d+$/.test(ref)) return getEntitlement(app.db, Number(ref));
  const sources =
    sourceRef === undefined
      ? await listSources(app.db, { type: 'duo' })
      : [await resolveSource(app, sourceRef)];
  const matches: Entitlement[] = [];
  for (const source of sources)
    for (const e of await listEntitlements(app.db, { sourceId: source.id }))
      if (e.duoGroupId === ref || e.name === ref) matches.push(e);
  const [only] = matches;
  if (matches.length === 1 && only) return only;
  if (matches.length > 1)
    throw new CommandError(
      `--groups "${ref}" matches ${String(matches.length)} entitlements (ids ${matches.map((e) => e.id).join(', ')}): give the id, or --source`,
      2,
    );
  throw new CommandError(
    `--groups "${ref}" names no Duo group or admin role: give an entitlement id, a Duo group id or a name`,
    2,
  );
}

async function resolveReviewers(app: App, value: string): Promise<ReviewerChoice> {
  if (value === 'owner') return { kind: 'source_owner' };
  if (value.startsWith('group:')) {
    const id = value.slice('group:'.length).trim();
    if (id === '') throw new CommandError('--reviewers group:<id> needs a governance group id', 2);
    return { kind: 'governance_group', governanceGroupId: id };
  }
  const refs = list(value);
  if (refs.length === 0)
    throw new CommandError(
      '--reviewers must be owner, group:<governance group id> or identities (ids, e-mails or usernames, comma-separated)',
      2,
    );
  const identityIds: string[] = [];
  for (const ref of refs) identityIds.push((await resolveIdentity(app, ref)).id);
  return { kind: 'identities', identityIds };
}

function progressText(p: { decided: number; total: number }): string {
  return `${String(p.decided)}/${String(p.total)}`;
}

function campaignText(c: CampaignView): string {
  const r = c.remediation;
  return fields({
    id: c.id,
    name: c.name,
    state: c.state,
    sources: c.sources.map((s) => s.name).join(', '),
    due: formatTime(c.dueMs) + (c.overdue ? ' (overdue)' : ''),
    decided: `${progressText(c.progress)} (keep ${String(c.progress.keep)}, revoke ${String(c.progress.revoke)})`,
    'signed off':
      c.signedOffAt === null ? '-' : `${formatTime(c.signedOffAt)} by ${c.signedOffBy ?? '-'}`,
    remediation:
      r.mode === null
        ? '-'
        : `${r.mode}: ${String(r.steps)} steps, ${String(r.accepted)} accepted, ${String(r.failed)} failed, ${String(r.uncertain)} uncertain, ${String(r.manual)} manual, ${String(r.pending)} pending; verified ${String(r.removed)} removed, ${String(r.stillPresent)} still present`,
  });
}

function createCommand(): Command {
  return subcommand('create')
    .description(
      'create a campaign: members of Duo groups or admin roles, or every account of a source',
    )
    .requiredOption('--name <name>', 'the campaign name')
    .option('--groups <list>', 'entitlement ids, Duo group ids or names, comma-separated')
    .option(
      '--source <sources>',
      'without --groups: every account of these Duo sources (comma-separated); with it: where the names are looked up',
    )
    .requiredOption(
      '--reviewers <who>',
      'owner (each source owner), group:<governance group id>, or identities (ids, e-mails or usernames, comma-separated)',
    )
    .requiredOption(
      '--due <date>',
      'the due date: 2026-12-31, an ISO 8601 date-time, or epoch ms',
      dueFlag,
    )
    .action(
      async (
        opts: {
          name: string;
          groups?: string;
          source?: string;
          reviewers: string;
          due: number;
        } & OutputOptions,
      ) => {
        await withApp(async (app) => {
          if (opts.groups === undefined && opts.source === undefined)
            throw new CommandError(
              'give --groups <entitlements> (members of Duo groups or admin roles) or --source <source> (every account of a Duo source)',
              2,
            );
          let scope;
          if (opts.groups !== undefined) {
            const refs = list(opts.groups);
            if (refs.length === 0) throw new CommandError('--groups names no group', 2);
            const sourceRefs = opts.source === undefined ? [] : list(opts.source);
            if (sourceRefs.length > 1)
              throw new CommandError('with --groups, --source names one source', 2);
            const entitlementIds: number[] = [];
            for (const ref of refs)
              entitlementIds.push((await resolveEntitlement(app, ref, sourceRefs[0])).id);
            scope = { kind: 'entitlements' as const, entitlementIds };
          } else {
            const sourceIds: string[] = [];
            for (const ref of list(opts.source ?? ''))
              sourceIds.push((await resolveSource(app, ref)).id);
            if (sourceIds.length === 0) throw new CommandError('--source names no source', 2);
            scope = { kind: 'accounts' as const, sourceIds };
          }
          const campaign = await createCampaign(app, cliActor(), {
            name: opts.name,
            scope,
            reviewers: await resolveReviewers(app, opts.reviewers),
            dueMs: opts.due,
          });
          emit(campaign, campaignText, opts);
        });
      },
    );
}

function listCommand(): Command {
  return subcommand('list')
    .description('the campaigns, newest first')
    .addOption(
      new Option('--state <state>', 'only campaigns in this state').choices(CAMPAIGN_STATES),
    )
    .action(async (opts: { state?: CampaignState } & OutputOptions) => {
      await withApp(async (app) => {
        const campaigns = await listCampaigns(
          app,
          cliActor(),
          opts.state === undefined ? {} : { state: opts.state },
        );
        emit(
          { campaigns },
          ({ campaigns: rows }) =>
            table(
              rows.map((c) => ({
                id: c.id,
                name: c.name,
                state: c.state,
                decided: progressText(c.progress),
                due: formatTime(c.dueMs),
                remediation: c.remediation.mode ?? '-',
              })),
              ['id', 'name', 'state', 'decided', 'due', 'remediation'],
            ),
          opts,
        );
      });
    });
}

function showCommand(): Command {
  return subcommand('show')
    .description('a campaign with its progress and remediation; --items lists its items')
    .argument('<campaign>', 'campaign id or name')
    .option('--items', 'also list its items (first --limit)')
    .option('--limit <n>', 'items listed with --items', positiveInt('--limit', 1, 1000), 100)
    .action(async (ref: string, opts: { items?: boolean; limit: number } & OutputOptions) => {
      await withApp(async (app) => {
        const campaign = await resolveCampaign(app, ref);
        if (opts.items !== true) {
          emit(campaign, campaignText, opts);
          return;
        }
        const page = await listReviewItems(app, cliActor(), campaign.id, { limit: opts.limit });
        emit(
          { campaign, items: page.items, total: page.total },
          (v) =>
            `${campaignText(v.campaign)}\n\n${table(
              v.items.map((i) => ({
                item: i.id,
                username: i.username,
                entitlement: i.entitlement?.name ?? '(account)',
                lastActivity: formatTime(i.lastActivityMs),
                suggestion: i.suggestion,
                decision: i.decision ?? '-',
                step: i.step === null ? '-' : `${i.step.action} ${i.step.state}`,
                verification: i.step?.verification ?? '-',
              })),
              [
                'item',
                'username',
                'entitlement',
                'lastActivity',
                'suggestion',
                'decision',
                'step',
                'verification',
              ],
            )}\n${String(v.items.length)} of ${String(v.total)} items`,
          opts,
        );
      });
    });
}

function decideCommand(): Command {
  return subcommand('decide')
    .description('decide items: --item <ids> or --select <filter>, with --keep or --revoke')
    .argument('<campaign>', 'campaign id or name')
    .option('--item <ids>', 'item ids, comma-separated')
    .option(
      '--select <filter>',
      'every item (of yours) that matches: suggested-revoke, suggested-keep, undecided, active-within=<days>, inactive-for=<days> (repeat to combine)',
      selectFlag,
    )
    .addOption(new Option('--keep', 'keep the access').conflicts('revoke'))
    .addOption(new Option('--revoke', 'revoke the access'))
    .option('--comment <text>', 'why (needed to keep what is suggested for revoke)')
    .action(
      async (
        ref: string,
        opts: {
          item?: string;
          select?: ReviewItemFilter;
          keep?: boolean;
          revoke?: boolean;
          comment?: string;
        } & OutputOptions,
      ) => {
        await withApp(async (app) => {
          if (opts.keep !== true && opts.revoke !== true)
            throw new CommandError('give --keep or --revoke', 2);
          const decision = opts.keep === true ? 'keep' : 'revoke';
          if ((opts.item === undefined) === (opts.select === undefined))
            throw new CommandError('give either --item <ids> or --select <filter>', 2);
          const comment = opts.comment === undefined ? {} : { comment: opts.comment };
          let body: DecisionsBody;
          if (opts.item !== undefined) {
            const ids = list(opts.item).map((text) => {
              const n = Number(text);
              if (!Number.isInteger(n) || n < 1)
                throw new CommandError(`--item ${text}: item ids are whole numbers`, 2);
              return n;
            });
            if (ids.length === 0) throw new CommandError('--item names no item', 2);
            body = { items: ids.map((itemId) => ({ itemId, decision, ...comment })) };
          } else body = { select: opts.select ?? {}, decision, ...comment };
          const campaign = await resolveCampaign(app, ref);
          const result = await decideReviewItems(app, cliActor(), campaign.id, body);
          emit(
            result,
            (r) =>
              `${String(r.decided)} ${r.decided === 1 ? 'item' : 'items'} decided ${decision}\n${campaignText(r.campaign)}`,
            opts,
          );
        });
      },
    );
}

function signOffCommand(): Command {
  return subcommand('sign-off')
    .description('sign a campaign off once every item is decided (locks the decisions)')
    .argument('<campaign>', 'campaign id or name')
    .action(async (ref: string, opts: OutputOptions) => {
      await withApp(async (app) => {
        const campaign = await resolveCampaign(app, ref);
        emit(await signOffCampaign(app, cliActor(), campaign.id), campaignText, opts);
      });
    });
}

function remediateCommand(): Command {
  return subcommand('remediate')
    .description(
      'carry out the revocations of a signed-off campaign in Duo and wait for the verification; --dry-run lists them',
    )
    .argument('<campaign>', 'campaign id or name')
    .option('--dry-run', 'list the changes; change nothing')
    .action(async (ref: string, opts: { dryRun?: boolean } & OutputOptions) => {
      await withApp(async (app) => {
        const campaign = await resolveCampaign(app, ref);
        const dryRun = opts.dryRun === true;
        const answer = await remediateCampaign(app, cliActor(), campaign.id, { dryRun });
        const result = dryRun
          ? answer
          : await (async () => {
              await waitForRemediation(app, campaign.id);
              return { ...answer, campaign: await getCampaign(app, cliActor(), campaign.id) };
            })();
        emit(
          result,
          (r) =>
            `${table(
              r.changes.map((c) => ({
                item: c.itemId,
                username: c.username,
                entitlement: c.entitlementName ?? '(account)',
                action: c.action,
                request: c.request ?? '-',
                why: c.why,
              })),
              ['item', 'username', 'entitlement', 'action', 'request', 'why'],
            )}\n${dryRun ? `dry run: ${String(r.changes.length)} changes, nothing sent\n` : ''}${campaignText(r.campaign)}`,
          opts,
        );
      });
    });
}

function evidenceCommand(): Command {
  return subcommand('evidence')
    .description('the evidence of a campaign: every item, every decision, each remediation step')
    .argument('<campaign>', 'campaign id or name')
    .addOption(
      new Option('--format <format>', 'csv or json').choices(['csv', 'json']).default('csv'),
    )
    .option('--out <file>', 'write it to this file instead of standard output')
    .action(async (ref: string, opts: { format: 'csv' | 'json'; out?: string } & OutputOptions) => {
      await withApp(async (app) => {
        const campaign = await resolveCampaign(app, ref);
        const evidence = await campaignEvidence(app, cliActor(), campaign.id);
        const text =
          opts.format === 'csv'
            ? toCsv(evidenceCsvRows(evidence), EVIDENCE_COLUMNS)
            : `${JSON.stringify(evidence, null, 2)}\n`;
        if (opts.out === undefined) {
          if (!process.stdout.write(text)) await once(process.stdout, 'drain');
          return;
        }
        try {
          await writeFile(opts.out, text, { mode: 0o600 });
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          throw new CommandError(
            `--out ${opts.out} cannot be written (${typeof code === 'string' ? code : 'error'}): give a file in a folder you can write to`,
            2,
          );
        }
        const summary = { out: opts.out, format: opts.format, items: evidence.items.length };
        if (wantsJson(opts)) emit(summary, () => '', opts);
        else
          process.stdout.write(
            `wrote the evidence of ${String(evidence.items.length)} items to ${opts.out}\n`,
          );
      });
    });
}

/** `duo-insights reviews …`. */
export function reviewsCommand(): Command {
  return new Command('reviews')
    .description('access-review campaigns: create, decide, sign off, remediate in Duo, evidence')
    .addCommand(createCommand())
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(decideCommand())
    .addCommand(signOffCommand())
    .addCommand(remediateCommand())
    .addCommand(evidenceCommand());
}
