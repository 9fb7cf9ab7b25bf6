/**
 * `GET /health`: whether the server is up, and its version.
 *
 * @example { "status": "ok", "version": "0.1.0" }
 */
import { z } from 'zod';

export const Health = z.object({ status: z.literal('ok'), version: z.string() });
export type Health = z.infer<typeof Health>;
