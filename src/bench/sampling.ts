/**
 * Latency sampling for the scale benchmark: a query is run a few times to warm up (caches, query
 * plans, JIT), then timed over many samples — cycling through several subjects, so a figure is
 * about a kind of identity, not one row — and summed up as percentiles (nearest rank).
 *
 * @example const figure = await sampleLatency({ samples: 100, warmup: 10, budgetMs: 30_000 },
 *   identities, (identity) => readInsights(identity));
 */

export interface SamplingPlan {
  /** Timed runs wanted per query. */
  readonly samples: number;
  /** Untimed runs first. */
  readonly warmup: number;
  /**
   * Stop sampling a query after this much time (at least `MIN_SAMPLES` samples are taken):
   * a 5-second report is not run 100 times.
   */
  readonly budgetMs: number;
}

/** The fewest samples a figure rests on, whatever the budget. */
export const MIN_SAMPLES = 5;

export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

/** What one run of a query answered: rows (events, members, accounts) and bytes, for the table. */
export interface Answered {
  readonly rows: number;
  readonly bytes?: number;
}

export interface Sampled extends LatencySummary {
  /** The answer of the last timed run. */
  readonly answered: Answered;
}

/**
 * Runs `query` over `subjects` (round robin): `plan.warmup` untimed runs, then timed ones until
 * `plan.samples` are taken or `plan.budgetMs` has passed (with at least `MIN_SAMPLES`).
 */
export async function sampleLatency<S>(
  plan: SamplingPlan,
  subjects: readonly S[],
  query: (subject: S) => Promise<Answered>,
  clock: () => number = () => performance.now(),
): Promise<Sampled> {
  if (subjects.length === 0) throw new RangeError('sampleLatency needs at least one subject');
  const subjectAt = (i: number): S => subjects[i % subjects.length] as S;
  for (let i = 0; i < plan.warmup; i++) await query(subjectAt(i));
  const durations: number[] = [];
  let answered: Answered = { rows: 0 };
  const started = clock();
  const wanted = Math.max(plan.samples, 1);
  while (
    durations.length < wanted &&
    (durations.length < Math.min(MIN_SAMPLES, wanted) || clock() - started < plan.budgetMs)
  ) {
    const subject = subjectAt(plan.warmup + durations.length);
    const t0 = clock();
    answered = await query(subject);
    durations.push(clock() - t0);
  }
  return { ...summarise(durations), answered };
}

/** Nearest-rank percentiles of durations in ms. */
export function summarise(durations: readonly number[]): LatencySummary {
  if (durations.length === 0) throw new RangeError('no samples to summarise');
  const sorted = [...durations].sort((a, b) => a - b);
  const rank = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
  return {
    samples: sorted.length,
    p50Ms: rank(0.5),
    p95Ms: rank(0.95),
    p99Ms: rank(0.99),
    meanMs: sorted.reduce((sum, d) => sum + d, 0) / sorted.length,
    maxMs: sorted[sorted.length - 1] ?? 0,
  };
}
