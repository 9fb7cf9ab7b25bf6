/**
 * Bad input never makes the API fail (5xx), and every error answers in the one documented shape,
 * `{ error: { code, message, details? } }`. The routes come from the router itself
 * (`server.routes`) and the field names of their bodies and queries from the API description,
 * not from a hand list: every route gets unknown and malformed ids, bodies that are not JSON,
 * JSON of the wrong type, fields of the wrong type, huge strings, unknown fields, references to
 * rows that do not exist, and query values of the wrong type — signed in as an admin, on a
 * database with real sources, accounts and runs (aggregated from the simulator over HTTP).
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { ERROR_CODES } from '../../src/api/errors.js';
import type { RouteEntry } from '../../src/api/server.js';
import { randomCredential, startSimulator, type Simulator } from '../../src/sim/server.js';
import { startTestApi, waitForRun, type Client, type TestApi } from '../support/api.js';

const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  source_busy: 409,
  source_not_ready: 409,
  rate_limited: 429,
  payload_too_large: 413,
  internal: 500,
};

const BAD_IDS = [randomUUID(), 'x', 'a'.repeat(101), '%E0%A4%A', '%00', '..'];

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Query strings of the wrong type, sent to every GET route. */
const BAD_QUERIES = [
  'limit=-1',
  'limit=abc',
  'limit=0',
  'limit=1e400',
  'cursor=garbage',
  `cursor=${cursorOf({ id: 'no-such-row' })}`,
  `cursor=${cursorOf({ id: 1e300, tsMs: 'x', n: 5 })}`,
  `cursor=${cursorOf([1, 2])}`,
  'days=1e400',
  'days=-5',
  'days=abc',
  'format=xml',
  'format=csv&limit=abc',
  'from=yesterday',
  'to=1e400',
  'entitlementId=abc',
  'q=%E0%A4%A',
];

interface Sent {
  readonly label: string;
  readonly status: number;
  readonly text: string;
  readonly contentType: string;
}

interface OpenApiOperation {
  readonly parameters?: readonly { readonly in: string; readonly name: string }[];
  readonly requestBody?: {
    readonly content?: Record<
      string,
      { readonly schema?: { readonly properties?: Record<string, { type?: unknown }> } }
    >;
  };
}

/** Whether an answer is in the documented error shape; the problem found otherwise. */
function shapeProblem(sent: Sent): string | undefined {
  if (sent.status >= 500) return 'a server error';
  if (sent.status < 400) return undefined;
  if (!sent.contentType.startsWith('application/json')) return `content type ${sent.contentType}`;
  let body: unknown;
  try {
    body = JSON.parse(sent.text);
  } catch {
    return 'a body that is not JSON';
  }
  const found: unknown =
    typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof found !== 'object' || found === null) return 'no error object';
  const error = found as { code?: unknown; message?: unknown; details?: unknown };
  const keys = Object.keys(body as object);
  if (keys.length !== 1) return `extra top-level keys ${keys.join(',')}`;
  const extra = Object.keys(error).filter((k) => !['code', 'message', 'details'].includes(k));
  if (extra.length > 0) return `extra error keys ${extra.join(',')}`;
  if (typeof error.code !== 'string' || !(ERROR_CODES as readonly string[]).includes(error.code))
    return `code ${String(error.code)} is not one of the documented codes`;
  if (STATUS_OF_CODE[error.code] !== sent.status)
    return `code ${error.code} with status ${sent.status}`;
  if (typeof error.message !== 'string' || error.message.length === 0) return 'no message';
  if (error.code === 'validation_failed') {
    const details = error.details;
    if (
      !Array.isArray(details) ||
      details.length === 0 ||
      !details.every(
        (d: { field?: unknown; message?: unknown }) =>
          typeof d.field === 'string' &&
          d.field.length > 0 &&
          typeof d.message === 'string' &&
          d.message.length > 0,
      )
    )
      return `validation_failed without details naming each field: ${JSON.stringify(details)}`;
  }
  return undefined;
}

