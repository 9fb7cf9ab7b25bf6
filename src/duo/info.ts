/**
 * The account summary (`/admin/v1/info/summary`): user, admin and integration counts. Needs
 * "Grant read information".
 *
 * @example const { user_count } = await getInfoSummary(transport, signal);
 */
import { badResponse } from './errors.js';
import { describeIssues } from './pages.js';
import type { DuoTransport } from './transport.js';
import { InfoSummarySchema } from './wire.js';
import type { DuoInfoSummary } from './wire.js';

export async function getInfoSummary(
  transport: DuoTransport,
  signal?: AbortSignal,
): Promise<DuoInfoSummary> {
  const path = '/admin/v1/info/summary';
  const answer = await transport.get(path, [], 'info', { signal });
  const summary = InfoSummarySchema.safeParse(answer.response);
  if (!summary.success) throw badResponse(path, `the summary: ${describeIssues(summary.error)}`);
  return summary.data;
}
