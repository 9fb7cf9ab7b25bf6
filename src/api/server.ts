/**
 * Builds the HTTP server (Fastify) from the composition root's parts: security headers, body
 * limit, cookie sessions and API tokens (closed by default), zod-validated routes under
 * `/api/v1` described at `/api/v1/openapi.json`, one error handler, and the web console from
 * `dist/web` (or a minimal page pointing to the API description). No port is opened here: tests
 * call `app.inject`, `serve` calls `listen`.
 *
 * @example const server = await buildServer(await openApp(config)); const res = await server.inject('/api/v1/health');
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z, ZodType } from 'zod';
import { ms } from '../domain/time.js';
import type { Logger } from '../logging.js';
import type { Db } from '../store/dialect.js';
import type { Readers } from '../store/readers.js';
import type { SyncContext } from '../sync/context.js';
import type { Runner } from '../sync/runner.js';
import { VERSION } from '../version.js';
import { authenticate, gate, LoginThrottle, type ThrottleLimits } from './auth.js';
import type { ApiDeps, ApiInstance } from './deps.js';
import { Demo, type DemoOptions } from './demo.js';
import { answers } from './contract/errors.js';
import { ApiError, handleError, MAX_PARAM_LENGTH, NO_STORE } from './errors.js';
import { fieldWithNul } from './schemas.js';
import { accountRoutes } from './routes/accounts.js';
import { activityRoutes } from './routes/activity.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { configurationRoutes } from './routes/configuration.js';
import { demoRoutes } from './routes/demo.js';
import { entitlementRoutes } from './routes/entitlements.js';
import { governanceGroupRoutes } from './routes/governance-groups.js';
import { healthRoutes } from './routes/health.js';
import { identityRoutes } from './routes/identities.js';
import { rejectedRecordRoutes } from './routes/rejected-records.js';
import { reportRoutes } from './routes/reports.js';
import { reviewRoutes } from './routes/reviews.js';
import { runRoutes } from './routes/runs.js';
import { sourceRoutes } from './routes/sources.js';
import { streamRoutes } from './routes/streams.js';
import { retentionRoutes } from './routes/retention.js';
import { RetentionKeeper } from '../sync/retention.js';
import { Remediations } from '../core/review-remediation.js';
import { reviewRemediationRoutes } from './routes/review-remediation.js';
import { tokenRoutes } from './routes/tokens.js';
import { destinationRoutes } from './routes/destinations.js';
import { userRoutes } from './routes/users.js';

/** What the composition root (`openApp`) gives the server: the `App` itself. */
export interface ServerContext {
  readonly db: Db;
  /** Runs the heavy reads of reports and exports off the event loop. */
  readonly readers: Readers;
  readonly sync: SyncContext;
  readonly log: Logger;
  /** The runner aggregations and syncs start through (shared with the scheduler). */
  readonly runs: Runner;
  /** Accept loopback Duo API hosts (demo, tests, explicit setting). */
  readonly allowLoopbackHosts: boolean;
  /** Applies retention ("apply now"); one of the server's own when absent. */
  readonly retention?: RetentionKeeper;
  /** Background remediations (the app's, stopped by its close); the server's own when absent. */
  readonly remediations?: Remediations;
}

export interface ServerOptions {
  /** Poked after a passed connection test so the first sync starts at once. */
  readonly scheduler?: { poke(): void };
  /** Woken after a destination is created (serve's forwarder). */
  readonly forwarder?: { wake(): void };
  /** The built web console (`dist/web`); absent or missing = a minimal page. */
  readonly webRoot?: string;
  /** Largest request body in bytes (default 64 KiB). */
  readonly bodyLimit?: number;
  readonly throttle?: Partial<ThrottleLimits>;
  readonly demo?: DemoOptions;
  /** Requests per minute per address on sign-in, before the failure throttle (default 60). */
  readonly loginRequestsPerMinute?: number;
  /**
   * Which proxies to believe about the client address (`X-Forwarded-For`): none (default), a hop
   * count, or their addresses / CIDR ranges. The address is what sign-in throttling, the audit
   * trail and the request log use.
   */
  readonly trustProxy?: TrustProxy;
}

