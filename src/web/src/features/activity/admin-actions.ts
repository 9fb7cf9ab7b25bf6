/**
 * Duo administrator-log records in words: who did what to which object, and the description's
 * fields (Duo sends them as a JSON string, sometimes not valid JSON) as "label: value". The
 * identity page and the administrator-actions report both read actions through `describeAdminAction`.
 *
 * @example describeAdminAction({ admin: 'Ana Silva', action: 'user_delete', object: 'bob', description: null }).text
 * // "Ana Silva deleted user bob"
 */
import type { ActivityEvent, AdminAction } from '../../../../api/contract/index.js';

/** The fields of a record that say what happened (the report's and the timeline's alike). */
export interface AdminActionRecord {
  /** Duo's `username`: the administrator's name; empty or null when Duo names none. */
  readonly admin: string | null;
  readonly action: string | null;
  readonly object: string | null;
  /** Duo's `description`: a JSON string of the changed fields, free text, or nothing. */
  readonly description: unknown;
}

export interface AdminActionWords {
  /** The administrator's name, or who acted when Duo names no administrator. */
  readonly who: string;
  /** What was done to which object, without who: "added phone +1 555-0100 to user bob". */
  readonly what: string;
  /** The description's fields in words: "status: Disabled", "real name: Emily Parker". */
  readonly details: readonly string[];
  /** The whole sentence: who, what, then the details. */
  readonly text: string;
}

/** Actions whose words are not "<verb> <kind> <object>" (Duo's documented administrator actions). */
const PHRASES: Readonly<Record<string, (object: string | null) => string>> = {
  admin_login: () => 'signed in to the Admin Panel',
  admin_login_error: () => 'failed to sign in to the Admin Panel',
  admin_2fa_error: () => 'failed two-factor authentication to the Admin Panel',
  admin_logout: () => 'signed out of the Admin Panel',
  admin_self_activate: () => 'activated their own administrator account',
  admin_activate_duo_push: (o) => (o ? `activated Duo Push on ${o}` : 'activated Duo Push'),
  admin_reset_password: (o) => `reset the password of administrator${named(o)}`,
  activation_begin: (o) => `began activating phone${named(o)}`,
  activation_create_link: (o) => `created an activation link for phone${named(o)}`,
  activation_send_link: (o) => `sent an activation link to phone${named(o)}`,
  bypass_create: (o) => `created bypass codes for user${named(o)}`,
  bypass_delete: (o) => `deleted bypass codes of user${named(o)}`,
  bypass_view: (o) => `viewed bypass codes of user${named(o)}`,
  admin_send_reset_password_email: (o) =>
    `sent a password-reset e-mail to administrator${named(o)}`,
  admin_activation_send_email: (o) => `sent an activation e-mail to administrator${named(o)}`,
  customer_update: () => 'changed the account settings',
  config_update: () => 'changed the account settings',
  integration_skey_view: (o) => `viewed the secret key of application${named(o)}`,
  integration_group_add: (o) => `limited application${named(o)} to a group`,
  integration_group_remove: (o) => `removed a group limit from application${named(o)}`,
  integration_policy_assign: (o) => `assigned a policy to application${named(o)}`,
  integration_policy_unassign: (o) => `removed a policy from application${named(o)}`,
  phone_associate: (o) => `attached phone${named(o)} to a user`,
  phone_disassociate: (o) => `detached phone${named(o)} from a user`,
  phone_new_sms_passcode: (o) => `sent new SMS passcodes to phone${named(o)}`,
  user_pending_delete: (o) => `marked user${named(o)} for deletion`,
  user_import: () => 'imported users',
  user_bulk_enroll: () => 'enrolled users in bulk',
  user_bulk_activate: () => 'sent activation links to users in bulk',
  user_send_enroll_email: (o) => `sent an enrollment e-mail to user${named(o)}`,
};

/** What kind of object each action prefix names. */
const KINDS: Readonly<Record<string, string>> = {
  admin: 'administrator',
  user: 'user',
  phone: 'phone',
  group: 'group',
  integration: 'application',
  token: 'hardware token',
  hardkey: 'hardware token',
  webauthn: 'security key',
  policy: 'policy',
  desktoptoken: 'desktop token',
  customer: 'account',
};

const VERBS: Readonly<Record<string, string>> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  add: 'added',
  remove: 'removed',
  view: 'viewed',
  reset: 'reset',
  send: 'sent',
  enable: 'enabled',
  disable: 'disabled',
  sync: 'synced',
  restore: 'restored',
  assign: 'assigned',
  unassign: 'unassigned',
};

/** Phones and tokens are added to, and removed from, someone. */
const ADDED: ReadonlySet<string> = new Set(['phone', 'token', 'webauthn', 'desktoptoken']);

/** How the description's field names read. */
const LABELS: Readonly<Record<string, string>> = {
  realname: 'real name',
  email: 'e-mail',
  desc: 'description',
  ip_address: 'IP address',
  primary_auth_method: 'primary method',
  last_directory_sync: 'directory sync',
  helpdesk_bypass: 'Help Desk bypass',
  helpdesk_bypass_expiration: 'Help Desk bypass expiry (minutes)',
};

