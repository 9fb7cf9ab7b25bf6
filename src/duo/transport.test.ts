import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { inspect } from 'node:util';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { USER_AGENT } from '../version.js';
import { createDuoClient } from './client.js';
import type { DuoClientConfig } from './client.js';
import { DuoError } from './errors.js';
import { ok, startFakeDuo } from './fake-duo.js';
import type { FakeDuoScript, ReceivedRequest } from './fake-duo.js';
import { canonicalParams, parseAuthorization, verifySignature } from './signing.js';
import { bypassesProxy, parseApiHost, proxyUrlProblem } from './transport.js';
import { ms } from '../domain/time.js';

const IKEY = 'DIWJ8X6AEYOR5OMC6TQ1';
const SKEY = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';
const FAST = {
  rateLimits: 'off',
  backoff: {
    rateLimit: { initialMs: 5, maxDelayMs: 20, maxTotalWaitMs: 100 },
    transient: { retries: 2, initialMs: 5, maxDelayMs: 10 },
  },
} as const;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function clientFor(config: Partial<DuoClientConfig> & { apiHost: string }, clock?: () => number) {
  const client = createDuoClient(
    { ikey: IKEY, skey: SKEY, ...FAST, ...config },
    clock ? { clock } : {},
  );
  cleanups.push(() => client.close());
  return client;
}

async function fakeDuo(script: FakeDuoScript, tls?: { key: string; cert: string }) {
  const duo = await startFakeDuo(script, tls ? { tls } : {});
  cleanups.push(() => duo.close());
  return duo;
}

async function failureOf(promise: Promise<unknown>): Promise<DuoError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DuoError)) throw new Error(`expected a DuoError, got ${String(error)}`);
  return error;
}

function expectNoSecrets(error: unknown, ...secrets: string[]): void {
  const text = [inspect(error, { depth: null }), JSON.stringify(error)].join('\n');
  for (const secret of [SKEY, ...secrets]) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
}

function verified(request: ReceivedRequest): string | undefined {
  const auth = parseAuthorization(
    typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined,
  );
  if (!auth || auth.ikey !== IKEY) return undefined;
  return verifySignature(
    {
      ikey: IKEY,
      skey: SKEY,
      date: String(request.headers.date),
      method: request.method,
      host: String(request.headers.host),
      path: request.path,
      params: request.params,
    },
    auth.signature,
  );
}

async function selfSignedFor127(): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

describe('parseApiHost', () => {
  it('takes the bare Duo hostname users copy from the Admin Panel, over HTTPS', () => {
    expect(parseApiHost('api-1234abcd.duosecurity.com')).toEqual({
      origin: 'https://api-1234abcd.duosecurity.com',
      host: 'api-1234abcd.duosecurity.com',
    });
    expect(parseApiHost(' API-1234ABCD.duosecurity.com ').host).toBe(
      'api-1234abcd.duosecurity.com',
    );
  });

  it('accepts the simulator on loopback, over http or https, and signs host:port', () => {
    expect(parseApiHost('http://127.0.0.1:8080')).toEqual({
      origin: 'http://127.0.0.1:8080',
      host: '127.0.0.1:8080',
    });
    expect(parseApiHost('https://127.0.0.1:8443/').host).toBe('127.0.0.1:8443');
    expect(parseApiHost('http://localhost:9000').host).toBe('localhost:9000');
  });

  it('refuses plain http to anything but loopback, and URLs with a path or credentials', () => {
    expect(() => parseApiHost('http://api-1234abcd.duosecurity.com')).toThrow(
      /only allowed for a loopback/,
    );
    expect(() => parseApiHost('https://api-1.duosecurity.com/admin/v1')).toThrow(/bare host name/);
    expect(() => parseApiHost('https://u:p@api-1.duosecurity.com')).toThrow(/bare host name/);
    expect(() => parseApiHost('ftp://api-1.duosecurity.com')).toThrow(/https/);
    expect(() => parseApiHost('')).toThrow(/empty/);
  });

  it('refuses to build a client without keys', () => {
    expect(() =>
      createDuoClient({ apiHost: 'api-1.duosecurity.com', ikey: IKEY, skey: '' }),
    ).toThrow(DuoError);
  });
});

