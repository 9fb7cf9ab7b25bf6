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
import { deleteOtherSessionsOfUser, deleteSessionsOfUser } from '../store/sessions.js';
import { ConflictError } from '../domain/errors.js';
import {
  countAdmins,
  createUser,
  deleteUser,
  findPasswordHash,
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

// ---- the password policy ---------------------------------------------------------------------------

/**
 * The password policy, stated once: every password set anywhere (a new user, the first admin,
 * a user's own change, an admin's reset, the command line) passes `checkPassword`, and each rule
 * broken is named in the error.
 */
export const PASSWORD_POLICY = {
  minLength: 12,
  maxLength: 512,
  rules: ['at least 12 characters', 'not the user name', 'not the password it replaces'],
} as const;

export const MIN_PASSWORD_LENGTH = PASSWORD_POLICY.minLength;

const Password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(PASSWORD_POLICY.maxLength, `must be at most ${PASSWORD_POLICY.maxLength} characters`);

/**
 * Checks a password against the policy for the user `username`; with `replacedHash`, also that
 * it is not the password it replaces. Throws one `InputError` naming `field` and every rule the
 * password breaks.
 *
 * @example await checkPassword('newPassword', input.newPassword, { username, replacedHash });
 */
export async function checkPassword(
  field: string,
  password: string,
  context: { readonly username: string; readonly replacedHash?: string | undefined },
): Promise<void> {
  const problems: string[] = [];
  const parsed = Password.safeParse(password);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => issue.message));
  if (password.trim().toLowerCase() === context.username.trim().toLowerCase())
    problems.push('must not be the user name');
  if (
    problems.length === 0 &&
    context.replacedHash !== undefined &&
    (await verifyPassword(password, context.replacedHash))
  )
    problems.push('must not be the password it replaces');
  if (problems.length === 0) return;
  const details = problems.map((message) => ({ field, message }));
  throw new InputError(details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
}

// ---- users -----------------------------------------------------------------------------------------

export const NewUserInput = z
  .object({
    username: z
      .string()
      .trim()
      .min(1, 'is required')
      .max(100)
      .regex(/^[A-Za-z0-9._@-]+$/, 'may contain letters, digits and . _ @ - only'),
    password: z.string().max(PASSWORD_POLICY.maxLength),
    role: z.enum(ROLES),
    identityId: z.string().min(1).max(100).nullable().optional(),
  })
  .strict();

export const UserPatchInput = z
  .object({
    password: z.string().max(PASSWORD_POLICY.maxLength).optional(),
    role: z.enum(ROLES).optional(),
    identityId: z.string().min(1).max(100).nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

export async function createUserFromInput(db: Db, input: unknown): Promise<User> {
  const parsed = parseInput(NewUserInput, input);
  await checkPassword('password', parsed.password, { username: parsed.username });
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
 * out everywhere. A password set here is an admin's reset: the user changes it at their next
 * sign-in (see `resetPassword`).
 */
export async function updateUserFromInput(db: Db, id: string, input: unknown): Promise<User> {
  const parsed = parseInput(UserPatchInput, input);
  let passwordHash: string | undefined;
  if (parsed.password !== undefined) {
    const current = await getUser(db, id);
    await checkPassword('password', parsed.password, {
      username: current.username,
      replacedHash: await findPasswordHash(db, id),
    });
    passwordHash = await hashPassword(parsed.password);
  }
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
      ...(passwordHash === undefined ? {} : { passwordHash, mustChangePassword: true }),
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

export const PasswordChangeInput = z
  .object({
    currentPassword: z.string().min(1, 'is required').max(PASSWORD_POLICY.maxLength),
    newPassword: z.string().max(PASSWORD_POLICY.maxLength),
  })
  .strict();

/** Why a password change was refused because the current password was wrong. */
export class WrongPasswordError extends InputError {
  constructor() {
    super('currentPassword: is wrong', [{ field: 'currentPassword', message: 'is wrong' }]);
  }
}

/**
 * A user changes their own password: the current one must be right (else `WrongPasswordError`)
 * and the new one pass the policy. Clears "must change password" and ends every session of the
 * user but `keepSessionHash` (the one asking; none for an API token). Throws before changing
 * anything when a check fails.
 *
 * @example await changeOwnPassword(db, user.id, request.body, principal.sessionHash);
 */
export async function changeOwnPassword(
  db: Db,
  userId: string,
  input: unknown,
  keepSessionHash: string | undefined,
): Promise<{ readonly user: User; readonly sessionsEnded: number }> {
  const parsed = parseInput(PasswordChangeInput, input);
  const user = await getUser(db, userId);
  const currentHash = await findPasswordHash(db, userId);
  if (currentHash === undefined || !(await verifyPassword(parsed.currentPassword, currentHash)))
    throw new WrongPasswordError();
  await checkPassword('newPassword', parsed.newPassword, {
    username: user.username,
    replacedHash: currentHash,
  });
  const passwordHash = await hashPassword(parsed.newPassword);
  return db.transaction().execute(async (trx) => {
    const updated = await updateUser(trx, userId, { passwordHash, mustChangePassword: false });
    const sessionsEnded = await deleteOtherSessionsOfUser(trx, userId, keepSessionHash);
    return { user: updated, sessionsEnded };
  });
}

export const PasswordResetInput = z
  .object({ newPassword: z.string().max(PASSWORD_POLICY.maxLength) })
  .strict();

/**
 * Someone else sets a user's password (an admin in the console or API, or the command line):
 * the policy holds, every session of the user ends, and the user must change it at their next
 * sign-in.
 *
 * @example await resetPassword(db, target.id, { newPassword });
 */
export async function resetPassword(db: Db, userId: string, input: unknown): Promise<User> {
  const parsed = parseInput(PasswordResetInput, input);
  const user = await getUser(db, userId);
  await checkPassword('newPassword', parsed.newPassword, {
    username: user.username,
    replacedHash: await findPasswordHash(db, userId),
  });
  const passwordHash = await hashPassword(parsed.newPassword);
  return db.transaction().execute(async (trx) => {
    const updated = await updateUser(trx, userId, { passwordHash, mustChangePassword: true });
    await deleteSessionsOfUser(trx, userId);
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
  options: {
    readonly keepPassword?: () => Promise<void>;
    /** The password was generated: the admin changes it at first sign-in. */
    readonly mustChangePassword?: boolean;
  } = {},
): Promise<User | undefined> {
  // Every later start: one count, no hashing.
  if (password === undefined || (await countAdmins(db)) > 0) return undefined;
  const parsed = parseInput(NewUserInput, { username: 'admin', password, role: 'admin' });
  await checkPassword('DUO_INSIGHTS_ADMIN_PASSWORD', parsed.password, {
    username: parsed.username,
  });
  // Hashing takes a while: before taking the lock, not while other servers wait for it.
  const passwordHash = await hashPassword(parsed.password);
  return withAdminsLocked(db, async (trx) => {
    if ((await countAdmins(trx)) > 0) return undefined;
    const admin = await createUser(trx, {
      username: parsed.username,
      passwordHash,
      role: parsed.role,
      identityId: null,
      mustChangePassword: options.mustChangePassword === true,
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
