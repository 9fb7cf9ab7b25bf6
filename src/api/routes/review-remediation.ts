/**
 * Remediation of a signed-off access-review campaign: `POST /reviews/:id/remediate`. A dry run
 * (`{"dryRun": true}`) answers 200 with the changes it would make and writes nothing; otherwise
 * 202 at once with the changes and the campaign `remediating`, while the steps are carried out in
 * the background (`GET /reviews/:id` shows their progress). Who may and the rules are
 * `core/review-remediation.ts`'s.
 *
 * @example curl -X POST /api/v1/reviews/3f2c…/remediate -d '{"dryRun":true}'   # 200 {dryRun, changes, campaign}
 */
import { remediateCampaign } from '../../core/review-remediation.js';
import { actorOf } from '../auth.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import { RemediateBody, RemediationAnswer } from '../contract/reviews.js';
import { IdParams } from '../schemas.js';

export function reviewRemediationRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.post(
    '/reviews/:id/remediate',
    {
      schema: {
        tags: ['reviews'],
        summary:
          'Remediate a signed-off campaign in Duo: a dry run (200) lists the changes; otherwise 202, carried out in the background',
        params: IdParams,
        body: RemediateBody.strict().optional(),
        response: answers({ 200: RemediationAnswer, 202: RemediationAnswer }),
      },
    },
    async (request, reply) => {
      const dryRun = request.body?.dryRun ?? false;
      const answer = await remediateCampaign(deps, actorOf(request), request.params.id, {
        dryRun,
      });
      // The views are readonly (arrays included): parsed into the answer's own (mutable) type.
      return reply.code(dryRun ? 200 : 202).send(RemediationAnswer.parse(answer));
    },
  );
}
