/**
 * API tokens (admins): list (with expiry and last use), create (the token is shown once;
 * optionally expiring), revoke.
 *
 * @example POST /api/v1/tokens {"name":"SIEM export","expiresAt":"2027-03-01T00:00:00Z"}
 */
import { z } from 'zod';
import { nowMs } from '../../domain/time.js';
import type { ApiToken } from '../../domain/users.js';
import { deleteApiToken, findApiToken, listApiTokens } from '../../store/api-tokens.js';
import { issueApiToken } from '../../sync/users.js';
import { actorOf, requireRole, userOf } from '../auth.js';
import { recordAction } from '../../core/actor.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { ApiError } from '../errors.js';
import { NoContent } from '../contract/common.js';
import { answers } from '../contract/errors.js';
import { ApiTokenList, CreatedApiToken } from '../contract/tokens.js';
import { IdParams } from '../schemas.js';

const NewTokenBody = z
  .object({
    name: z.string().max(100),
    expiresAt: z
      .union([z.string().max(40), z.number()])
      .nullable()
      .optional()
      .describe(
        'when the token stops working: ISO 8601 date-time with a time zone, or epoch milliseconds; in the future, within 10 years; null or absent: never',
      ),
  })
  .strict();

/** A token as answers show it (never its hash). Times are epoch milliseconds. */
function tokenView(t: ApiToken) {
  return {
    id: t.id,
    name: t.name,
    userId: t.userId,
    prefix: t.prefix,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    expiresAt: t.expiresAt,
  };
}

export function tokenRoutes(app: ApiInstance, deps: ApiDeps): void {
  const admin = requireRole('admin');
  app.get(
    '/tokens',
    {
      preHandler: admin,
      schema: {
        tags: ['tokens'],
        summary: 'Every API token (admin)',
        response: answers({ 200: ApiTokenList }),
      },
    },
    async () => ({ tokens: (await listApiTokens(deps.db)).map(tokenView), next: null }),
  );

  app.post(
    '/tokens',
    {
      preHandler: admin,
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token acting as you; the token is in this answer only (admin)',
        body: NewTokenBody,
        response: answers({ 201: CreatedApiToken }),
      },
    },
    async (request, reply) => {
      const { token, apiToken } = await issueApiToken(
        deps.db,
        request.body,
        userOf(request).id,
        nowMs(deps.clock),
      );
      await recordAction(deps.db, actorOf(request), 'token.create', {
        type: 'token',
        id: apiToken.id,
        name: apiToken.name,
        details: { expiresAt: apiToken.expiresAt },
      });
      return reply.code(201).send({ ...tokenView(apiToken), token });
    },
  );

  app.delete(
    '/tokens/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['tokens'],
        summary: 'Revoke an API token (admin)',
        params: IdParams,
        response: answers({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      const token = await findApiToken(deps.db, request.params.id);
      if (!token) throw new ApiError('not_found', `API token ${request.params.id} was not found`);
      await deleteApiToken(deps.db, token.id);
      await recordAction(deps.db, actorOf(request), 'token.delete', {
        type: 'token',
        id: token.id,
        name: token.name,
      });
      return reply.code(204).send(null);
    },
  );
}
