/**
 * The sign-in gate holds for every way a request can be written. The routes come from the router
 * itself (`server.routes`, recorded as each route is defined), not from a hand list: every route
 * that its own definition does not mark public is sent without credentials in its plain spelling,
 * with percent-encoded letters in its static segments, and in absolute form
 * (`GET http://host/api/v1/…`), over a real socket, and must answer 401 `unauthenticated` — and
 * leave a line in the request log.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteEntry } from '../../src/api/server.js';
import { startTestApi, type TestApi } from '../support/api.js';

interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

/** Sends one HTTP/1.1 request exactly as written (no client normalises the target). */
function rawRequest(port: number, method: string, target: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'DELETE';
    const body = hasBody ? '{}' : '';
    socket.write(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n` +
        (hasBody ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` : '') +
        `\r\n${body}`,
    );
  });
}

/** A concrete path for a route pattern: every `:param` (and `*`) filled in. */
function concretePath(url: string): string {
  return url.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000').replace('*', 'x');
}

const percent = (ch: string) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** Spellings of one path that a router decodes to the same route. */
function spellings(path: string, port: number): string[] {
  const segments = path.split('/');
  const encodeFirstLetter = (index: number): string =>
    segments
      .map((segment, i) =>
        i === index && /^[a-z]/i.test(segment)
          ? percent(segment[0] ?? '') + segment.slice(1)
          : segment,
      )
      .join('/');
  const lastStatic = segments.reduce(
    (found, segment, i) => (/^[a-z]/i.test(segment) ? i : found),
    1,
  );
  return [
    path,
    encodeFirstLetter(1), // /%61pi/v1/…
    path.replace(/^\/api\//, `/a${percent('p')}i/`), // /a%70i/v1/…
    encodeFirstLetter(lastStatic), // /api/v1/%73ources
    `http://x${path}`, // absolute form, another host
    `http://127.0.0.1:${port}${path}`,
  ];
}

describe('the sign-in gate, for every route and every spelling', () => {
  let api: TestApi;
  let port: number;
  let routes: readonly RouteEntry[];

  beforeAll(async () => {
    api = await startTestApi({
      webRoot: fileURLToPath(new URL('../../dist/web/', import.meta.url)),
    });
    await api.server.app.listen({ port: 0, host: '127.0.0.1' });
    port = (api.server.app.server.address() as AddressInfo).port;
    routes = api.server.routes;
  });

  afterAll(async () => {
    await api.close();
  });

  it('knows the routes from the router, and only health, sign-in, the API description and the console are public', () => {
    const apiRoutes = routes.filter((r) => r.url.startsWith('/api/'));
    expect(apiRoutes.length).toBeGreaterThan(40);
    const open = routes
      .filter((r) => r.public && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url}`);
    const openApi = open.filter((r) => r.includes('/api/'));
    expect(openApi.sort()).toEqual(
      ['GET /api/v1/health', 'GET /api/v1/openapi.json', 'POST /api/v1/auth/login'].sort(),
    );
    // Every other public route is a console file, never under /api.
    for (const route of routes.filter((r) => r.public && !r.url.startsWith('/api/')))
      expect(route.console, `${route.method} ${route.url}`).toBe(true);
  });

  it('answers 401 to every non-public route in every spelling, and logs each request', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const route of routes) {
      if (route.public || route.method === 'HEAD' || route.method === 'OPTIONS') continue;
      for (const target of spellings(concretePath(route.url), port)) {
        const logsBefore = api.logs.length;
        const answer = await rawRequest(port, route.method, target);
        sent += 1;
        const code = (() => {
          try {
            return (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code;
          } catch {
            return undefined;
          }
        })();
        if (answer.status !== 401 || code !== 'unauthenticated')
          failures.push(`${route.method} ${target} → ${answer.status} ${answer.body.slice(0, 80)}`);
        const logged = api.logs
          .slice(logsBefore)
          .some((line) => line.includes('"msg":"request"') && line.includes('"status":401'));
        if (!logged) failures.push(`${route.method} ${target}: no request log line`);
      }
    }
    expect(sent).toBeGreaterThan(200);
    expect(failures).toEqual([]);
  });

  it('still serves the console and the public routes without sign-in', async () => {
    expect((await rawRequest(port, 'GET', '/api/v1/health')).status).toBe(200);
    expect((await rawRequest(port, 'GET', '/%61pi/v1/health')).status).toBe(200);
    expect((await rawRequest(port, 'GET', '/api/v1/openapi.json')).status).toBe(200);
    const page = await rawRequest(port, 'GET', '/sources');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="root">');
    const unknownApi = await rawRequest(port, 'GET', '/api/v1/no-such-thing');
    expect([401, 404]).toContain(unknownApi.status);
    expect(unknownApi.body).not.toContain('<html');
  });
});
