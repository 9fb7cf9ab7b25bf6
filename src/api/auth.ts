/**
 * Who is asking, and may they: sessions (HttpOnly, SameSite=Strict cookie; Secure behind TLS),
 * CSRF tokens for cookie sessions, API tokens (`Authorization: Bearer …`, no CSRF), roles, the
 * request's actor (`actorOf`), and login throttling. Every route is closed unless it says `public`.
 *
 * @example app.post('/api/v1/sources', { preHandler: requireRole('admin', 'source_manager') }, …)
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Actor } from '../core/actor.js';
import { isoFromMs, ms, type EpochMs } from '../domain/time.js';
import type { Role, User } from '../domain/users.js';
import { findApiTokenByHash, touchApiToken } from '../store/api-tokens.js';
import type { Db } from '../store/dialect.js';
import {
  createSession,
  deleteExpiredSessions,
  deleteSession,
  extendSession,
  findLiveSession,
} from '../store/sessions.js';
import { findUser } from '../store/users.js';
import { secretDigest } from '../sync/users.js';
import { ApiError } from './errors.js';

export const SESSION_COOKIE = 'duo_insights_session';
export const CSRF_HEADER = 'x-csrf-token';
/** A session ends after this long without a request. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
const EXTEND_AFTER_MS = 5 * 60 * 1000;

/** The authenticated caller of a request. */
export type Principal =
  | {
      readonly kind: 'session';
      readonly user: User;
      readonly sessionHash: string;
      readonly csrfToken: string;
    }
  | { readonly kind: 'token'; readonly user: User; readonly tokenId: string };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Open without authentication (health, login, the API description). */
    public?: boolean;
    /** A file of the web console: public, answered without a session lookup, not logged. */
    console?: boolean;
    /**
     * Answered to a user who must change their password first (sign-out, `auth/me`, the
     * change itself); every other closed route answers 403 `password_change_required`.
     */
    beforePasswordChange?: boolean;
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads the cookie session or the bearer token; sets `request.principal` (null when none). */
export async function authenticate(
  db: Db,
  request: FastifyRequest,
  now: EpochMs,
): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      throw new ApiError('unauthenticated', 'the Authorization header must be "Bearer <token>"');
    const token = await findApiTokenByHash(db, secretDigest(match[1]));
    const user = token && (await findUser(db, token.userId));
    if (!token || !user || user.disabled)
      throw new ApiError('unauthenticated', 'the API token is not valid');
    if (token.expiresAt !== null && now >= token.expiresAt)
      throw new ApiError(
        'unauthenticated',
        `the API token "${token.name}" expired at ${isoFromMs(token.expiresAt)}; an admin creates a new one (Settings → API tokens, or duo-insights token create)`,
      );
    if (token.lastUsedAt === null || now - token.lastUsedAt > EXTEND_AFTER_MS)
      await touchApiToken(db, token.id, now);
    return { kind: 'token', user, tokenId: token.id };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (cookie === undefined || cookie === '') return null;
  const sessionHash = secretDigest(cookie);
  const session = await findLiveSession(db, sessionHash, now);
  if (!session) return null;
  const user = await findUser(db, session.userId);
  if (!user || user.disabled) return null;
  if (session.expiresAt - now < SESSION_IDLE_MS - EXTEND_AFTER_MS)
    await extendSession(db, sessionHash, ms(now + SESSION_IDLE_MS));
  return { kind: 'session', user, sessionHash, csrfToken: session.csrfToken };
}

/**
 * The gate every request passes (a preHandler): routes not marked public need a principal;
 * mutating requests of cookie sessions need the session's CSRF token in `x-csrf-token`; a user
 * who must change their password reaches only the routes marked `beforePasswordChange`.
 */
export function gate(request: FastifyRequest): void {
  if (request.routeOptions.config.public === true) return;
  const principal = request.principal;
  if (!principal) throw new ApiError('unauthenticated', 'sign in first (or send an API token)');
  if (principal.kind === 'session' && MUTATING.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !equalText(sent, principal.csrfToken))
      throw new ApiError(
        'csrf_failed',
        `send the session's CSRF token (from sign-in or GET /api/v1/auth/me) in the ${CSRF_HEADER} header`,
      );
  }
  if (
    principal.user.mustChangePassword &&
    request.routeOptions.config.beforePasswordChange !== true
  )
    throw new ApiError(
      'password_change_required',
      'change your password first: POST /api/v1/auth/password {"currentPassword", "newPassword"} (the console asks for it after sign-in)',
    );
}

/** The signed-in user (the gate has run: a non-public route always has one). */
export function userOf(request: FastifyRequest): User {
  const principal = request.principal;
  if (!principal) throw new ApiError('unauthenticated', 'sign in first (or send an API token)');
  return principal.user;
}

/**
 * Who asks, for the use cases and the audit trail: the signed-in user, how (session or API
 * token), and the client address (after proxy trust).
 *
 * @example await createSource(deps, actorOf(request), request.body);
 */
export function actorOf(request: FastifyRequest): Actor {
  const principal = request.principal;
  if (!principal) throw new ApiError('unauthenticated', 'sign in first (or send an API token)');
  return {
    kind: 'user',
    user: principal.user,
    via: principal.kind === 'token' ? 'token' : 'session',
    ip: request.ip,
  };
}

/** A preHandler allowing only these roles. */
export function requireRole(...roles: readonly Role[]): preHandlerAsyncHookHandler {
  return async (request) => {
    const user = userOf(request);
    if (!roles.includes(user.role))
      throw new ApiError(
        'forbidden',
        `this needs the role ${roles.join(' or ')}; you are ${user.role}`,
      );
    await Promise.resolve();
  };
}

