/**
 * What people do with users and API tokens, shared by the CLI (`duo-insights user create`,
 * `token create`) and the HTTP API: create (input validated once, password hashed with scrypt),
 * change, and issue tokens (shown once, stored hashed). Also the first admin from the
 * environment (`DUO_INSIGHTS_ADMIN_PASSWORD`) on first start.
 *
 * @example const { token } = await issueApiToken(db, { name: 'SIEM export' }, admin.id, now);
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { DAY_MS, isoFromMs, ms, type EpochMs } from '../domain/time.js';
import { ROLES, type ApiToken, type User } from '../domain/users.js';
import { createApiToken } from '../store/api-tokens.js';
import type { Db } from '../store/dialect.js';
import { deleteSessionsOfUser } from '../store/sessions.js';
import { ConflictError } from '../domain/errors.js';
import {
  countAdmins,
  createUser,
  deleteUser,
  getUser,
  updateUser,
  withAdminsLocked,
  type UserPatch,
} from '../store/users.js';
import { InputError, parseInput } from './sources.js';

// ---- passwords -------------------------------------------------------------------------------------

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 64, maxmem: 64 * 1024 * 1024 } as const;

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, keylen, options, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/** `scrypt$N$r$p$salt$hash` (base64): the parameters travel with the hash. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keylen, SCRYPT);
  return [
    'scrypt',
    SCRYPT.N,
    SCRYPT.r,
    SCRYPT.p,
    salt.toString('base64'),
    key.toString('base64'),
  ].join('$');
}

/** Compares in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash to compare against when the user does not exist, so timing does not tell. */
export const DUMMY_PASSWORD_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' + Buffer.alloc(64).toString('base64');

// ---- users -----------------------------------------------------------------------------------------

export const MIN_PASSWORD_LENGTH = 12;

const Password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(512);

export const NewUserInput = z
  .object({
    username: z
      .string()
      .trim()
      .min(1, 'is required')
      .max(100)
      .regex(/^[A-Za-z0-9._@-]+$/, 'may contain letters, digits and . _ @ - only'),
    password: Password,
    role: z.enum(ROLES),
    identityId: z.string().min(1).max(100).nullable().optional(),
  })
  .strict();

