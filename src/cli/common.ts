/**
 * What every command shares: opening the app for one command (`withApp`), naming a source or an
 * identity the way a person does (id, name, email or username), the whole-number flag parser and
 * the `--json` option.
 *
 * @example .option('--limit <n>', 'at most this many', positiveInt('--limit', 1, 1000), 20)
 */
import { InvalidArgumentError, Option } from 'commander';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import type { Identity } from '../domain/identities.js';
import type { Source } from '../domain/sources.js';
import { NotFoundError } from '../domain/errors.js';
import {
  findIdentity,
  findIdentitiesByEmail,
  findIdentitiesByUsername,
} from '../store/identities.js';
import { findSource, findSourceByName } from '../store/sources.js';
import { InputError } from '../sync/sources.js';
import { reportError } from './output.js';

/** Opens the app, runs one command's work, reports its error for a person, closes the app. */
export async function withApp(work: (app: App) => Promise<void>): Promise<void> {
  let app: App | undefined;
  try {
    app = await openApp(loadConfig(process.env));
    await work(app);
  } catch (error) {
    reportError(error);
  } finally {
    await app?.close();
  }
}

/** A source named by id or by name. */
export async function resolveSource(app: App, ref: string): Promise<Source> {
  const found = (await findSource(app.db, ref)) ?? (await findSourceByName(app.db, ref));
  if (!found) throw new NotFoundError('source', ref);
  return found;
}

/** An identity named by id, email or username (exactly one must match). */
export async function resolveIdentity(app: App, ref: string): Promise<Identity> {
  const byId = await findIdentity(app.db, ref);
  if (byId) return byId;
  const matches = [
    ...(await findIdentitiesByEmail(app.db, ref)),
    ...(await findIdentitiesByUsername(app.db, ref)),
  ];
  const unique = [...new Map(matches.map((i) => [i.id, i])).values()];
  if (unique.length === 1 && unique[0]) return unique[0];
  if (unique.length > 1) {
    throw new InputError(
      `"${ref}" matches ${unique.length} identities; give the identity id instead`,
    );
  }
  throw new NotFoundError('identity', ref);
}

/** A commander parser for a whole-number flag from `min` to `max`, naming the flag when it is not. */
export function positiveInt(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** `--json`: print JSON even on a terminal (text on a terminal, JSON when piped, otherwise). */
export function jsonOption(): Option {
  return new Option('--json', 'print JSON even on a terminal');
}
