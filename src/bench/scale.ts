/**
 * `npm run bench -- --scale 1m[,10m]`: query latency on a big store, as users feel it. For each
 * size and database it builds (or reuses, with `--keep DIR`) a store through the real sync path
 * (`scale-store.ts`), opens it as the product does with its HTTP API on a loopback port
 * (`scale-context.ts`), and runs every measurement module (`measurements.ts`) on it.
 *
 * @example const results = await runScaleBench(parseScaleOptions({ scale: '300k' }, base));
 */
import { loadavg } from 'node:os';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import type { DatabaseKind } from '../store/dialect.js';
import { gitShortSha, progress } from './harness.js';
import { SCALE_MEASUREMENTS } from './measurements.js';
import { checkScaleTargets, type ScaleResults, type ScaleRun } from './report.js';
import type { SamplingPlan } from './sampling.js';
import { openScaleContext, SomeFiguresFailed, type ScaleMeasurement } from './scale-context.js';
import { openScaleStore } from './scale-store.js';
import { FULL_SCALE, parseSize, scalePlan, sizeLabel } from './scale-tenant.js';

/** Days of history in a quick run's tenant (a smoke run of seconds). */
const QUICK_DAYS = 7;
import { nowMs } from '../domain/time.js';

export interface ScaleOptions {
  /** Authentication events per store, e.g. [300_000, 1_000_000]. */
  readonly sizes: readonly number[];
  readonly databases: readonly DatabaseKind[];
  readonly postgresUrl: string;
  readonly sampling: SamplingPlan;
  /** Keep (and reuse) the built stores here. */
  readonly keepDir?: string;
  readonly profileDir?: string;
  readonly name: string;
  readonly quick: boolean;
  readonly measurements?: readonly ScaleMeasurement[];
}

export interface ScaleFlags {
  readonly scale: string;
  readonly keep?: string | undefined;
  readonly samples?: string | undefined;
  readonly warmup?: string | undefined;
  readonly budget?: string | undefined;
}

/** Reads `--scale LIST`, `--keep DIR`, `--samples N`, `--warmup N`, `--budget SECONDS`. */
export function parseScaleOptions(
  flags: ScaleFlags,
  base: {
    readonly databases: readonly DatabaseKind[];
    readonly postgresUrl: string;
    readonly name: string;
    readonly quick: boolean;
    readonly profileDir?: string;
  },
): ScaleOptions {
  const sizes = flags.scale.split(',').map(parseSize);
  if (sizes.length > 2)
    throw new RangeError(
      `--scale takes one size or two (e.g. 1m,10m), got ${String(sizes.length)}`,
    );
  const whole = (text: string | undefined, fallback: number, flag: string, min: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min)
      throw new RangeError(`--${flag} must be a whole number ≥ ${String(min)}, got "${text}"`);
    return value;
  };
  return {
    sizes,
    databases: base.databases,
    postgresUrl: base.postgresUrl,
    sampling: {
      samples: whole(flags.samples, base.quick ? 5 : 100, 'samples', 1),
      warmup: whole(flags.warmup, base.quick ? 1 : 10, 'warmup', 0),
      budgetMs: whole(flags.budget, base.quick ? 5 : 30, 'budget', 1) * 1000,
    },
    ...(flags.keep === undefined ? {} : { keepDir: resolve(flags.keep) }),
    ...(base.profileDir === undefined ? {} : { profileDir: base.profileDir }),
    name: `${base.name}-scale`,
    quick: base.quick,
  };
}

export async function runScaleBench(options: ScaleOptions): Promise<ScaleResults> {
  const loadAverage = loadavg();
  const runs: ScaleRun[] = [];
  for (const events of options.sizes) {
    const size = sizeLabel(events);
    const plan = scalePlan(events, nowMs(), options.quick ? QUICK_DAYS : FULL_SCALE.days);
    for (const database of options.databases) {
      const store = await openScaleStore({
        size,
        plan,
        database,
        postgresUrl: options.postgresUrl,
        ...(options.keepDir === undefined ? {} : { keepDir: options.keepDir }),
        ...(options.profileDir === undefined ? {} : { profileDir: options.profileDir }),
      });
      try {
        const ctx = await openScaleContext(store, {
          size,
          days: plan.days,
          sampling: options.sampling,
          quick: options.quick,
        });
        const figures = [...store.figures];
        const failures: { module: string; error: string }[] = [];
        try {
          for (const module of options.measurements ?? SCALE_MEASUREMENTS) {
            progress(`${database} ${size}: measuring ${module.name}`);
            try {
              figures.push(...(await module.measure(ctx)));
            } catch (error) {
              if (error instanceof SomeFiguresFailed) {
                figures.push(...error.figures);
                for (const f of error.failed)
                  failures.push({ module: `${module.name}: ${f.id}`, error: f.error });
              } else
                failures.push({
                  module: module.name,
                  error: error instanceof Error ? error.message : String(error),
                });
              progress(`${database} ${size}: ${module.name} failed: ${String(error)}`);
            }
          }
        } finally {
          await ctx.close();
        }
        runs.push({ size, database, plan, store: store.facts, figures, failures });
      } finally {
        await store.release();
      }
    }
  }
  const results = {
    name: options.name,
    at: new Date().toISOString(),
    git: gitShortSha(),
    node: process.version,
    cpus: cpus().length,
    loadAverage,
    quick: options.quick,
    options: {
      sizes: options.sizes.map(sizeLabel),
      databases: options.databases,
      samples: options.sampling.samples,
      warmup: options.sampling.warmup,
      budgetMs: options.sampling.budgetMs,
      keep: options.keepDir ?? null,
    },
    runs,
  };
  return { ...results, checks: checkScaleTargets(results) };
}