export const UserPatchInput = z
  .object({
    password: Password.optional(),
    role: z.enum(ROLES).optional(),
    identityId: z.string().min(1).max(100).nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

export async function createUserFromInput(db: Db, input: unknown): Promise<User> {
  const parsed = parseInput(NewUserInput, input);
  return createUser(db, {
    username: parsed.username,
    passwordHash: await hashPassword(parsed.password),
    role: parsed.role,
    identityId: parsed.identityId ?? null,
  });
}

/**
 * Changes a user. The last enabled admin cannot be demoted or disabled (checked and changed in
 * one transaction holding the admins lock); a new password, role or disabling signs the user
 * out everywhere.
 */
export async function updateUserFromInput(db: Db, id: string, input: unknown): Promise<User> {
  const parsed = parseInput(UserPatchInput, input);
  const passwordHash =
    parsed.password === undefined ? undefined : await hashPassword(parsed.password);
  return withAdminsLocked(db, async (trx) => {
    const current = await getUser(trx, id);
    const losesAdmin =
      current.role === 'admin' &&
      !current.disabled &&
      ((parsed.role !== undefined && parsed.role !== 'admin') || parsed.disabled === true);
    if (losesAdmin && (await countAdmins(trx)) <= 1) {
      throw new InputError('role: the last admin cannot be demoted or disabled', [
        { field: 'role', message: 'the last admin cannot be demoted or disabled' },
      ]);
    }
    const patch: UserPatch = {
      ...(passwordHash === undefined ? {} : { passwordHash }),
      ...(parsed.role === undefined ? {} : { role: parsed.role }),
      ...(parsed.identityId === undefined ? {} : { identityId: parsed.identityId }),
      ...(parsed.disabled === undefined ? {} : { disabled: parsed.disabled }),
    };
    const updated = await updateUser(trx, id, patch);
    if (parsed.password !== undefined || parsed.role !== undefined || parsed.disabled === true)
      await deleteSessionsOfUser(trx, id);
    return updated;
  });
}

/**
 * Deletes a user for `actingUserId` (an admin): never the actor itself, never the last enabled
 * admin (checked and deleted in one transaction holding the admins lock). Returns the user
 * deleted, for the audit trail.
 *
 * @example const gone = await removeUser(db, request.params.id, userOf(request).id);
 */
export async function removeUser(db: Db, id: string, actingUserId: string): Promise<User> {
  return withAdminsLocked(db, async (trx) => {
    const user = await getUser(trx, id);
    if (user.id === actingUserId)
      throw new ConflictError('you cannot delete yourself; ask another admin');
    if (user.role === 'admin' && !user.disabled && (await countAdmins(trx)) <= 1)
      throw new ConflictError('the last admin cannot be deleted; make another user an admin first');
    await deleteUser(trx, user.id);
    return user;
  });
}

/**
 * On first start: when no admin exists and a password is given, creates the user `admin`.
 * The check and the creation are one transaction holding the admins lock, so servers starting
 * at once on one empty database create one admin between them (the others find it and do
 * nothing). `keepPassword` runs inside that transaction once the admin is created — only in the
 * process that created it — to put a generated password where its owner finds it; when it
 * throws, no admin is created. Returns the user created, or undefined when there was nothing
 * to do.
 *
 * @example await ensureFirstAdmin(db, generated, { keepPassword: () => writeFile(path, generated) });
 */
export async function ensureFirstAdmin(
  db: Db,
  password: string | undefined,
  options: { readonly keepPassword?: () => Promise<void> } = {},
): Promise<User | undefined> {
  // Every later start: one count, no hashing.
  if (password === undefined || (await countAdmins(db)) > 0) return undefined;
  const parsed = parseInput(NewUserInput, { username: 'admin', password, role: 'admin' });
  // Hashing takes a while: before taking the lock, not while other servers wait for it.
  const passwordHash = await hashPassword(parsed.password);
  return withAdminsLocked(db, async (trx) => {
    if ((await countAdmins(trx)) > 0) return undefined;
    const admin = await createUser(trx, {
      username: parsed.username,
      passwordHash,
      role: parsed.role,
      identityId: null,
    });
    await options.keepPassword?.();
    return admin;
  });
}

// ---- API tokens ------------------------------------------------------------------------------------

export const TOKEN_PREFIX = 'dit_';

const EXPIRY_FORM =
  'must be an ISO 8601 date-time with a time zone (e.g. 2027-03-01T00:00:00Z) or whole epoch milliseconds';

/** The longest a token may live: 10 years. */
export const MAX_TOKEN_DAYS = 3650;

/**
 * A new token: its name and when it expires — an ISO 8601 date-time with an offset, or epoch
 * milliseconds; null or absent: never. The expiry must be after `now` and within 10 years.
 *
 * @example newTokenInput(now).parse({ name: 'SIEM export', expiresAt: '2027-03-01T00:00:00Z' })
 */
export function newTokenInput(now: EpochMs) {
  return z
    .object({
      name: z.string().trim().min(1, 'is required').max(100),
      expiresAt: z
        .union(
          [
            z.iso.datetime({ offset: true, error: EXPIRY_FORM }),
            z.number({ error: EXPIRY_FORM }).int({ error: EXPIRY_FORM }).nonnegative(),
          ],
          { error: EXPIRY_FORM },
        )
        .transform((v) => ms(typeof v === 'number' ? v : Date.parse(v)))
        .refine((v) => v > now, {
          error: `must be in the future (the server's time is ${isoFromMs(now)})`,
        })
        .refine((v) => v <= now + MAX_TOKEN_DAYS * DAY_MS, {
          error: `must be within ${MAX_TOKEN_DAYS} days (10 years)`,
        })
        .nullable()
        .optional(),
    })
    .strict();
}

/** SHA-256 (hex) of a session id or API token: what the database keeps. */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Creates a token acting as `userId`, optionally expiring (see `newTokenInput`); the returned
 * `token` is shown once and never again.
 */
export async function issueApiToken(
  db: Db,
  input: unknown,
  userId: string,
  now: EpochMs,
): Promise<{ readonly token: string; readonly apiToken: ApiToken }> {
  const parsed = parseInput(newTokenInput(now), input);
  await getUser(db, userId);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const apiToken = await createApiToken(db, {
    name: parsed.name,
    userId,
    tokenHash: secretDigest(token),
    prefix: token.slice(0, TOKEN_PREFIX.length + 6),
    createdAt: now,
    expiresAt: parsed.expiresAt ?? null,
  });
  return { token, apiToken };
}
