/**
 * A source's configuration: set the integration key, the secret key (write-only: no answer ever
 * carries it) and the API host, then test the connection with one cheap Duo call. Both go through
 * the use cases of `core/sources.ts`, which authorise and audit.
 *
 * @example curl -X POST /api/v1/sources/src_1/test-connection -d '{}'
 */
import { CredentialsInput } from '../../sync/sources.js';
import { configureSource, connectionTestWait, testConnection } from '../../core/sources.js';
import { actorOf } from '../auth.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import { ConnectionTest, ConnectionTestWait, Source as SourceAnswer } from '../contract/sources.js';
import { IdParams, NoBody } from '../schemas.js';
import { sourceView } from '../views.js';

export function configurationRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.put(
    '/sources/:id/configuration',
    {
      schema: {
        tags: ['sources'],
        summary: 'Set the integration key, secret key (write-only) and API host',
        params: IdParams,
        body: CredentialsInput,
        response: answers({ 200: SourceAnswer }),
      },
    },
    async (request) => {
      const configured = await configureSource(deps, actorOf(request), {
        sourceId: request.params.id,
        credentials: request.body,
      });
      return sourceView(configured);
    },
  );

  app.get(
    '/sources/:id/test-connection',
    {
      schema: {
        tags: ['sources'],
        summary: "How long a Test Connection started now would wait for Duo's rate limit",
        params: IdParams,
        response: answers({ 200: ConnectionTestWait }),
      },
    },
    async (request) => ({
      waitSeconds: await connectionTestWait(deps, actorOf(request), {
        sourceId: request.params.id,
      }),
    }),
  );

  app.post(
    '/sources/:id/test-connection',
    {
      schema: {
        tags: ['sources'],
        summary: 'Test the credentials with one cheap Duo call: a verdict, the cause and the fix',
        params: IdParams,
        body: NoBody,
        response: answers({ 200: ConnectionTest }),
      },
    },
    async (request) => {
      const result = await testConnection(deps, actorOf(request), { sourceId: request.params.id });
      return {
        ok: result.ok,
        ...(result.code === undefined ? {} : { code: result.code }),
        message: result.message,
        at: result.at,
        details: result.details ?? {},
        ...(result.writeGranted === undefined ? {} : { writeGranted: result.writeGranted }),
      };
    },
  );
}
