/**
 * Correlation links each account to the identity of the person who holds it: first an identity
 * already linked to an account with the same Duo `user_id` (in any source), then by e-mail, then
 * by username, then by any alias (as e-mail or username). A key that matches two identities
 * links nothing and is reported: a person decides. Unmatched accounts get a new identity when
 * the source says so (the default). Links made by hand (`manual`) are never touched, and an
 * existing link survives re-aggregation because it is kept on the account (keyed by user_id).
 *
 * Accounts are correlated a page at a time: a few queries per page, not per account, and the
 * identities a page creates are matched by the accounts after them.
 *
 * @example const outcome = await correlateAccounts(ctx.db, sourceId, { createIdentities: true });
 */
import type { Account, Correlation } from '../domain/accounts.js';
import type { Identity } from '../domain/identities.js';
import {
  findIdentitiesOfDuoUsers,
  linkAccounts,
  streamAccounts,
  type AccountLink,
} from '../store/accounts.js';
import type { Db } from '../store/dialect.js';
import {
  findIdentitiesByEmails,
  findIdentitiesByUsernames,
  newIdentityId,
  type NewIdentityWithId,
} from '../store/identities.js';

export interface CorrelationOutcome {
  readonly linked: Readonly<Record<Exclude<Correlation, 'manual'>, number>>;
  /** Accounts left without an identity because a key matched several identities. */
  readonly ambiguous: readonly {
    readonly accountId: number;
    readonly username: string;
    readonly key: string;
  }[];
  /** Accounts left without an identity (no match, and identities are not created). */
  readonly unmatched: number;
}

type Candidate = Pick<Identity, 'id'>;

/** Identities by lowered key; a key with two or more identities is ambiguous. */
class KeyIndex {
  readonly #byKey = new Map<string, Map<string, Candidate>>();

  add(key: string | null | undefined, identity: Candidate): void {
    if (!key) return;
    const lowered = key.toLowerCase();
    let set = this.#byKey.get(lowered);
    if (!set) {
      set = new Map();
      this.#byKey.set(lowered, set);
    }
    set.set(identity.id, identity);
  }

  lookup(key: string): Candidate[] {
    return [...(this.#byKey.get(key.toLowerCase())?.values() ?? [])];
  }
}

export async function correlateAccounts(
  db: Db,
  sourceId: string,
  options: { readonly createIdentities: boolean },
): Promise<CorrelationOutcome> {
  const linked = { user_id: 0, email: 0, username: 0, alias: 0, created: 0 };
  const ambiguous: { accountId: number; username: string; key: string }[] = [];
  let unmatched = 0;
  for await (const page of streamAccounts(db, { sourceId, uncorrelated: true })) {
    const byDuoUser = await findIdentitiesOfDuoUsers(
      db,
      page.map((a) => a.duoUserId),
    );
    const keys = page.flatMap((a) => [a.username, ...a.aliases, ...(a.email ? [a.email] : [])]);
    const emails = new KeyIndex();
    for (const identity of await findIdentitiesByEmails(db, keys))
      emails.add(identity.email, identity);
    const usernames = new KeyIndex();
    for (const identity of await findIdentitiesByUsernames(db, keys)) {
      usernames.add(identity.username, identity);
    }

    const create: NewIdentityWithId[] = [];
    const links: AccountLink[] = [];
    for (const account of page) {
      const match = findMatch(account, byDuoUser, emails, usernames);
      if (match.kind === 'ambiguous') {
        ambiguous.push({ accountId: account.id, username: account.username, key: match.key });
        continue;
      }
      if (match.kind === 'found') {
        links.push({ accountId: account.id, identityId: match.id, correlation: match.correlation });
        linked[match.correlation]++;
        continue;
      }
      if (!options.createIdentities) {
        unmatched++;
        continue;
      }
      const identity: NewIdentityWithId = {
        id: newIdentityId(),
        displayName: account.realname ?? account.username,
        email: account.email,
        username: account.username,
      };
      create.push(identity);
      // Later accounts of this page (the same person in another source) match it.
      emails.add(identity.email, identity);
      usernames.add(identity.username, identity);
      links.push({ accountId: account.id, identityId: identity.id, correlation: 'created' });
      linked.created++;
    }
    await linkAccounts(db, { create, links });
  }
  return { linked, ambiguous, unmatched };
}

type Match =
  | { kind: 'found'; id: string; correlation: Exclude<Correlation, 'manual' | 'created'> }
  | { kind: 'ambiguous'; key: string }
  | { kind: 'none' };

function findMatch(
  account: Account,
  byDuoUser: ReadonlyMap<string, Identity>,
  emails: KeyIndex,
  usernames: KeyIndex,
): Match {
  const same = byDuoUser.get(account.duoUserId);
  if (same) return { kind: 'found', id: same.id, correlation: 'user_id' };
  const tries: { key: string; correlation: 'email' | 'username' | 'alias'; found: Candidate[] }[] =
    [];
  if (account.email) {
    tries.push({ key: account.email, correlation: 'email', found: emails.lookup(account.email) });
  }
  tries.push({
    key: account.username,
    correlation: 'username',
    found: usernames.lookup(account.username),
  });
  for (const alias of account.aliases) {
    tries.push({
      key: alias,
      correlation: 'alias',
      found: unique([...usernames.lookup(alias), ...emails.lookup(alias)]),
    });
  }
  for (const attempt of tries) {
    if (attempt.found.length > 1) return { kind: 'ambiguous', key: attempt.key };
    const [identity] = attempt.found;
    if (identity) return { kind: 'found', id: identity.id, correlation: attempt.correlation };
  }
  return { kind: 'none' };
}

function unique(identities: readonly Candidate[]): Candidate[] {
  return [...new Map(identities.map((i) => [i.id, i])).values()];
}
