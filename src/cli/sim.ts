/**
 * `duo-insights sim`: runs the Duo Admin API simulator until SIGINT/SIGTERM and prints where it
 * listens, the API host to configure (`http://127.0.0.1:P`, or `https://` under `--tls`), the
 * credentials (the secret key only when it was generated here; it is also written to a 0600 file
 * removed on stop), the CA file under `--tls`, and the `sources configure` line to paste.
 *
 * @example duo-insights sim --port 8443 --ikey DIXXXXXXXXXXXXXXXXXX --skey … --tls --rate-limit duo
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import {
  DUO_RATE_LIMITS,
  ENDPOINT_FAMILIES,
  FaultSpecSchema,
  PERMISSIONS,
  randomCredential,
  startSimulator,
  type BucketLimit,
  type EndpointFamily,
  type FaultInput,
  type Permission,
  type RateLimitConfig,
  type Simulator,
  type SimulatorOptions,
} from '../sim/server.js';

/** The flags as commander hands them over (all strings). */
export interface SimFlags {
  readonly host?: string;
  readonly port?: string;
  readonly ikey?: string;
  readonly skey?: string;
  readonly permissions?: string;
  readonly users?: string;
  readonly days?: string;
  readonly seed?: string;
  readonly authPerDay?: string;
  readonly repeatedRecords?: string;
  readonly rateLimit?: string;
  readonly speed?: string;
  readonly publishDelayMs?: string;
  readonly apiHostname?: string;
  readonly tls?: boolean;
  readonly tlsDir?: string;
  readonly faults?: string;
}

export interface SimPlan {
  readonly options: SimulatorOptions;
  readonly ikey: string;
  readonly skey: string;
  /** True when the secret key was generated here (and so must be printed). */
  readonly skeyGenerated: boolean;
}

/** Validates the flags; throws an Error whose message names the flag and what it accepts. */
export function planSimulator(flags: SimFlags): SimPlan {
  const generated = randomCredential();
  const ikey = flags.ikey ?? generated.ikey;
  const skey = flags.skey ?? generated.skey;
  if (ikey.trim() === '') throw new Error('--ikey must not be empty');
  if (skey.length < 8) throw new Error('--skey must be at least 8 characters (Duo issues 40)');
  const options: SimulatorOptions = {
    host: flags.host ?? '127.0.0.1',
    port: wholeNumber('--port', flags.port ?? '0', 0, 65_535),
    credentials: [{ ikey, skey, permissions: permissions(flags.permissions) }],
    users: wholeNumber('--users', flags.users ?? '500', 1, 10_000_000),
    days: wholeNumber('--days', flags.days ?? '7', 0, 180),
    seed: flags.seed ?? 'duo-insights',
    authEventsPerDay: wholeNumber('--auth-per-day', flags.authPerDay ?? '5000', 0, 100_000_000),
    ...(flags.repeatedRecords === undefined
      ? {}
      : { repeatedRecords: share('--repeated-records', flags.repeatedRecords) }),
    rateLimits: parseRateLimits(flags.rateLimit ?? 'duo'),
    clock: { speed: positiveNumber('--speed', flags.speed ?? '1') },
    ...(flags.publishDelayMs === undefined
      ? {}
      : { publishDelayMs: wholeNumber('--publish-delay-ms', flags.publishDelayMs, 0, 86_400_000) }),
    ...(flags.apiHostname === undefined ? {} : { apiHostname: flags.apiHostname }),
    ...(flags.faults === undefined ? {} : { faults: parseFaults(flags.faults) }),
    ...(flags.tls || flags.tlsDir !== undefined
      ? { tls: flags.tlsDir === undefined ? true : { dir: flags.tlsDir } }
      : {}),
  };
  return { options, ikey, skey, skeyGenerated: flags.skey === undefined };
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(`${flag} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

function share(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error(
      `${flag} must be a share from 0 to 1 (0.05 = one record in twenty), not "${text}"`,
    );
  }
  return value;
}

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${flag} must be a number >= 0 (1 = real time, 60 = a minute per second)`);
  }
  return value;
}