function named(object: string | null): string {
  return object ? ` ${object}` : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "adminapi_read_log" → "Admin API read log". */
function label(key: string): string {
  return (
    LABELS[key] ??
    key
      .replace(/^adminapi_/, 'Admin API ')
      .replace(/_/g, ' ')
      .trim()
  );
}

function value(key: string, v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (key === 'last_directory_sync' && typeof v === 'number')
    return new Date(v * 1000).toISOString().replace('T', ' ').slice(0, 16);
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  if (Array.isArray(v)) {
    const items = v.map((item) => value('', item)).filter((item) => item !== null);
    return items.length > 0 ? items.join(', ') : null;
  }
  if (isRecord(v)) {
    const inner = fieldWords(v);
    return inner.length > 0 ? inner.join(', ') : null;
  }
  return null;
}

function fieldWords(fields: Record<string, unknown>): string[] {
  return Object.entries(fields).flatMap(([key, v]) => {
    const text = value(key, v);
    return text === null ? [] : [`${label(key)}: ${text}`];
  });
}

/**
 * The description as fields, or as text when it is free text. Duo's JSON strings are parsed;
 * a Python-style dict (single quotes) or a cut-off JSON string gives what pairs it holds.
 */
export function descriptionFields(description: unknown): Record<string, unknown> | string | null {
  if (description === null || description === undefined || description === '') return null;
  if (isRecord(description)) return description;
  if (typeof description !== 'string') return null;
  const text = description.trim();
  if (!text.startsWith('{')) return text;
  for (const candidate of [text, text.replace(/'/g, '"')]) {
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (isRecord(parsed)) return parsed;
    } catch {
      // not JSON as it stands: the pairs are read one by one below
    }
  }
  const fields: Record<string, unknown> = {};
  const pair =
    /["']([\w.-]+)["']\s*:\s*(?:"((?:[^"\\]|\\.)*)"?|'([^']*)'?|(true|false|null|-?\d+(?:\.\d+)?))/g;
  for (const m of text.matchAll(pair)) {
    const key = m[1] ?? '';
    const literal = m[4];
    fields[key] =
      literal === undefined
        ? (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1')
        : literal === 'null'
          ? null
          : literal === 'true' || literal === 'false'
            ? literal === 'true'
            : Number(literal);
  }
  return Object.keys(fields).length > 0 ? fields : null;
}

/** What was done, from the action's name: its phrase, else "<verb> <kind> <object>". */
function whatOf(action: string, object: string | null, owner: string | null): string {
  const phrase = PHRASES[action];
  if (phrase) return phrase(object);
  const parts = action.split('_');
  const prefix = parts[0] ?? '';
  const verb = VERBS[parts[parts.length - 1] ?? ''];
  const kind = KINDS[prefix];
  if (verb !== undefined && kind !== undefined && parts.length === 2) {
    const added = ADDED.has(prefix);
    const past =
      added && verb === 'created' ? 'added' : added && verb === 'deleted' ? 'removed' : verb;
    const whose = owner
      ? past === 'added'
        ? ` to user ${owner}`
        : past === 'removed'
          ? ` from user ${owner}`
          : ` of user ${owner}`
      : '';
    return `${past} ${kind}${named(object)}${whose}`;
  }
  // An action this console does not know: its name in words, on its object.
  const words = action.replace(/_/g, ' ').trim();
  return `performed “${words}”${object ? ` on ${object}` : ''}`;
}

export function describeAdminAction(record: AdminActionRecord): AdminActionWords {
  const action = (record.action ?? '').trim();
  const object = record.object?.trim() ? record.object.trim() : null;
  const parsed = descriptionFields(record.description);
  const all = isRecord(parsed) ? parsed : {};
  // A phone or token belongs to a user the description may name: it goes in the sentence.
  const ownerKey = ADDED.has(action.split('_')[0] ?? '')
    ? ['username', 'user'].find((key) => typeof all[key] === 'string' && all[key] !== '')
    : undefined;
  const owner = ownerKey === undefined ? null : String(all[ownerKey]);
  // Nor does a field repeating the object (a created user's username) say anything more.
  const fields = Object.fromEntries(
    Object.entries(all).filter(([key, v]) => key !== ownerKey && (object === null || v !== object)),
  );
  const admin = record.admin?.trim();
  const who = admin
    ? admin
    : 'last_directory_sync' in all
      ? 'Directory sync'
      : 'Unnamed administrator';
  const what = action ? whatOf(action, object, owner) : `changed${named(object)}`;
  const details = typeof parsed === 'string' ? [parsed] : fieldWords(fields);
  const text = `${who} ${what}${details.length > 0 ? ` — ${details.join('; ')}` : ''}`;
  return { who, what, details, text };
}

/** A report row as a record. */
export function adminActionRecord(action: AdminAction): AdminActionRecord {
  return {
    admin: action.admin,
    action: action.action,
    object: action.object,
    description: action.description,
  };
}

/** A timeline event of the administrator log as a record: Duo's fields from its payload. */
export function adminEventRecord(event: ActivityEvent): AdminActionRecord {
  const p = isRecord(event.payload) ? event.payload : {};
  const text = (key: string, fallback: string | null): string | null =>
    typeof p[key] === 'string' ? p[key] : fallback;
  return {
    admin: text('username', event.username),
    action: text('action', event.result),
    object: text('object', event.application),
    description: p['description'] ?? null,
  };
}
