/**
 * Every fix the Duo client gives names only settings that exist: environment variables the
 * configuration reads, flags the CLI takes, and source settings the API accepts.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { identitiesCommand } from '../src/cli/identities.js';
import { migrateCommand } from '../src/cli/migrate.js';
import { aggregateCommand, runsCommand, syncCommand } from '../src/cli/runs.js';
import { sourcesCommand, testConnectionCommand } from '../src/cli/sources.js';
import { serveCommand } from '../src/cli/serve.js';
import { simCommand } from '../src/cli/sim.js';
import { tokenCommand, userCommand } from '../src/cli/users.js';
import { CONFIG_VARIABLES } from '../src/config.js';
import { badResponse, errorFromHttp, networkError } from '../src/duo/errors.js';
import { createDuoClient, DuoError } from '../src/duo/index.js';
import { SourceSettingsInput } from '../src/sync/sources.js';

function everyFix(): string[] {
  const http = [
    { httpStatus: 401, duoCode: 40101 },
    { httpStatus: 401, duoCode: 40102 },
    { httpStatus: 401, duoCode: 40103 },
    { httpStatus: 401, duoCode: 40103, clockSkewSeconds: 600 },
    { httpStatus: 403 },
    { httpStatus: 404 },
    { httpStatus: 400 },
    { httpStatus: 429 },
    { httpStatus: 503 },
    { httpStatus: 418 },
  ].map((failure) => errorFromHttp({ path: '/admin/v2/logs/authentication', ...failure }).fix);
  const network = [
    'ENOTFOUND',
    'ECONNREFUSED',
    'UND_ERR_CONNECT_TIMEOUT',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'ECONNRESET',
    'EWHATEVER',
  ].map((code) => {
    const error = Object.assign(new Error(code), { code });
    return networkError(
      { path: '/admin/v1/info/summary', host: 'api-1.duosecurity.com' },
      error,
      (t) => t,
    ).fix;
  });
  let caFile = '';
  try {
    createDuoClient({
      apiHost: 'api-1.duosecurity.com',
      ikey: 'DIXXXXXXXXXXXXXXXXXX',
      skey: 's'.repeat(40),
      caFile: '/no/such/ca.pem',
    });
  } catch (error) {
    if (error instanceof DuoError) caFile = error.fix;
  }
  expect(caFile).not.toBe('');
  return [...http, ...network, badResponse('/admin/v1/users', 'cut').fix, caFile];
}

function cliFlags(): Set<string> {
  const flags = new Set<string>();
  const walk = (command: Command): void => {
    for (const option of command.options) if (option.long) flags.add(option.long);
    for (const sub of command.commands) walk(sub);
  };
  for (const make of [
    migrateCommand,
    identitiesCommand,
    sourcesCommand,
    testConnectionCommand,
    aggregateCommand,
    syncCommand,
    runsCommand,
    simCommand,
    serveCommand,
    userCommand,
    tokenCommand,
  ]) {
    walk(make());
  }
  return flags;
}

describe('the fixes the Duo client gives', () => {
  const fixes = everyFix();

  it('name only environment variables the configuration reads', () => {
    const named = fixes.flatMap((fix) => fix.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? []);
    expect(named.length).toBeGreaterThan(0);
    for (const variable of named) expect(CONFIG_VARIABLES).toContain(variable);
  });

  it('name only flags the CLI takes', () => {
    const flags = cliFlags();
    const named = fixes.flatMap((fix) => fix.match(/--[a-z][a-z-]+/g) ?? []);
    expect(named).toContain('--ca-file');
    for (const flag of named) expect(flags).toContain(flag);
  });

  it('name only source settings the API accepts', () => {
    const settings = Object.keys(SourceSettingsInput.shape);
    const named = fixes.flatMap((fix) =>
      [...fix.matchAll(/\(([a-z]+[A-Z][A-Za-z]*)\b/g)].map((m) => m[1] ?? ''),
    );
    for (const setting of named) expect(settings).toContain(setting);
  });

  it('tell a user behind a TLS-inspecting proxy to set DUO_INSIGHTS_CA_FILE', () => {
    const tls = fixes.find((fix) => fix.startsWith('The server certificate is not trusted')) ?? '';
    expect(tls).toMatch(/DUO_INSIGHTS_CA_FILE/);
    expect(tls).toMatch(/sources configure --ca-file/);
  });

  it('promise no setting that does not exist (timeouts, turning a stream off, resetting a cursor)', () => {
    for (const fix of fixes) {
      expect(fix).not.toMatch(/timeouts can be raised|turn this stream off|reset the stream/i);
    }
  });
});
