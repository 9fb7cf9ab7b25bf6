import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, testDatabaseUrl } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
const CA_FILE = join(dir, 'ca.pem');
writeFileSync(CA_FILE, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('configuration', () => {
  it('starts with SQLite in ./data on port 8080 when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      dataDir: './data',
      databaseUrl: 'sqlite:data/duo-insights.db',
      logLevel: 'info',
      allowLoopbackDuoHosts: false,
      duoRateLimit: 'duo',
      demo: false,
      host: '127.0.0.1',
      trustProxy: false,
      schedulerTickMs: 30_000,
    });
  });

  it('reads every variable, and command-line values win', () => {
    const config = loadConfig(
      {
        PORT: '9000',
        DUO_INSIGHTS_DATA_DIR: '/var/lib/duo-insights',
        DATABASE_URL: 'postgres://app@db:5432/duo',
        DUO_INSIGHTS_SECRET_KEY: KEY,
        LOG_LEVEL: 'debug',
        DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS: 'true',
        DUO_INSIGHTS_DEMO: '1',
        DUO_INSIGHTS_DUO_RATE_LIMIT: 'off',
        HOST: '0.0.0.0',
        DUO_INSIGHTS_ADMIN_PASSWORD: 'first admin password',
        TRUST_PROXY: '1',
        DUO_INSIGHTS_SCHEDULER_TICK_MS: '500',
      },
      { port: 9100 },
    );
    expect(config).toEqual({
      port: 9100,
      dataDir: '/var/lib/duo-insights',
      databaseUrl: 'postgres://app@db:5432/duo',
      secretKey: KEY,
      logLevel: 'debug',
      allowLoopbackDuoHosts: true,
      duoRateLimit: 'off',
      demo: true,
      host: '0.0.0.0',
      adminPassword: 'first admin password',
      trustProxy: 1,
      schedulerTickMs: 500,
    });
    expect(loadConfig({ DUO_INSIGHTS_DATA_DIR: '/srv/di' }).databaseUrl).toBe(
      'sqlite:/srv/di/duo-insights.db',
    );
  });

  it('names each bad variable and never echoes the secret key', () => {
    const secret = 'c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0';
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DUO_INSIGHTS_SECRET_KEY: secret, LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('DUO_INSIGHTS_SECRET_KEY');
    expect(message).toContain('32 random bytes');
    expect(message).toContain('LOG_LEVEL');
    expect(message).not.toContain(secret);
  });

  it('refuses a first admin password shorter than 12 characters without echoing it', () => {
    expect(() => loadConfig({ DUO_INSIGHTS_ADMIN_PASSWORD: 'hunter2' })).toThrow(
      /DUO_INSIGHTS_ADMIN_PASSWORD must be at least 12 characters/,
    );
    expect(() => loadConfig({ DUO_INSIGHTS_ADMIN_PASSWORD: 'hunter2' })).not.toThrow(/hunter2/);
  });

  it('refuses a scheduler tick that is not a whole number of milliseconds from 10 ms to an hour', () => {
    for (const bad of ['soon', '2.5', '5', '3600001'])
      expect(() => loadConfig({ DUO_INSIGHTS_SCHEDULER_TICK_MS: bad }), bad).toThrow(
        /DUO_INSIGHTS_SCHEDULER_TICK_MS must be/,
      );
  });

  it('refuses a database URL of an unknown kind', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://db/duo' })).toThrow(/DATABASE_URL/);
    expect(loadConfig({ DATABASE_URL: './my.db' }).databaseUrl).toBe('./my.db');
    expect(loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.db' }).databaseUrl).toBe('sqlite:/tmp/x.db');
  });

  it('reads TRUST_PROXY as off, a hop count or a list of proxy addresses and CIDR ranges', () => {
    for (const off of ['0', 'false', 'off', 'no', ''])
      expect(loadConfig({ TRUST_PROXY: off }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(
      loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.20,fd00::/8,::1, loopback' }).trustProxy,
    ).toEqual(['10.0.0.0/8', '192.168.1.20', 'fd00::/8', '::1', 'loopback']);
  });

  it('refuses a TRUST_PROXY that is neither, naming the variable and the entry', () => {
    for (const bad of [
      'yes',
      'true',
      '10.0.0.0/33',
      '10.0.0.1,',
      'proxy.example.com',
      '1.5',
      '500',
    ])
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY must be/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.1, 300.1.1.1' })).toThrow(
      /not understood: "300\.1\.1\.1"/,
    );
  });

  it('reads the CA file, the HTTPS proxy and the hosts that skip it', () => {
    const config = loadConfig({
      DUO_INSIGHTS_CA_FILE: CA_FILE,
      HTTPS_PROXY: 'http://proxy.example.com:3128',
      NO_PROXY: 'localhost,.internal.example.com',
    });
    expect(config).toMatchObject({
      caFile: CA_FILE,
      httpsProxy: 'http://proxy.example.com:3128',
      noProxy: 'localhost,.internal.example.com',
    });
  });

  it('honours https_proxy and no_proxy, the lower-case spellings winning as in curl', () => {
    const config = loadConfig({
      HTTPS_PROXY: 'http://upper.example.com:3128',
      https_proxy: 'http://lower.example.com:8080',
      no_proxy: '10.0.0.1',
    });
    expect(config.httpsProxy).toBe('http://lower.example.com:8080');
    expect(config.noProxy).toBe('10.0.0.1');
  });

  it('refuses a CA file that is missing or holds no certificate, naming the variable', () => {
    const missing = join(dir, 'no-such.pem');
    expect(() => loadConfig({ DUO_INSIGHTS_CA_FILE: missing })).toThrow(ConfigError);
    expect(() => loadConfig({ DUO_INSIGHTS_CA_FILE: missing })).toThrow(
      `DUO_INSIGHTS_CA_FILE ${missing} cannot be read (ENOENT)`,
    );
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(() => loadConfig({ DUO_INSIGHTS_CA_FILE: notPem })).toThrow(
      /DUO_INSIGHTS_CA_FILE .*holds no PEM certificate/,
    );
  });

  it('refuses a proxy that is not an http(s) URL without echoing its password', () => {
    expect(() => loadConfig({ HTTPS_PROXY: 'socks5://u:pa55word@proxy:1080' })).toThrow(
      /HTTPS_PROXY must start with http:\/\/ or https:\/\//,
    );
    expect(() => loadConfig({ HTTPS_PROXY: 'socks5://u:pa55word@proxy:1080' })).not.toThrow(
      /pa55word/,
    );
    expect(() => loadConfig({ https_proxy: 'proxy:3128/x' })).toThrow(/HTTPS_PROXY/);
  });

  it('points store tests at the local PostgreSQL unless told otherwise', () => {
    expect(testDatabaseUrl({})).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(testDatabaseUrl({ TEST_DATABASE_URL: 'postgres://ci@pg/test' })).toBe(
      'postgres://ci@pg/test',
    );
  });
});