describe('NO_PROXY', () => {
  const duo = parseApiHost('api-1234abcd.duosecurity.com');
  const sim = parseApiHost('http://127.0.0.1:8443');

  it('skips the proxy for a host, its subdomains, a leading dot or *., and *', () => {
    expect(bypassesProxy(duo, undefined)).toBe(false);
    expect(bypassesProxy(duo, '')).toBe(false);
    expect(bypassesProxy(duo, 'duosecurity.com')).toBe(true);
    expect(bypassesProxy(duo, '.duosecurity.com')).toBe(true);
    expect(bypassesProxy(duo, '*.duosecurity.com')).toBe(true);
    expect(bypassesProxy(duo, 'localhost, API-1234ABCD.duosecurity.com')).toBe(true);
    expect(bypassesProxy(duo, '*')).toBe(true);
    expect(bypassesProxy(duo, 'security.com,example.com')).toBe(false);
  });

  it('matches a port only when the entry names one', () => {
    expect(bypassesProxy(sim, '127.0.0.1')).toBe(true);
    expect(bypassesProxy(sim, '127.0.0.1:8443')).toBe(true);
    expect(bypassesProxy(sim, '127.0.0.1:9000')).toBe(false);
    expect(bypassesProxy(duo, 'api-1234abcd.duosecurity.com:443')).toBe(true);
  });

  it('explains a proxy URL that cannot be used, without quoting it', () => {
    expect(proxyUrlProblem('http://proxy.example.com:3128')).toBeUndefined();
    expect(proxyUrlProblem('proxy.example.com')).toMatch(/is not a URL/);
    expect(proxyUrlProblem('socks5://proxy:1080')).toMatch(/must start with http/);
    expect(proxyUrlProblem('http://u:secret@proxy/path')).toMatch(/without a path/);
    expect(proxyUrlProblem('http://u:secret@proxy/path')).not.toContain('secret');
  });
});

describe('what goes on the wire', () => {
  it('sends a v5 signature over the Host header and the exact query string, with our User-Agent', async () => {
    const duo = await fakeDuo(() => ok({ authlogs: [], metadata: {} }));
    const client = clientFor({ apiHost: duo.url });
    for await (const page of client.authLogs({
      mintime: ms(1_532_951_895_000),
      maxtime: ms(1_532_952_000_000),
      nextOffset: '1532951895000,af0ba235-0b33-23c8-bc23-a31aa0231de8',
    })) {
      expect(page.records).toEqual([]);
    }
    const [request] = duo.requests;
    if (!request) throw new Error('no request');
    expect(request.query).toBe(
      'limit=1000&maxtime=1532952000000&mintime=1532951895000&next_offset=1532951895000%2Caf0ba235-0b33-23c8-bc23-a31aa0231de8&sort=ts%3Aasc',
    );
    expect(request.query).toBe(canonicalParams(request.params));
    expect(verified(request)).toBe('v5');
    expect(request.headers['user-agent']).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^duo-insights\/\d+\.\d+\.\d+/);
  });

  it('signs with v2 when configured', async () => {
    const duo = await fakeDuo(() => ok({ user_count: 1 }));
    await clientFor({ apiHost: duo.url, signatureVersion: 2 }).infoSummary();
    expect(verified(duo.requests[0] as ReceivedRequest)).toBe('v2-sha512');
  });

  it('signs every attempt afresh with a new Date', async () => {
    const duo = await fakeDuo((_request, index) =>
      index < 2 ? { status: 502, body: 'Bad Gateway' } : ok({ user_count: 1 }),
    );
    let now = Date.UTC(2024, 0, 1);
    const client = clientFor({ apiHost: duo.url }, () => (now += 1_000));
    await client.infoSummary();
    const dates = duo.requests.map((request) => request.headers.date);
    expect(new Set(dates).size).toBe(3);
    expect(duo.requests.map(verified)).toEqual(['v5', 'v5', 'v5']);
  });

  it('reuses one kept-alive connection for consecutive requests', async () => {
    const duo = await fakeDuo(() => ok({ user_count: 1 }));
    const client = clientFor({ apiHost: duo.url });
    await client.infoSummary();
    await client.infoSummary();
    expect(duo.requests.map((request) => request.headers.connection)).not.toContain('close');
  });
});