// ---- sessions ------------------------------------------------------------------------------------

/** Whether the client reached us over TLS (directly or through a proxy that says so). */
export function isSecureRequest(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = Array.isArray(forwarded) ? forwarded[0] : forwarded;
  return request.protocol === 'https' || proto?.split(',')[0]?.trim() === 'https';
}

/** Opens a session: stores its hash, sets the cookie, returns the CSRF token. */
export async function startSession(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  user: User,
  now: EpochMs,
): Promise<string> {
  await deleteExpiredSessions(db, now);
  const id = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await createSession(db, {
    idHash: secretDigest(id),
    userId: user.id,
    csrfToken,
    createdAt: now,
    expiresAt: ms(now + SESSION_IDLE_MS),
  });
  void reply.setCookie(SESSION_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: isSecureRequest(request),
  });
  return csrfToken;
}

export async function endSession(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const principal = request.principal;
  if (principal?.kind === 'session') await deleteSession(db, principal.sessionHash);
  void reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: isSecureRequest(request),
  });
}

// ---- login throttling ----------------------------------------------------------------------------

export interface ThrottleLimits {
  /** Failed sign-ins allowed for one username from one client address in the window. Default 5. */
  readonly perUsernameAndAddress: number;
  /** Failed sign-ins allowed from one client address (any usernames) in the window. Default 20. */
  readonly perAddress: number;
  /**
   * Failed sign-ins of one username (from any address) in the window after which each further
   * try waits before its password is checked. It is never refused for this. Default 10.
   */
  readonly slowDownAfter: number;
  /** The first wait, doubled with each further failure. Default 250 ms. */
  readonly slowDownMs: number;
  /** The longest wait. Default 8 s. */
  readonly maxSlowDownMs: number;
  /** Default 15 minutes. */
  readonly windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = {
  perUsernameAndAddress: 5,
  perAddress: 20,
  slowDownAfter: 10,
  slowDownMs: 250,
  maxSlowDownMs: 8000,
  windowMs: 15 * 60 * 1000,
};

/** The answer of `LoginThrottle.reserve`: refused, or a counted attempt to check the password of. */
export type LoginAttempt =
  | { readonly allowed: false; readonly retryAfterSeconds: number }
  | {
      readonly allowed: true;
      /** How long to wait before checking the password (the username's slow-down). */
      readonly delayMs: number;
      /** The password was right: the attempt no longer counts as a failure. */
      succeeded(): void;
    };

/**
 * Counts failed sign-ins in a sliding window per (username, address), per address and per
 * username. Each attempt is counted *before* its password is checked, so a concurrent burst can
 * never get more checks than the limits; a right password takes its attempt back. Over the
 * (username, address) or the address limit, sign-in from that address is refused (even with the
 * right password) until the window passes; failures of a username from everywhere only slow its
 * tries down, so nobody at another address can lock a user out.
 *
 * @example const attempt = throttle.reserve('alice', '192.0.2.1', Date.now()); if (attempt.allowed && ok) attempt.succeeded();
 */
export class LoginThrottle {
  readonly #limits: ThrottleLimits;
  readonly #failures = new Map<string, number[]>();

  constructor(limits: Partial<ThrottleLimits> = {}) {
    this.#limits = { ...DEFAULT_THROTTLE, ...limits };
  }

  #recent(key: string, now: number): number[] {
    const kept = (this.#failures.get(key) ?? []).filter((t) => now - t < this.#limits.windowMs);
    if (kept.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, kept);
    return kept;
  }

  /** Seconds until the key is under its limit again, or 0 when it is under it now. */
  #wait(key: string, limit: number, now: number): number {
    const recent = this.#recent(key, now);
    const oldest = recent[recent.length - limit];
    if (recent.length < limit || oldest === undefined) return 0;
    return Math.max(1, Math.ceil((oldest + this.#limits.windowMs - now) / 1000));
  }

  #delayMs(failures: number): number {
    const { slowDownAfter, slowDownMs, maxSlowDownMs } = this.#limits;
    if (failures < slowDownAfter) return 0;
    return Math.min(slowDownMs * 2 ** Math.min(failures - slowDownAfter, 30), maxSlowDownMs);
  }

  #count(key: string, now: number): void {
    const recent = this.#recent(key, now);
    recent.push(now);
    this.#failures.set(key, recent);
  }

  #uncount(key: string, at: number): void {
    const list = this.#failures.get(key);
    const index = list?.lastIndexOf(at) ?? -1;
    if (!list || index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.#failures.delete(key);
  }

  /** Counts one sign-in attempt as a failure unless it is refused; see `LoginAttempt`. */
  reserve(username: string, address: string, now: number): LoginAttempt {
    const name = username.toLowerCase();
    const pair = `ua:${address}\n${name}`;
    const byAddress = `a:${address}`;
    const byUser = `u:${name}`;
    const wait = Math.max(
      this.#wait(pair, this.#limits.perUsernameAndAddress, now),
      this.#wait(byAddress, this.#limits.perAddress, now),
    );
    if (wait > 0) return { allowed: false, retryAfterSeconds: wait };
    const delayMs = this.#delayMs(this.#recent(byUser, now).length);
    if (this.#failures.size > 100_000) this.#failures.clear();
    for (const key of [pair, byAddress, byUser]) this.#count(key, now);
    return {
      allowed: true,
      delayMs,
      succeeded: () => {
        this.#failures.delete(pair);
        this.#uncount(byAddress, now);
        this.#uncount(byUser, now);
      },
    };
  }
}
