/**
 * The process configuration, read once from the environment and validated. This is the only
 * module that reads `process.env`; everything else receives a `Config`. Errors name the
 * variable at fault and never echo a secret.
 *
 * @example const config = loadConfig(process.env, { port: 9090 });
 */
import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { caFileProblem, proxyUrlProblem } from './duo/index.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** HTTP port (`PORT`, default 8080). */
  readonly port: number;
  /** Where the SQLite file and the secret key file live (`DUO_INSIGHTS_DATA_DIR`, `./data`). */
  readonly dataDir: string;
  /** `DATABASE_URL`: `postgres://…`, `sqlite:path` or a path; default SQLite in `dataDir`. */
  readonly databaseUrl: string;
  /** `DUO_INSIGHTS_SECRET_KEY`: base64 of 32 bytes; absent = key file in `dataDir`. */
  readonly secretKey?: string;
  /** `LOG_LEVEL` (default info). */
  readonly logLevel: LogLevel;
  /** `DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS`: accept 127.0.0.1/localhost API hosts (tests). */
  readonly allowLoopbackDuoHosts: boolean;
  /**
   * `DUO_INSIGHTS_DUO_RATE_LIMIT`: `duo` (default) paces requests to Duo's published limits;
   * `off` paces nothing (the simulator with its rate limits off, benchmarks). 429s are always
   * backed off.
   */
  readonly duoRateLimit: 'duo' | 'off';
  /** `DUO_INSIGHTS_DEMO`: start with the simulator as a demo tenant. */
  readonly demo: boolean;
  /** `HOST`: the address `serve` listens on (default 127.0.0.1; 0.0.0.0 for every interface). */
  readonly host: string;
  /**
   * `DUO_INSIGHTS_ADMIN_PASSWORD`: on a start with no admin, creates the user `admin` with this
   * password (at least 12 characters). Ignored once an admin exists.
   */
  readonly adminPassword?: string;
  /**
   * `TRUST_PROXY`: which proxies in front of `serve` to believe about the client address
   * (`X-Forwarded-For`). `false` (default): none, the peer is the client. A number: that many
   * hops (1 = one TLS proxy). A list: the proxies' addresses or CIDR ranges (or `loopback`,
   * `linklocal`, `uniquelocal`).
   */
  readonly trustProxy: TrustProxy;
  /**
   * `DUO_INSIGHTS_CA_FILE`: a PEM file of CA certificates trusted for Duo besides the system
   * roots (a TLS-inspecting proxy's CA). A source's own CA file wins over it.
   */
  readonly caFile?: string;
  /**
   * `HTTPS_PROXY` (or `https_proxy`): the proxy Duo is reached through, with CONNECT
   * (`http://[user:pass@]proxy:3128`). A source's own proxy wins over it.
   */
  readonly httpsProxy?: string;
  /** `NO_PROXY` (or `no_proxy`): hosts reached without the proxy (`.example.com,10.0.0.1`). */
  readonly noProxy?: string;
  /**
   * `DUO_INSIGHTS_SCHEDULER_TICK_MS`: how often `serve`'s scheduler looks for due work
   * (default 30000 = 30 s; 10 ms to 1 h).
   */
  readonly schedulerTickMs: number;
}

/** Whom to believe about the client address; see `Config.trustProxy`. */
export type TrustProxy = false | number | readonly string[];

/** Values from the command line; they win over the environment. */
export type ConfigOverrides = Partial<Config>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const booleanText = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes' || v === 'on');

const VARIABLES = {
  port: 'PORT',
  dataDir: 'DUO_INSIGHTS_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  secretKey: 'DUO_INSIGHTS_SECRET_KEY',
  logLevel: 'LOG_LEVEL',
  allowLoopbackDuoHosts: 'DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS',
  duoRateLimit: 'DUO_INSIGHTS_DUO_RATE_LIMIT',
  demo: 'DUO_INSIGHTS_DEMO',
  host: 'HOST',
  adminPassword: 'DUO_INSIGHTS_ADMIN_PASSWORD',
  trustProxy: 'TRUST_PROXY',
  caFile: 'DUO_INSIGHTS_CA_FILE',
  httpsProxy: 'HTTPS_PROXY',
  noProxy: 'NO_PROXY',
  schedulerTickMs: 'DUO_INSIGHTS_SCHEDULER_TICK_MS',
} as const satisfies Record<keyof Config, string>;

/** Every environment variable the configuration reads (fix messages name only these). */
export const CONFIG_VARIABLES: readonly string[] = [
  ...Object.values(VARIABLES),
  'https_proxy',
  'no_proxy',
];