function permissions(text: string | undefined): Permission[] {
  if (text === undefined) return [...PERMISSIONS];
  const list = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const known = (p: string): p is Permission => (PERMISSIONS as readonly string[]).includes(p);
  const unknown = list.filter((p) => !known(p));
  if (unknown.length > 0 || list.length === 0) {
    throw new Error(
      `--permissions takes a comma list of ${PERMISSIONS.join(', ')}; unknown: ${unknown.join(', ') || '(none given)'}`,
    );
  }
  return list.filter(known);
}

/**
 * `off`, `duo`, or `family=perMinute/burst,…` (families not named are unlimited); put `duo` in
 * the list to start from Duo's figures: `duo,logs_authentication=10/5`.
 */
export function parseRateLimits(text: string): RateLimitConfig {
  const spec = text.trim();
  if (spec === 'off' || spec === 'duo') return spec;
  const limits: Partial<Record<EndpointFamily, BucketLimit>> = {};
  for (const item of spec.split(',').map((s) => s.trim())) {
    if (item === 'duo') {
      Object.assign(limits, DUO_RATE_LIMITS);
      continue;
    }
    const match = /^([a-z_]+)=(\d+(?:\.\d+)?)\/(\d+)$/.exec(item);
    const family = ENDPOINT_FAMILIES.find((f) => f === match?.[1]);
    if (!match || !family || Number(match[2]) <= 0 || Number(match[3]) < 1) {
      throw new Error(
        `--rate-limit takes off, duo, or family=perMinute/burst,… with families ${ENDPOINT_FAMILIES.join(', ')}; bad item "${item}"`,
      );
    }
    limits[family] = { perMinute: Number(match[2]), burst: Number(match[3]) };
  }
  return limits;
}

/** `--faults`: a JSON fault or array of faults, as `POST /_sim/faults` takes them. */
export function parseFaults(text: string): FaultInput[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(
      `--faults takes JSON, e.g. '[{"kind":"5xx","path":"/admin/v2/logs/*","probability":0.1}]'`,
    );
  }
  const list: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((item, index) => {
    const fault = FaultSpecSchema.safeParse(item);
    if (!fault.success) {
      throw new Error(
        `--faults item ${index}: ${z.prettifyError(fault.error).replace(/\n/g, ' ')}`,
      );
    }
    return fault.data;
  });
}

export interface SimIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Prints JSON (piped) instead of text (terminal). */
  readonly json: boolean;
  /** Resolves when the simulator should stop. */
  readonly stopped: Promise<unknown>;
}

/** The source name the printed `sources configure` line uses. */
export const EXAMPLE_SOURCE_NAME = 'Duo logs';

/** duo-insights accepts a loopback API host only with this variable set (or in demo mode). */
const LOOPBACK_VARIABLE = 'DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS';

/**
 * The command that points a duo-insights source at this simulator. The API host is the URL
 * (`http://127.0.0.1:P`): a bare `127.0.0.1:P` would be reached over HTTPS.
 */
