/**
 * How every command prints: a readable text form on a terminal, JSON when piped (or with
 * `--json`), errors on stderr with an exit code (1 failure, 2 bad input).
 *
 * @example emit(sources, (list) => table(list, ['name', 'type', 'state']));
 */
import { readFile } from 'node:fs/promises';
import { ZodError } from 'zod';
import { ConfigError } from '../config.js';
import {
  ConflictError,
  ForbiddenError,
  MissingReferenceError,
  NotFoundError,
  SecretKeyError,
} from '../domain/errors.js';
import { DuoError } from '../duo/index.js';
import { describeDatabaseFailure } from '../store/failures.js';
import { SourceBusyError, SourceNotReadyError } from '../sync/context.js';
import { ApiHostError } from '../sync/duo-connections.js';
import { InputError } from '../sync/sources.js';

/**
 * A failure a person can fix, worded as one line with the fix; exit code 2 for bad input (a
 * flag), 1 otherwise.
 *
 * @example throw new CommandError('--port 80 needs privileges: choose a port above 1023', 2);
 */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/**
 * The text of the file a flag names, or of standard input for `-`; a file that cannot be read
 * is a CommandError naming the flag, the path and what to give instead.
 *
 * @example const skey = await readFlagFile('--secret-key-file', path, 'the Duo secret key');
 */
export async function readFlagFile(flag: string, path: string, holds: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : typeof code === 'string'
              ? code
              : 'unreadable';
    throw new CommandError(
      `${flag} ${path} cannot be read (${why}): give the file that holds ${holds}, or - to read it from standard input`,
      2,
    );
  }
}

export interface OutputOptions {
  readonly json?: boolean;
}

export function wantsJson(options: OutputOptions = {}): boolean {
  return options.json === true || !process.stdout.isTTY;
}

export function emit<T>(value: T, text: (value: T) => string, options: OutputOptions = {}): void {
  process.stdout.write(
    wantsJson(options) ? `${JSON.stringify(value, null, 2)}\n` : `${text(value)}\n`,
  );
}

/** A plain text table: one row per item, the named columns, widths fitted to the content. */
export function table<T extends object>(
  rows: readonly T[],
  columns: readonly (keyof T & string)[],
): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => display(row[c])));
  const widths = columns.map((c, i) =>
    Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)),
  );
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** `key: value` lines for one object. */
export function fields(value: Readonly<Record<string, unknown>>): string {
  const width = Math.max(...Object.keys(value).map((k) => k.length));
  return Object.entries(value)
    .map(([k, v]) => `${k.padEnd(width)}  ${display(v)}`)
    .join('\n');
}

export function display(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function formatTime(msValue: number | null | undefined): string {
  return msValue === null || msValue === undefined ? '-' : new Date(msValue).toISOString();
}

/** Prints an error for a person (never a stack for expected failures) and sets the exit code. */
export function reportError(error: unknown): void {
  const { message, code } = describeError(error);
  process.stderr.write(`duo-insights: ${message}\n`);
  process.exitCode = code;
}

function describeError(error: unknown): { message: string; code: number } {
  if (
    error instanceof InputError ||
    error instanceof MissingReferenceError ||
    error instanceof ConfigError ||
    error instanceof ApiHostError
  ) {
    return { message: error.message, code: 2 };
  }
  if (error instanceof CommandError) return { message: error.message, code: error.exitCode };
  if (error instanceof ZodError) return { message: error.message, code: 2 };
  if (error instanceof DuoError) return { message: `${error.message} ${error.fix}`, code: 1 };
  const database = describeDatabaseFailure(error);
  if (database !== undefined) return { message: database, code: 1 };
  if (
    error instanceof NotFoundError ||
    error instanceof ConflictError ||
    error instanceof ForbiddenError ||
    error instanceof SecretKeyError ||
    error instanceof SourceBusyError ||
    error instanceof SourceNotReadyError ||
    error instanceof RangeError
  ) {
    return { message: error.message, code: 1 };
  }
  if (error instanceof Error)
    return { message: `unexpected error: ${error.stack ?? error.message}`, code: 1 };
  return { message: `unexpected error: ${String(error)}`, code: 1 };
}
