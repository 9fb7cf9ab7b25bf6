/** `POST /api/v1/demo` (admin): starts the built-in simulator and both sources against it. */
import { actorOf, requireRole } from '../auth.js';
import { recordAction } from '../../core/actor.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { DemoStarted, DemoStatus } from '../contract/demo.js';
import { answers } from '../contract/errors.js';
import { NoBody } from '../schemas.js';
import { sourceView } from '../views.js';

export function demoRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/demo',
    {
      schema: {
        tags: ['demo'],
        summary: 'Whether the demo tenant runs in this process',
        response: answers({ 200: DemoStatus }),
      },
    },
    async () => {
      await Promise.resolve();
      return { running: deps.demo.running };
    },
  );

  app.post(
    '/demo',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['demo'],
        summary:
          'Start the built-in Duo simulator and create both sources against it (configured, tested); data appears within a minute (admin)',
        body: NoBody,
        response: answers({ 201: DemoStarted }),
      },
    },
    async (request, reply) => {
      const status = await deps.demo.start();
      await recordAction(deps.db, actorOf(request), 'demo.start', {
        type: 'demo',
        details: { sources: status.sources.map((s) => s.name) },
      });
      return reply.code(201).send({ ...status, sources: status.sources.map(sourceView) });
    },
  );
}
