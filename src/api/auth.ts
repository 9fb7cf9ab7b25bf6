/**
 * Who is asking, and may they: sessions (HttpOnly, SameSite=Strict cookie; Secure behind TLS),
 * CSRF tokens for cookie sessions, API tokens (`Authorization: Bearer …`, no CSRF), roles, the
 * source-manager rule, and login throttling. Every route is closed unless it says `public`.
 *
 * @example app.post('/api/v1/sources', { preHandler: requireRole('admin', 'source_manager') }, …)
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Source } from '../domain/sources.js';
import { isoFromMs, ms, type EpochMs } from '../domain/time.js';
import type { Role, User } from '../domain/users.js';
import { findApiTokenByHash, touchApiToken } from '../store/api-tokens.js';
import type { Db } from '../store/dialect.js';
import { listGovernanceGroupsOfIdentity } from '../store/governance-groups.js';
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
 * mutating requests of cookie sessions need the session's CSRF token in `x-csrf-token`.
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
}

/** The signed-in user (the gate has run: a non-public route always has one). */
export function userOf(request: FastifyRequest): User {
  const principal = request.principal;
  if (!principal) throw new ApiError('unauthenticated', 'sign in first (or send an API token)');
  return principal.user;
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

/**
 * Whether a user may manage (configure, test, run, change, delete) a source: admins always;
 * source managers when their identity owns it or belongs to its governance group.
 */
export async function canManageSource(db: Db, user: User, source: Source): Promise<boolean> {
  if (user.role === 'admin') return true;
  if (user.role !== 'source_manager' || user.identityId === null) return false;
  if (source.ownerIdentityId === user.identityId) return true;
  if (source.governanceGroupId === null) return false;
  const groups = await listGovernanceGroupsOfIdentity(db, user.identityId);
  return groups.some((g) => g.id === source.governanceGroupId);
}

export async function assertCanManageSource(db: Db, user: User, source: Source): Promise<void> {
  if (!(await canManageSource(db, user, source)))
    throw new ApiError(
      'forbidden',
      user.role === 'source_manager'
        ? `you manage only sources you own or whose governance group you belong to; "${source.name}" is not one of them`
        : `this needs the role admin or source_manager; you are ${user.role}`,
    );
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
  /** Failed sign-ins allowed per username within the window. Default 5. */
  readonly perUsername: number;
  /** Failed sign-ins allowed per client address within the window. Default 20. */
  readonly perAddress: number;
  /** Default 15 minutes. */
  readonly windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = {
  perUsername: 5,
  perAddress: 20,
  windowMs: 15 * 60 * 1000,
};

/**
 * Counts failed sign-ins per username and per address in a sliding window; once either is over
 * its limit, sign-in is refused (even with the right password) until the window passes.
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

  /** Seconds to wait before trying again, or 0 when sign-in may be tried now. */
  retryAfterSeconds(username: string, address: string, now: number): number {
    const checks: [string, number][] = [
      [`u:${username.toLowerCase()}`, this.#limits.perUsername],
      [`a:${address}`, this.#limits.perAddress],
    ];
    let wait = 0;
    for (const [key, limit] of checks) {
      const recent = this.#recent(key, now);
      const oldest = recent[recent.length - limit];
      if (recent.length >= limit && oldest !== undefined)
        wait = Math.max(wait, Math.ceil((oldest + this.#limits.windowMs - now) / 1000));
    }
    return wait;
  }

  fail(username: string, address: string, now: number): void {
    for (const key of [`u:${username.toLowerCase()}`, `a:${address}`]) {
      const recent = this.#recent(key, now);
      recent.push(now);
      this.#failures.set(key, recent);
    }
    if (this.#failures.size > 100_000) this.#failures.clear();
  }

  succeed(username: string): void {
    this.#failures.delete(`u:${username.toLowerCase()}`);
  }
}