export function configureLine(sim: Simulator, ikey: string, secretKeyFile: string): string {
  return [
    'duo-insights sources configure',
    shellQuote(EXAMPLE_SOURCE_NAME),
    `--api-host ${sim.url}`,
    `--ikey ${shellQuote(ikey)}`,
    `--secret-key-file ${shellQuote(secretKeyFile)}`,
    ...(sim.caFile ? [`--ca-file ${shellQuote(sim.caFile)}`] : []),
  ].join(' ');
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Starts the simulator, prints how to reach it, waits for `stopped`, closes it. */
export async function runSimulator(plan: SimPlan, io: SimIo): Promise<Simulator> {
  const sim = await startSimulator(plan.options);
  const keyDir = await mkdtemp(join(tmpdir(), 'duo-insights-sim-key-'));
  try {
    const secretKeyFile = join(keyDir, 'skey');
    await writeFile(secretKeyFile, `${plan.skey}\n`, { mode: 0o600 });
    printAccess(sim, plan, secretKeyFile, io);
    await io.stopped;
  } finally {
    await sim.close();
    await rm(keyDir, { recursive: true, force: true });
  }
  if (!io.json) io.out('simulator stopped');
  return sim;
}

function printAccess(sim: Simulator, plan: SimPlan, secretKeyFile: string, io: SimIo): void {
  const permissionsList = plan.options.credentials[0]?.permissions ?? PERMISSIONS;
  const configure = configureLine(sim, plan.ikey, secretKeyFile);
  if (plan.skeyGenerated) {
    io.err('warning: the secret key was generated and is printed below; pass --skey to choose one');
  }
  if (io.json) {
    io.out(
      JSON.stringify({
        url: sim.url,
        apiHost: sim.url,
        apiHostname: sim.host,
        ikey: plan.ikey,
        ...(plan.skeyGenerated ? { skey: plan.skey } : {}),
        secretKeyFile,
        permissions: permissionsList,
        ...(sim.caFile ? { caFile: sim.caFile } : {}),
        control: `${sim.url}/_sim/`,
        env: { [LOOPBACK_VARIABLE]: 'true' },
        configure,
      }),
    );
    return;
  }
  io.out(`Duo Admin API simulator listening on ${sim.url}`);
  io.out(`  API host:         ${sim.url}`);
  if (sim.host !== new URL(sim.url).host) io.out(`  Signed host:      ${sim.host}`);
  io.out(`  Integration key:  ${plan.ikey}`);
  if (plan.skeyGenerated) io.out(`  Secret key:       ${plan.skey}`);
  io.out(`  Secret key file:  ${secretKeyFile} (removed when the simulator stops)`);
  io.out(`  Permissions:      ${permissionsList.join(', ')}`);
  if (sim.caFile) io.out(`  CA certificate:   ${sim.caFile}`);
  io.out(`  Control API:      ${sim.url}/_sim/`);
  io.out(
    `Point a source at it (create it first: duo-insights sources create --type duo-activity --name "${EXAMPLE_SOURCE_NAME}" --owner …; ${LOOPBACK_VARIABLE} must be set for every duo-insights command that uses it, serve included):`,
  );
  io.out(`  export ${LOOPBACK_VARIABLE}=true`);
  io.out(`  ${configure}`);
  io.out('Stop with Ctrl-C.');
}

export function simCommand(): Command {
  return new Command('sim')
    .description('Run a simulator of the Duo Admin API (for demos, tests and benchmarks)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', '0')
    .option('--ikey <ikey>', 'integration key to accept (default: generated)')
    .option('--skey <skey>', 'secret key to accept (default: generated and printed)')
    .option('--permissions <list>', `comma list of ${PERMISSIONS.join(', ')} (default: all)`)
    .option('--users <n>', 'users in the tenant', '500')
    .option('--days <d>', 'days of history before now', '7')
    .option('--seed <seed>', 'seed of the deterministic tenant', 'duo-insights')
    .option('--auth-per-day <n>', 'authentication events per day', '5000')
    .option(
      '--repeated-records <share>',
      'share of administrator and offline-enrollment records logged 2 or 3 times, identical, in one second',
    )
    .option('--rate-limit <spec>', 'off | duo | family=perMinute/burst,…', 'duo')
    .option('--speed <x>', 'sim time per real time (1 = real time)', '1')
    .option('--publish-delay-ms <ms>', "delay before events are served (Duo's 120000)")
    .option('--api-hostname <host>', 'host name clients sign (default host:port)')
    .option('--tls', 'serve HTTPS with a generated CA')
    .option('--tls-dir <dir>', 'where to write ca.pem (implies --tls)')
    .option('--faults <json>', 'faults armed at start, as POST /_sim/faults takes them (JSON)')
    .action(async (flags: SimFlags, command: Command) => {
      let plan: SimPlan;
      try {
        plan = planSimulator(flags);
      } catch (error) {
        command.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      }
      const stopped = new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await runSimulator(plan, {
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
        json: !process.stdout.isTTY,
        stopped,
      });
    });
}
