/** API tokens (admins): list, create (the token is shown once), revoke. */
import { z } from 'zod';
import { deleteApiToken, findApiToken, listApiTokens } from '../../store/api-tokens.js';
import { issueApiToken } from '../../sync/users.js';
import { requireRole, userOf } from '../auth.js';
import { audit, type ApiDeps, type ApiInstance } from '../deps.js';
import { ApiError } from '../errors.js';
import { IdParams } from '../schemas.js';

const NewTokenBody = z.object({ name: z.string().max(100) }).strict();

export function tokenRoutes(app: ApiInstance, deps: ApiDeps): void {
  const admin = requireRole('admin');
  app.get(
    '/tokens',
    { preHandler: admin, schema: { tags: ['tokens'], summary: 'Every API token (admin)' } },
    async () => ({ tokens: await listApiTokens(deps.db) }),
  );

  app.post(
    '/tokens',
    {
      preHandler: admin,
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token acting as you; the token is in this answer only (admin)',
        body: NewTokenBody,
      },
    },
    async (request, reply) => {
      const { token, apiToken } = await issueApiToken(deps.db, request.body, userOf(request).id);
      await audit(deps, request, 'token.create', {
        type: 'token',
        id: apiToken.id,
        name: apiToken.name,
      });
      return reply.code(201).send({ token, apiToken });
    },
  );

  app.delete(
    '/tokens/:id',
    {
      preHandler: admin,
      schema: { tags: ['tokens'], summary: 'Revoke an API token (admin)', params: IdParams },
    },
    async (request, reply) => {
      const token = await findApiToken(deps.db, request.params.id);
      if (!token) throw new ApiError('not_found', `API token ${request.params.id} was not found`);
      await deleteApiToken(deps.db, token.id);
      await audit(deps, request, 'token.delete', { type: 'token', id: token.id, name: token.name });
      return reply.code(204).send();
    },
  );
}
