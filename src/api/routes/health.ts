/** `GET /api/v1/health`: open to all, for load balancers and the first screen. */
import { answers } from '../contract/errors.js';
import { Health } from '../contract/health.js';
import { VERSION } from '../../version.js';
import type { ApiInstance } from '../deps.js';

export function healthRoutes(app: ApiInstance): void {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Whether the server is up, and its version (no sign-in needed)',
        response: answers({ 200: Health }),
      },
    },
    async () => {
      await Promise.resolve();
      return { status: 'ok' as const, version: VERSION };
    },
  );
}