/** The API description as answered: an OpenAPI 3 document, passed through whole. */
const OpenApiDocument = z.looseObject({
  openapi: z.string(),
  paths: z.record(z.string(), z.unknown()),
});

/** The part of an OpenAPI operation the description's last touch changes. */
interface OpenApiOperation {
  requestBody?: { required?: boolean };
}

/** One route as the router knows it: how the sign-in gate and the request log treat it. */
export interface RouteEntry {
  readonly method: string;
  /** The route's pattern, prefix included (`/api/v1/sources/:id`). */
  readonly url: string;
  /** Open without sign-in: marked so by its own definition (`config.public`). */
  readonly public: boolean;
  /** A file of the web console (public, not logged). */
  readonly console: boolean;
  /** The statuses its definition declares an answer schema for (`schema.response`). */
  readonly responses: readonly string[];
}

/** Whom to believe about the client address: nobody (`false`), a hop count, or proxy addresses. */
export type TrustProxy = false | number | readonly string[];

export interface ApiServer {
  readonly app: ApiInstance;
  /** Every route, recorded from the router as each is defined. */
  readonly routes: readonly RouteEntry[];
  readonly runs: Runner;
  readonly demo: Demo;
}

export async function buildServer(
  context: ServerContext,
  options: ServerOptions = {},
): Promise<ApiServer> {
  const fastify = Fastify({
    loggerInstance: context.log,
    // One line per request from our onResponse hook instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    trustProxy: fastifyTrustProxy(options.trustProxy ?? false),
    // Ids are at most 100 characters: a longer one reaches its route and is refused there by
    // name; only an absurd one stops at the router. Both answer in the one error shape.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: handleError,
  });
  const app = fastify.withTypeProvider<ZodTypeProvider>() as unknown as ApiInstance;
  app.setValidatorCompiler(optionalBodies(validatorCompiler));
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  // A JSON content type with an empty body (a button's POST) means "no body", not an error.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') {
      done(null, undefined);
      return;
    }
    void parseJson(request, text, (error, value) => {
      // Fastify hands a request without a body to the schema as `null`: a JSON `null` must not
      // pass for "no body", and no route takes one.
      if (error === null && value === null)
        done(
          new ApiError('validation_failed', 'the body is JSON null: send an object', [
            { field: 'body', message: 'is null: send an object' },
          ]),
          undefined,
        );
      else done(error, value);
    });
  });

  const runs = context.runs;
  const demo = new Demo(context.sync, runs, options.scheduler, options.demo);
  const deps: ApiDeps = {
    db: context.db,
    readers: context.readers,
    sync: context.sync,
    allowLoopbackHosts: context.allowLoopbackHosts,
    runs,
    scheduler: options.scheduler,
    retention: context.retention ?? new RetentionKeeper(context.sync),
    throttle: new LoginThrottle(options.throttle),
    demo,
    clock: context.sync.clock,
    forwarder: options.forwarder,
    remediations: context.remediations ?? new Remediations(context.log),
  };

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        'img-src': ["'self'", 'data:'],
        'script-src': ["'self'"],
        // Plain HTTP on a LAN or localhost is a supported set-up: do not rewrite to https.
        'upgrade-insecure-requests': null,
      },
    },
  });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new ApiError('rate_limited', `too many requests: try again in ${context.after}`),
  });
  const optionalBodyRoutes: { method: string; url: string }[] = [];
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'duo-insights',
        description:
          'Identity governance and activity insights for Duo Security. Sign in with POST /api/v1/auth/login (then send the x-csrf-token header on changes) or send Authorization: Bearer <API token>.',
        version: VERSION,
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'duo_insights_session' },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    transform: jsonSchemaTransform,
    // @fastify/swagger marks every body required; an action's optional body is not.
    transformObject: (documents) => {
      const { openapiObject } = documents as {
        openapiObject: { paths?: Record<string, Record<string, OpenApiOperation | undefined>> };
      };
      for (const { method, url } of optionalBodyRoutes) {
        const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
        const body = openapiObject.paths?.[path]?.[method.toLowerCase()]?.requestBody;
        if (body) body.required = false;
      }
      return openapiObject;
    },
  });

  // What needs sign-in is decided by the route the router matched (never by the URL's text, which
  // may be percent-encoded or in absolute form): closed unless the route's definition says public.
  // Read once the server is ready: a plugin's own onRoute hook may still mark its routes.
  const defined: {
    method: string;
    url: string;
    config: () => unknown;
    responses: readonly string[];
  }[] = [];
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { body?: unknown; response?: object } | undefined;
    const body = schema?.body;
    const optional = body instanceof ZodType && body.safeParse(undefined).success;
    const responses = Object.keys(schema?.response ?? {});
    for (const method of [route.method].flat()) {
      defined.push({ method, url: route.url, config: () => route.config, responses });
      if (optional) optionalBodyRoutes.push({ method, url: route.url });
    }
  });
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.console === true) return;
    request.principal = await authenticate(context.db, request, ms(Math.floor(deps.clock())));
    // A request no route matched reaches only the not-found handler, which reveals nothing.
    if (!request.is404) gate(request);
  });
  app.addHook('preValidation', async (request) => {
    await Promise.resolve();
    for (const [where, value] of [
      ['path', request.params],
      ['query', request.query],
      ['body', request.body],
    ] as const) {
      const field = fieldWithNul(value, where);
      if (field !== undefined)
        throw new ApiError('validation_failed', `${field}: contains a NUL character (U+0000)`, [
          { field, message: 'contains a NUL character (U+0000)' },
        ]);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.config.console === true) return;
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        ...(request.routeOptions.url === undefined ? {} : { route: request.routeOptions.url }),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        user: request.principal?.user.username,
        ip: request.ip,
      },
      'request',
    );
    await Promise.resolve();
  });
  // Answers of the API are never stored by a browser or proxy; the console's files may be.
  app.addHook('onSend', async (request, reply, payload) => {
    const url = request.routeOptions.url;
    if (url === undefined ? isApiPath(request.url) : url.startsWith('/api/'))
      void reply.header('cache-control', NO_STORE);
    return payload;
  });
  app.addHook('onClose', async () => {
    await deps.remediations.stop();
    await runs.stop();
    await demo.close();
  });

  await app.register(
    (api, _options, done) => {
      const routes = api as unknown as ApiInstance;
      healthRoutes(routes);
      authRoutes(routes, deps, options.loginRequestsPerMinute ?? 60);
      userRoutes(routes, deps);
      tokenRoutes(routes, deps);
      destinationRoutes(routes, deps);
      identityRoutes(routes, deps);
      governanceGroupRoutes(routes, deps);
      sourceRoutes(routes, deps);
      configurationRoutes(routes, deps);
      runRoutes(routes, deps);
      streamRoutes(routes, deps);
      retentionRoutes(routes, deps);
      rejectedRecordRoutes(routes, deps);
      accountRoutes(routes, deps);
      entitlementRoutes(routes, deps);
      activityRoutes(routes, deps);
      reportRoutes(routes, deps);
      reviewRoutes(routes, deps);
      auditRoutes(routes, deps);
      demoRoutes(routes, deps);
      reviewRemediationRoutes(routes, deps);
      routes.get(
        '/openapi.json',
        {
          schema: { hide: true, response: answers({ 200: OpenApiDocument }) },
          config: { public: true },
        },
        async () => {
          await Promise.resolve();
          return app.swagger() as unknown as z.infer<typeof OpenApiDocument>;
        },
      );
      done();
    },
    { prefix: '/api/v1' },
  );

  const webRoot = options.webRoot;
  const hasWeb = webRoot !== undefined && existsSync(join(webRoot, 'index.html'));
  const consolePage = hasWeb ? readFileSync(join(webRoot, 'index.html'), 'utf8') : '';
  if (hasWeb) {
    await app.register(async (files) => {
      // The console's files are public by their definition, like every public route.
      files.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), public: true, console: true };
      });
      await files.register(fastifyStatic, { root: webRoot, wildcard: false });
    });
  } else {
    app.get(
      '/',
      { schema: { hide: true }, config: { public: true, console: true } },
      async (_request, reply) => {
        await Promise.resolve();
        return reply.type('text/html; charset=utf-8').send(MINIMAL_PAGE);
      },
    );
  }
  app.setNotFoundHandler(async (request, reply) => {
    if (
      hasWeb &&
      request.method === 'GET' &&
      !isApiPath(request.url) &&
      !isAssetPath(request.url)
    ) {
      // The console routes in the browser: every page (`/sources/abc/accounts`) is index.html,
      // asked again each time so that it names the files of the running version.
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(consolePage);
    }
    await Promise.resolve();
    throw new ApiError(
      'not_found',
      `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    );
  });

  await app.ready();
  const routes = defined.map(({ method, url, config, responses }): RouteEntry => {
    const marks = (config() ?? {}) as { public?: boolean; console?: boolean };
    return {
      method,
      url,
      public: marks.public === true,
      console: marks.console === true,
      responses,
    };
  });
  return { app, routes, runs, demo };
}

/**
 * Fastify validates a request without a body as `null`; a route whose body is optional means
 * "absent" (`undefined`). The JSON parser refuses a literal `null`, so `null` here is "no body".
 */
function optionalBodies(compile: typeof validatorCompiler): typeof validatorCompiler {
  return (route) => {
    const validate = compile(route);
    if (route.httpPart !== 'body') return validate;
    return (data) => validate(data === null ? undefined : data);
  };
}

/** The path of a request target, however it is spelled (percent-encoded, absolute form); null: not decodable. */
function pathOf(target: string): string | null {
  let path = target.split('?')[0] ?? '';
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  if (absolute) path = path.slice(absolute[0].length);
  try {
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}

/** Whether a request target names the API. */
function isApiPath(target: string): boolean {
  const path = pathOf(target);
  if (path === null) return true; // not decodable: never the console
  return path.startsWith('/api/') || path === '/api';
}

/**
 * Whether a request target names one of the console's built files (`/assets/…`): one that is
 * missing (a tab left open across an upgrade asks for the old version's) is a 404, not the page.
 */
function isAssetPath(target: string): boolean {
  return pathOf(target)?.startsWith('/assets/') ?? false;
}

/**
 * Fastify's form of `TrustProxy`. A hop count becomes "trust the nearest N hops" (Fastify
 * itself trusts nothing for a number); 0 hops is none.
 */
function fastifyTrustProxy(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false || trust === 0) return false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return [...trust];
}

const MINIMAL_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>duo-insights</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2933}code{background:#eef2f7;padding:0 .25rem}</style>
</head><body>
<h1>duo-insights ${VERSION}</h1>
<p>The API is running. The web console is not built into this installation yet
(<code>npm run build</code> puts it in <code>dist/web</code>).</p>
<ul>
<li>API description (OpenAPI): <a href="/api/v1/openapi.json">/api/v1/openapi.json</a></li>
<li>Health: <a href="/api/v1/health">/api/v1/health</a></li>
</ul>
<p>Sign in with <code>POST /api/v1/auth/login</code>, or create an API token with
<code>duo-insights token create --user admin --name cli</code> and send
<code>Authorization: Bearer &lt;token&gt;</code>.</p>
</body></html>`;
