/**
 * The built-in demo: whether the Duo simulator runs in this process, and what starting it made.
 *
 * @example { "running": true, "apiHost": "http://127.0.0.1:41234", "sources": [ … ] }
 */
import { z } from 'zod';
import { Source } from './sources.js';

export const DemoStatus = z.object({ running: z.boolean() });
export type DemoStatus = z.infer<typeof DemoStatus>;

/** The answer of starting the demo: the simulator's address and both sources made against it. */
export const DemoStarted = DemoStatus.extend({
  apiHost: z.string().nullable(),
  sources: z.array(Source),
});
export type DemoStarted = z.infer<typeof DemoStarted>;
