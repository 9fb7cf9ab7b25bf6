/** `GET /api/v1/health`: open to all, for load balancers and the first screen. */
import { z } from 'zod';
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
        response: { 200: z.object({ status: z.literal('ok'), version: z.string() }) },
      },
    },
    async () => {
      await Promise.resolve();
      return { status: 'ok' as const, version: VERSION };
    },
  );
}