/** A value of another type than the one a field's schema declares. */
function wrongValues(schema: { type?: unknown }): unknown[] {
  switch (schema.type) {
    case 'string':
      return [12345, { nested: true }, ['x']];
    case 'number':
    case 'integer':
      return ['abc', '1e400', [1], true, -1, 1.5];
    case 'boolean':
      return ['yes', 1];
    case 'array':
      return ['authentication', { 0: 'x' }];
    case 'object':
      return ['x', [1], 7];
    default:
      return [{ nested: true }, [[]], 12345];
  }
}

describeEachDatabase(
  'bad input, on every route',
  (t) => {
    let api: TestApi;
    let sim: Simulator;
    let admin: Client & { csrfToken: string; cookie: string };
    let routes: readonly RouteEntry[];
    let operations: Record<string, Record<string, OpenApiOperation>>;
    /** Real ids by route parameter (`:id` by the first segment of the route). */
    const real: Record<string, string> = {};
    const credential = randomCredential();
    let activitySourceId: string;

    beforeAll(async () => {
      sim = await startSimulator({
        credentials: [credential],
        users: 12,
        days: 1,
        authEventsPerDay: 50,
        seed: 'bad-input',
      });
      api = await startTestApi({ loginRequestsPerMinute: 100_000 }, { databaseUrl: t.url });
      await api.createUser('admin', 'admin');
      admin = await api.signIn('admin');
      routes = api.server.routes;
      operations = (api.server.app.swagger() as { paths: typeof operations }).paths;

      const identity = await admin.post('/api/v1/identities', { displayName: 'Ann Owner' });
      real.identities = (identity.body as { id: string }).id;
      const group = await admin.post('/api/v1/governance-groups', { name: 'Owners' });
      real['governance-groups'] = (group.body as { id: string }).id;
      const viewer = await api.createUser('val', 'viewer');
      real.users = viewer.id;
      const source = await admin.post('/api/v1/sources', {
        type: 'duo',
        name: 'Duo accounts',
        ownerIdentityId: real.identities,
      });
      real.sources = (source.body as { id: string }).id;
      await admin.put(`/api/v1/sources/${real.sources}/configuration`, {
        apiHost: sim.url,
        integrationKey: credential.ikey,
        secretKey: credential.skey,
      });
      expect((await admin.post(`/api/v1/sources/${real.sources}/test-connection`, {})).status).toBe(
        200,
      );
      const started = await admin.post(`/api/v1/sources/${real.sources}/aggregate`, {});
      expect(started.status).toBe(202);
      const runId = (started.body as { runId: string }).runId;
      expect((await waitForRun(admin, runId)).status).toBe('succeeded');
      real.runId = runId;
      const accounts = await admin.get(`/api/v1/sources/${real.sources}/accounts`);
      real.accountId = String((accounts.body as { accounts: { id: number }[] }).accounts[0]?.id);
      const entitlements = await admin.get(`/api/v1/sources/${real.sources}/entitlements`);
      real.entitlementId = String(
        (entitlements.body as { entitlements: { id: number }[] }).entitlements[0]?.id,
      );
      // A review campaign with every item decided, which may be signed off.
      const review = await admin.post('/api/v1/reviews', {
        name: 'Bad-input review',
        scope: { kind: 'accounts', sourceIds: [real.sources] },
        reviewers: { kind: 'identities', identityIds: [real.identities] },
        dueMs: Date.now() + 86_400_000,
      });
      expect(review.status).toBe(201);
      real.reviews = (review.body as { id: string }).id;
      const decided = await admin.post(`/api/v1/reviews/${real.reviews}/decisions`, {
        select: {},
        decision: 'revoke',
      });
      expect(decided.status).toBe(200);
      // A destination whose test writes into a throwaway folder.
      const destination = await admin.post('/api/v1/destinations', {
        name: 'Bad-input folder',
        type: 'file',
        directory: join(tmpdir(), `di-bad-input-${randomUUID()}`),
      });
      real.destinations = (destination.body as { id: string }).id;
      const logs = await admin.post('/api/v1/sources', {
        type: 'duo-activity',
        name: 'Duo logs',
        ownerIdentityId: real.identities,
        settings: { backfillDays: 1 },
      });
      activitySourceId = (logs.body as { id: string }).id;
      await admin.put(`/api/v1/sources/${activitySourceId}/configuration`, {
        apiHost: sim.url,
        integrationKey: credential.ikey,
        secretKey: credential.skey,
      });
      expect((await admin.post(`/api/v1/sources/${activitySourceId}/test-connection`)).status).toBe(
        200,
      );
    });

    afterAll(async () => {
      await api.close();
      await sim.close();
    });

    async function send(
      method: string,
      url: string,
      label: string,
      payload?: { readonly text: string; readonly contentType?: string },
    ): Promise<Sent> {
      const res = await api.server.app.inject({
        method: method as 'GET',
        url,
        headers: {
          cookie: `duo_insights_session=${admin.cookie}`,
          ...(method === 'GET' ? {} : { 'x-csrf-token': admin.csrfToken }),
          ...(payload === undefined
            ? {}
            : { 'content-type': payload.contentType ?? 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: payload.text }),
      });
      if (url.includes('/auth/logout') && res.statusCode < 300) admin = await api.signIn('admin');
      if (res.statusCode === 202) {
        const runId = (JSON.parse(res.body) as { runId: string }).runId;
        await waitForRun(admin, runId);
      }
      return {
        label: `${method} ${url.slice(0, 120)} ${label}`,
        status: res.statusCode,
        text: res.body,
        contentType: String(res.headers['content-type'] ?? ''),
      };
    }

    /** The route's path with real ids, or `bad` in place of every parameter. */
    function pathOf(route: RouteEntry, bad?: string): string {
      const first = route.url.split('/')[3] ?? '';
      return route.url.replace(/:([A-Za-z]+)/g, (_match, name: string) => {
        if (bad !== undefined) return bad;
        return real[name === 'id' ? first : name] ?? randomUUID();
      });
    }

    function operationOf(route: RouteEntry): OpenApiOperation | undefined {
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      return operations[path]?.[route.method.toLowerCase()];
    }

    function bodiesFor(route: RouteEntry): { label: string; text: string; contentType?: string }[] {
      const properties =
        operationOf(route)?.requestBody?.content?.['application/json']?.schema?.properties ?? {};
      const json = (label: string, value: unknown) => ({ label, text: JSON.stringify(value) });
      const bodies = [
        { label: 'JSON cut short', text: '{"name": "x' },
        { label: 'not JSON', text: 'not json at all' },
        { label: 'XML', text: '<name>x</name>', contentType: 'application/xml' },
        { label: 'plain text', text: 'name=x', contentType: 'text/plain' },
        { label: 'a form', text: 'name=x', contentType: 'application/x-www-form-urlencoded' },
        {
          label: 'JSON with a bad charset',
          text: '{}',
          contentType: 'application/json; charset=ebcdic',
        },
        { label: 'a body over the size limit', text: JSON.stringify({ name: 'x'.repeat(70_000) }) },
        { label: 'deeply nested JSON', text: '['.repeat(5000) + ']'.repeat(5000) },
        json('an array', []),
        json('a number', 1),
        json('a string', 'text'),
        json('null', null),
        json('an unknown field', { unexpectedField: 1 }),
        json('__proto__', JSON.parse('{"__proto__": {"admin": true}}')),
      ];
      for (const [name, schema] of Object.entries(properties)) {
        for (const value of wrongValues(schema))
          bodies.push(json(`${name}: ${JSON.stringify(value)}`, { [name]: value }));
        bodies.push({ label: `${name}: 1e400`, text: `{"${name}": 1e400}` });
        bodies.push(json(`${name}: a huge string`, { [name]: 'x'.repeat(60_000) }));
        bodies.push(json(`${name}: an empty string`, { [name]: '' }));
        bodies.push(json(`${name}: a control character`, { [name]: 'a\u0000b' }));
        if (/Id$/.test(name)) bodies.push(json(`${name}: no such row`, { [name]: randomUUID() }));
      }
      return bodies;
    }

    function queriesFor(route: RouteEntry): string[] {
      const names = (operationOf(route)?.parameters ?? [])
        .filter((p) => p.in === 'query')
        .map((p) => p.name);
      return [
        ...BAD_QUERIES,
        ...names.flatMap((name) => [
          `${name}=${'x'.repeat(5000)}`,
          `${name}=a&${name}=b`,
          `${name}=`,
          `${name}[x]=1`,
        ]),
      ];
    }

    it('finds the routes in the router and their fields in the API description', () => {
      const apiRoutes = routes.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
      expect(apiRoutes.length).toBeGreaterThan(40);
      const withBodies = apiRoutes.filter(
        (r) => Object.keys(operationOf(r)?.requestBody?.content ?? {}).length > 0,
      );
      expect(withBodies.length).toBeGreaterThan(10);
      expect(Object.keys(real).sort()).toEqual(
        [
          'accountId',
          'destinations',
          'entitlementId',
          'governance-groups',
          'identities',
          'reviews',
          'runId',
          'sources',
          'users',
        ].sort(),
      );
    });

    it('answers every bad id, body and query value below 500, in the documented error shape', async () => {
      const failures: string[] = [];
      let sent = 0;
      const check = (answer: Sent) => {
        sent += 1;
        const problem = shapeProblem(answer);
        if (problem)
          failures.push(
            `${answer.label} → ${answer.status} (${problem}) ${answer.text.slice(0, 160)}`,
          );
      };
      for (const route of routes) {
        if (!route.url.startsWith('/api/') || route.method === 'HEAD') continue;
        const hasBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
        if (route.url.includes(':'))
          for (const bad of BAD_IDS)
            check(
              await send(
                route.method,
                pathOf(route, bad),
                `id ${bad.slice(0, 20)}`,
                hasBody ? { text: '{}' } : undefined,
              ),
            );
        // Real ids for changes only where the body is bad: a bad body must change nothing.
        if (hasBody)
          for (const body of bodiesFor(route)) {
            const answer = await send(route.method, pathOf(route), body.label, body);
            check(answer);
            // A reference to a row that does not exist is the caller's mistake, never a 404 or 5xx.
            if (body.label.endsWith('no such row') && answer.status !== 400)
              failures.push(
                `${answer.label} → ${answer.status}, not 400: ${answer.text.slice(0, 160)}`,
              );
          }
        if (route.method === 'GET')
          for (const query of queriesFor(route))
            check(await send('GET', `${pathOf(route)}?${query}`, query.slice(0, 40)));
      }
      expect(sent).toBeGreaterThan(1000);
      expect(failures).toEqual([]);
    });

    const errorOf = (answer: { body: unknown }) =>
      (answer.body as { error: { code: string; message: string; details?: unknown } }).error;

    describe('references to rows that do not exist', () => {
      it('answers a source manager who points their own source at an owner or governance group that does not exist with 400 naming the field, and changes nothing', async () => {
        const me = await admin.post('/api/v1/identities', { displayName: 'Sam Manager' });
        const myIdentity = (me.body as { id: string }).id;
        await api.createUser('sam', 'source_manager', myIdentity);
        const sam = await api.signIn('sam');
        const created = await sam.post('/api/v1/sources', {
          type: 'duo',
          name: 'Sam’s Duo',
          ownerIdentityId: myIdentity,
        });
        expect(created.status).toBe(201);
        const sourceId = (created.body as { id: string }).id;

        for (const field of ['ownerIdentityId', 'governanceGroupId']) {
          const res = await sam.patch(`/api/v1/sources/${sourceId}`, { [field]: randomUUID() });
          expect(res.status, field).toBe(400);
          expect(errorOf(res).code).toBe('validation_failed');
          expect(errorOf(res).message).toContain(field);
          expect(errorOf(res).details).toEqual([
            { field, message: expect.stringMatching(/^no /) as unknown },
          ]);
        }
        const both = await sam.patch(`/api/v1/sources/${sourceId}`, {
          name: 'renamed',
          ownerIdentityId: 'nobody',
          governanceGroupId: 'no-group',
        });
        expect(both.status).toBe(400);
        expect((errorOf(both).details as { field: string }[]).map((d) => d.field)).toEqual([
          'ownerIdentityId',
          'governanceGroupId',
        ]);
        const after = (await sam.get(`/api/v1/sources/${sourceId}`)).body as {
          name: string;
          ownerIdentityId: string;
          governanceGroupId: string | null;
        };
        expect(after).toMatchObject({
          name: 'Sam’s Duo',
          ownerIdentityId: myIdentity,
          governanceGroupId: null,
        });
        expect(api.logs.some((line) => line.includes('FOREIGN KEY'))).toBe(false);
      });

      it('answers every other write that takes a reference id with 400 naming the field', async () => {
        const missing = randomUUID();
        const writes: { name: string; field: string; send: () => ReturnType<Client['post']> }[] = [
          {
            name: 'create a source with an unknown owner',
            field: 'ownerIdentityId',
            send: () =>
              admin.post('/api/v1/sources', { type: 'duo', name: 'New', ownerIdentityId: missing }),
          },
          {
            name: 'create a source with an unknown governance group',
            field: 'governanceGroupId',
            send: () =>
              admin.post('/api/v1/sources', {
                type: 'duo',
                name: 'New',
                ownerIdentityId: real.identities,
                governanceGroupId: missing,
              }),
          },
          {
            name: 'create a user linked to an unknown identity',
            field: 'identityId',
            send: () =>
              admin.post('/api/v1/users', {
                username: 'newbie',
                password: 'a long enough password',
                role: 'viewer',
                identityId: missing,
              }),
          },
          {
            name: 'link a user to an unknown identity',
            field: 'identityId',
            send: () => admin.patch(`/api/v1/users/${real.users}`, { identityId: missing }),
          },
          {
            name: 'add an unknown identity to a governance group',
            field: 'identityId',
            send: () =>
              admin.post(`/api/v1/governance-groups/${real['governance-groups']}/members`, {
                identityId: missing,
              }),
          },
          {
            name: 'link an account to an unknown identity by hand',
            field: 'identityId',
            send: () =>
              admin.put(`/api/v1/accounts/${real.accountId}/identity`, { identityId: missing }),
          },
        ];
        for (const write of writes) {
          const res = await write.send();
          expect(res.status, write.name).toBe(400);
          expect(errorOf(res), write.name).toMatchObject({
            code: 'validation_failed',
            details: [
              {
                field: write.field,
                message: `no ${write.field === 'governanceGroupId' ? 'governance group' : 'identity'} has the id "${missing}"`,
              },
            ],
          });
        }
        expect((await admin.get('/api/v1/users')).text).not.toContain('newbie');
      });
    });

    describe('errors the router raises', () => {
      it('answers a path that is not valid percent-encoding with 400 validation_failed naming the path', async () => {
        for (const send of [
          () => admin.get('/api/v1/identities/%E0%A4%A'),
          () => api.anonymous('GET', '/api/v1/identities/%E0%A4%A'),
          () => admin.post('/api/v1/sources/%ZZ/sync'),
        ]) {
          const res = await send();
          expect(res.status).toBe(400);
          expect(errorOf(res)).toEqual({
            code: 'validation_failed',
            message: expect.stringContaining('percent-encoded') as unknown,
            details: [{ field: 'path', message: expect.any(String) as unknown }],
          });
          expect(res.headers['cache-control']).toBe('no-store');
        }
      });

      it('answers an id longer than 100 characters with 400 naming the id, and an absurd one with 400 naming the path', async () => {
        const long = await admin.get(`/api/v1/identities/${'a'.repeat(101)}`);
        expect(long.status).toBe(400);
        expect(errorOf(long)).toMatchObject({
          code: 'validation_failed',
          details: [{ field: 'id', message: expect.any(String) as unknown }],
        });
        const absurd = await admin.get(`/api/v1/identities/${'a'.repeat(5000)}`);
        expect(absurd.status).toBe(400);
        expect(errorOf(absurd)).toMatchObject({
          code: 'validation_failed',
          details: [{ field: 'path', message: expect.stringContaining('longer than') as unknown }],
        });
        // The sign-in gate still comes first for a long id.
        expect((await api.anonymous('GET', `/api/v1/identities/${'a'.repeat(101)}`)).status).toBe(
          401,
        );
      });
    });

    describe('actions whose body is optional', () => {
      it('accepts no body, an empty JSON body and {} on every POST action that takes no required body', async () => {
        const actions = routes.filter((r) => {
          if (r.method !== 'POST' || !r.url.startsWith('/api/') || r.public) return false;
          const body = operationOf(r)?.requestBody as { required?: boolean } | undefined;
          return body === undefined || body.required !== true;
        });
        expect(actions.map((r) => r.url).sort()).toEqual(
          [
            '/api/v1/auth/logout',
            '/api/v1/demo',
            '/api/v1/destinations/:id/test',
            '/api/v1/reviews/:id/sign-off',
            '/api/v1/reviews/:id/remediate',
            '/api/v1/sources/:id/aggregate',
            '/api/v1/sources/:id/retention',
            '/api/v1/sources/:id/sync',
            '/api/v1/sources/:id/test-connection',
          ].sort(),
        );
        const forms = [
          { label: 'no body', payload: undefined },
          { label: 'an empty JSON body', payload: { text: '' } },
          { label: '{}', payload: { text: '{}' } },
        ];
        const answers: string[] = [];
        for (const route of actions) {
          const path =
            route.url.endsWith('/sync') || route.url.endsWith('/retention')
              ? route.url.replace(':id', activitySourceId)
              : pathOf(route);
          for (const form of forms) {
            const res = await send('POST', path, form.label, form.payload);
            answers.push(`${res.label} ${res.status}`);
            // The demo starts once (the sweep above may have started it): then it is running.
            if (route.url === '/api/v1/demo' && res.status === 409)
              expect(errorOf({ body: JSON.parse(res.text) })).toMatchObject({
                code: 'conflict',
                message: 'the demo is already running',
              });
            // A campaign signs off once: then it says so.
            else if (route.url.endsWith('/sign-off') && res.status === 409)
              expect(errorOf({ body: JSON.parse(res.text) }).message).toMatch(/signed off/);
            else expect(res.status, `${res.label}: ${res.text}`).toBeLessThan(300);
          }
        }
        expect(answers.filter((a) => a.includes('/sync') && a.endsWith(' 202'))).toHaveLength(3);
        expect(answers.filter((a) => a.includes('/aggregate') && a.endsWith(' 202'))).toHaveLength(
          3,
        );
      });

      it('still refuses a body an action does not take', async () => {
        const res = await admin.post(`/api/v1/sources/${real.sources}/aggregate`, { force: true });
        expect(res.status).toBe(400);
        expect(errorOf(res).code).toBe('validation_failed');
      });
    });
  },
  { migrate: false },
);