/** Lower-case spellings other tools read too; the lower-case one wins, as in curl. */
const ALIASES: Readonly<Record<string, string>> = {
  https_proxy: 'HTTPS_PROXY',
  no_proxy: 'NO_PROXY',
};

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535, 'must be a port number (0-65535)').default(8080),
  DUO_INSIGHTS_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .min(1)
    .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^(postgres(ql)?|sqlite):\/\//i.test(v), {
      error: 'must be postgres://…, sqlite:path or a file path',
    })
    .optional(),
  DUO_INSIGHTS_SECRET_KEY: z
    .string()
    .refine(isBase64Key, {
      error: 'must be the base64 encoding of exactly 32 random bytes (openssl rand -base64 32)',
    })
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS: booleanText.default(false),
  DUO_INSIGHTS_DEMO: booleanText.default(false),
  DUO_INSIGHTS_DUO_RATE_LIMIT: z.enum(['duo', 'off']).default('duo'),
  HOST: z.string().min(1).default('127.0.0.1'),
  DUO_INSIGHTS_ADMIN_PASSWORD: z
    .string()
    .min(12, { error: 'must be at least 12 characters' })
    .max(512)
    .optional(),
  TRUST_PROXY: z
    .string()
    .transform((text, context) => {
      const parsed = parseTrustProxy(text);
      if (typeof parsed === 'string') {
        context.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    })
    .default(false),
  DUO_INSIGHTS_CA_FILE: z
    .string()
    .superRefine((path, context) => {
      const problem = caFileProblem(path);
      if (problem !== undefined) {
        context.addIssue({
          code: 'custom',
          message: `${path} ${problem}: give the path of a PEM file with the CA certificate`,
        });
      }
    })
    .optional(),
  HTTPS_PROXY: z
    .string()
    .superRefine((url, context) => {
      const problem = proxyUrlProblem(url);
      if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  NO_PROXY: z.string().optional(),
  DUO_INSIGHTS_SCHEDULER_TICK_MS: z.coerce
    .number({ error: 'must be a whole number of milliseconds' })
    .int({ error: 'must be a whole number of milliseconds' })
    .min(10, { error: 'must be at least 10 (milliseconds)' })
    .max(3_600_000, { error: 'must be at most 3600000 (one hour, in milliseconds)' })
    .default(30_000),
});

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One entry of a `TRUST_PROXY` list: an address, a CIDR range or a named range. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * Reads `TRUST_PROXY`: off, a hop count, or a comma-separated list of proxy addresses and CIDR
 * ranges. Returns the problem as text when the value is none of these.
 *
 * @example parseTrustProxy('10.0.0.0/8, 127.0.0.1') → ['10.0.0.0/8', '127.0.0.1']
 */
export function parseTrustProxy(text: string): TrustProxy | string {
  const value = text.trim();
  if (['0', 'false', 'no', 'off'].includes(value.toLowerCase())) return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops <= 100 ? hops : 'must be a hop count up to 100';
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isProxyAddress(entry));
  if (bad.length === 0) return entries;
  return (
    `must be off, a hop count (1 = one proxy in front) or a comma-separated list of proxy ` +
    `addresses or CIDR ranges; not understood: ${bad.map((b) => JSON.stringify(b)).join(', ')}`
  );
}

/** True for the base64 text of exactly 32 bytes (what AES-256 needs). */
export function isBase64Key(text: string): boolean {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return false;
  return Buffer.from(trimmed, 'base64').length === 32;
}

/**
 * Reads and validates the configuration. Empty variables count as unset.
 * Throws `ConfigError` naming every bad variable.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: ConfigOverrides = {},
): Config {
  const picked: Record<string, string> = {};
  for (const name of Object.values(VARIABLES)) {
    const value = env[name];
    if (value !== undefined && value !== '') picked[name] = value;
  }
  for (const [alias, name] of Object.entries(ALIASES)) {
    const value = env[alias];
    if (value !== undefined && value !== '') picked[name] = value;
  }
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment');
      return `${variable} ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const dataDir = overrides.dataDir ?? e.DUO_INSIGHTS_DATA_DIR;
  const secretKey = overrides.secretKey ?? e.DUO_INSIGHTS_SECRET_KEY;
  const adminPassword = overrides.adminPassword ?? e.DUO_INSIGHTS_ADMIN_PASSWORD;
  if (overrides.secretKey !== undefined && !isBase64Key(overrides.secretKey))
    throw new ConfigError('invalid configuration: the secret key must be base64 of 32 bytes');
  const config: Config = {
    port: overrides.port ?? e.PORT,
    dataDir,
    databaseUrl:
      overrides.databaseUrl ?? e.DATABASE_URL ?? `sqlite:${join(dataDir, 'duo-insights.db')}`,
    logLevel: overrides.logLevel ?? e.LOG_LEVEL,
    allowLoopbackDuoHosts:
      overrides.allowLoopbackDuoHosts ?? e.DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS,
    demo: overrides.demo ?? e.DUO_INSIGHTS_DEMO,
    duoRateLimit: overrides.duoRateLimit ?? e.DUO_INSIGHTS_DUO_RATE_LIMIT,
    host: overrides.host ?? e.HOST,
    trustProxy: overrides.trustProxy ?? e.TRUST_PROXY,
    schedulerTickMs: overrides.schedulerTickMs ?? e.DUO_INSIGHTS_SCHEDULER_TICK_MS,
    ...(adminPassword === undefined ? {} : { adminPassword }),
    ...(secretKey === undefined ? {} : { secretKey: secretKey.trim() }),
    ...(e.DUO_INSIGHTS_CA_FILE === undefined ? {} : { caFile: e.DUO_INSIGHTS_CA_FILE }),
    ...(e.HTTPS_PROXY === undefined ? {} : { httpsProxy: e.HTTPS_PROXY }),
    ...(e.NO_PROXY === undefined ? {} : { noProxy: e.NO_PROXY }),
  };
  return config;
}

/**
 * The PostgreSQL server the store tests create their throwaway databases on
 * (`TEST_DATABASE_URL`, default the local CI server).
 */
export function testDatabaseUrl(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const value = env['TEST_DATABASE_URL'];
  return value === undefined || value === '' ? 'postgres://postgres@127.0.0.1:5432/test' : value;
}