describe('network failures, for real', () => {
  it('says the connection was refused when nothing listens on the port, after retrying', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    const error = await failureOf(clientFor({ apiHost: `http://127.0.0.1:${port}` }).infoSummary());
    expect(error.kind).toBe('network');
    expect(error.networkReason).toBe('refused');
    expect(error.attempts).toBe(3);
    expect(error.message).toContain('connection was refused');
    expectNoSecrets(error);
  });

  it('says the host name does not resolve for an unknown host', async () => {
    const error = await failureOf(
      clientFor({ apiHost: 'api-duo-insights-test.invalid' }).infoSummary(),
    );
    expect(error.kind).toBe('network');
    expect(error.networkReason).toBe('dns');
    expect(error.fix).toMatch(/API hostname/);
    expectNoSecrets(error);
  });

  it('times out against a server that never answers', async () => {
    const duo = await fakeDuo(() => ({ action: 'hang' }));
    const client = clientFor({ apiHost: duo.url, timeouts: { readMs: 200 } });
    const error = await failureOf(client.infoSummary());
    expect(error.networkReason).toBe('timeout');
    expect(duo.requests).toHaveLength(3);
    expectNoSecrets(error);
  });

  it('says the connection was reset when the server drops it', async () => {
    const duo = await fakeDuo(() => ({ action: 'reset' }));
    const error = await failureOf(clientFor({ apiHost: duo.url }).infoSummary());
    expect(error.kind).toBe('network');
    expect(error.networkReason).toBe('reset');
    expectNoSecrets(error);
  });

  it('refuses an untrusted self-signed certificate, at once, and trusts it when given as CA', async () => {
    const tls = await selfSignedFor127();
    const duo = await fakeDuo(() => ok({ user_count: 7 }), tls);
    const error = await failureOf(clientFor({ apiHost: duo.url }).infoSummary());
    expect(error.kind).toBe('network');
    expect(error.networkReason).toBe('tls');
    expect(error.attempts).toBe(1);
    expect(error.fix).toMatch(/CA certificate/);
    expectNoSecrets(error);
    expect(await clientFor({ apiHost: duo.url, ca: tls.cert }).infoSummary()).toEqual({
      user_count: 7,
    });
  });

  it('stops at once when the caller aborts, with the caller’s reason', async () => {
    const duo = await fakeDuo(() => ({ action: 'hang' }));
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort(new Error('sync cancelled'));
    }, 50);
    await expect(clientFor({ apiHost: duo.url }).infoSummary(controller.signal)).rejects.toThrow(
      'sync cancelled',
    );
  });
});

describe('HTTPS proxy', () => {
  it('reaches Duo through a CONNECT proxy, with the proxy credentials kept secret', async () => {
    const tls = await selfSignedFor127();
    const duo = await fakeDuo(() => ok({ user_count: 2 }), tls);
    const tunnels: string[] = [];
    const proxy = createServer();
    proxy.on('connect', (req, client: Socket, head: Buffer) => {
      tunnels.push(`${req.url ?? ''} ${req.headers['proxy-authorization'] ?? ''}`);
      const [host = '', port = ''] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          proxy.closeAllConnections();
          proxy.close(() => {
            resolve();
          });
        }),
    );
    const proxyPort = (proxy.address() as AddressInfo).port;
    const client = clientFor({
      apiHost: duo.url,
      ca: tls.cert,
      proxyUrl: `http://scanner:pr0xy-s3cret@127.0.0.1:${proxyPort}`,
    });
    expect(await client.infoSummary()).toEqual({ user_count: 2 });
    expect(tunnels).toEqual([
      `127.0.0.1:${duo.port} Basic ${Buffer.from('scanner:pr0xy-s3cret').toString('base64')}`,
    ]);
  });
});
