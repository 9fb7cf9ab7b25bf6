/**
 * The measurement modules `npm run bench -- --scale` runs on each store, in order. A module is
 * `{ name, measure(ctx) => Promise<ScaleFigure[]> }` (see `scale-context.ts`); its figures land
 * in the result file and the table, each beside its target (`SCALE_TARGETS` by id prefix, or the
 * figure's own `target`). A module that throws is reported as failed and the others still run.
 *
 * @example export const SCALE_MEASUREMENTS = [queryLatencies, exportLatency];
 */
import { queryLatencies } from './queries.js';
import type { ScaleMeasurement } from './scale-context.js';

export const SCALE_MEASUREMENTS: readonly ScaleMeasurement[] = [queryLatencies];
