/**
 * Zod schemas shared by several routes: ids in paths, paging, the public shapes of users and
 * sources (what a response may carry — never a secret), and the CSV switch of reports.
 *
 * @example schema: { params: IdParams, querystring: PageQuery }
 */
import { z } from 'zod';
import { ROLES } from '../domain/users.js';

/**
 * The body of an action that takes none (`POST …/test-connection`): no body, an empty one or
 * `{}`; anything else is refused rather than ignored.
 */
export const NoBody = z.object({}).strict().optional();

export const IdParams = z.object({ id: z.string().min(1).max(100) });

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(500).optional(),
});

export const FormatQuery = z.object({ format: z.enum(['json', 'csv']).optional() });

export const PublicUser = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  identityId: z.string().nullable(),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

/** A user as responses show it: the fields of `PublicUser`, never the password hash. */
export function publicUser(user: z.input<typeof PublicUser>): z.output<typeof PublicUser> {
  return PublicUser.parse(user);
}

/** `a,b` or repeated parameters, as a list. */
export const ListQuery = z
  .union([z.string(), z.array(z.string())])
  .transform((v) =>
    (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0),
  );

/**
 * The first field whose text holds a NUL character (U+0000), or `undefined`. PostgreSQL text
 * cannot store one, and no name, id or query here has a use for it: it is refused at the edge,
 * on both databases alike.
 *
 * @example fieldWithNul({ name: 'a\u0000b' }, 'body') // 'name'
 */
export function fieldWithNul(
  value: unknown,
  where: string,
  path: string[] = [],
): string | undefined {
  if (typeof value === 'string')
    return value.includes('\u0000') ? (path.length > 0 ? path.join('.') : where) : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = key.includes('\u0000')
      ? [...path, key].join('.')
      : fieldWithNul(item, where, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}
