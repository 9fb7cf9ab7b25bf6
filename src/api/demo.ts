/**
 * The demo tenant: the built-in Duo simulator, in this process, with rate limits off, and both
 * sources created, configured and tested against it, so a newcomer sees data within a minute
 * (`npm start -- --demo`, or `POST /api/v1/demo` from the empty state). The activity source then
 * syncs through the scheduler; the Duo source is aggregated at once.
 *
 * @example const demo = new Demo(ctx, runs, scheduler); await demo.start('admin'); … await demo.close();
 */
import type { Source } from '../domain/sources.js';
import { DAY_MS } from '../domain/time.js';
import { createIdentity, findIdentitiesByEmail } from '../store/identities.js';
import { findSourceByName, getSource } from '../store/sources.js';
import { randomCredential, startSimulator, type Simulator } from '../sim/server.js';
import type { SyncContext } from '../sync/context.js';
import {
  configureSourceCredentials,
  createSourceFromInput,
  testSourceConnection,
} from '../sync/sources.js';
import type { Runner } from '../sync/runner.js';
import { ApiError } from './errors.js';

export const DEMO_SOURCE_NAMES = {
  duo: 'Demo – Duo',
  activity: 'Demo – Activity Insights',
} as const;

export interface DemoOptions {
  /** Users in the simulated tenant (default 200). */
  readonly users?: number;
  /** Days of history (default 14). */
  readonly days?: number;
  readonly authEventsPerDay?: number;
}

export interface DemoStatus {
  readonly running: boolean;
  readonly apiHost: string | null;
  readonly sources: readonly Source[];
}

export class Demo {
  readonly #ctx: SyncContext;
  readonly #runs: Runner;
  readonly #scheduler: { poke(): void } | undefined;
  readonly #options: DemoOptions;
  #simulator: Simulator | undefined;
  #starting: Promise<DemoStatus> | undefined;

  constructor(
    ctx: SyncContext,
    runs: Runner,
    scheduler: { poke(): void } | undefined,
    options: DemoOptions = {},
  ) {
    this.#ctx = ctx;
    this.#runs = runs;
    this.#scheduler = scheduler;
    this.#options = options;
  }

  get running(): boolean {
    return this.#simulator !== undefined;
  }

  /** Starts the simulator and creates both sources; a second call says the demo runs. */
  async start(): Promise<DemoStatus> {
    if (this.#simulator || this.#starting)
      throw new ApiError('conflict', 'the demo is already running');
    this.#starting = this.#start();
    try {
      return await this.#starting;
    } finally {
      this.#starting = undefined;
    }
  }

  async #start(): Promise<DemoStatus> {
    const credential = randomCredential();
    const days = this.#options.days ?? 14;
    const simulator = await startSimulator({
      credentials: [credential],
      seed: 'duo-insights-demo',
      users: this.#options.users ?? 200,
      days,
      authEventsPerDay: this.#options.authEventsPerDay ?? 2000,
      rateLimits: 'off',
      publishDelayMs: 0,
    });
    this.#simulator = simulator;
    this.#ctx.duo.trustHost(simulator.url);
    try {
      const owner =
        (await findIdentitiesByEmail(this.#ctx.db, 'demo.owner@example.com'))[0] ??
        (await createIdentity(this.#ctx.db, {
          displayName: 'Demo Owner',
          email: 'demo.owner@example.com',
          username: 'demo.owner',
        }));
      const sources: Source[] = [];
      for (const [type, name] of [
        ['duo', DEMO_SOURCE_NAMES.duo],
        ['duo-activity', DEMO_SOURCE_NAMES.activity],
      ] as const) {
        const existing = await findSourceByName(this.#ctx.db, name);
        const source =
          existing ??
          (await createSourceFromInput(this.#ctx, {
            type,
            name,
            description: 'Created by the demo: a simulated Duo tenant running inside duo-insights.',
            ownerIdentityId: owner.id,
            settings: { backfillDays: Math.max(1, Math.min(180, days)) },
          }));
        await configureSourceCredentials(
          this.#ctx,
          source.id,
          { apiHost: simulator.url, integrationKey: credential.ikey, secretKey: credential.skey },
          true,
        );
        const verdict = await testSourceConnection(this.#ctx, source.id);
        if (!verdict.ok)
          throw new Error(`the demo's ${type} source failed its test: ${verdict.message}`);
        sources.push(await getSource(this.#ctx.db, source.id));
      }
      const duo = sources[0];
      if (duo) await this.#runs.start(duo, 'aggregation', { trigger: 'manual' });
      this.#scheduler?.poke();
      this.#ctx.log.info(
        { apiHost: simulator.host, windowDays: days, sinceMs: simulator.now() - days * DAY_MS },
        'demo started: a simulated Duo tenant and both sources',
      );
      return { running: true, apiHost: simulator.url, sources };
    } catch (error) {
      this.#simulator = undefined;
      await simulator.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    const simulator = this.#simulator;
    this.#simulator = undefined;
    await simulator?.close();
  }
}
