/**
 * Correlation links each account to the identity of the person who holds it: first an identity
 * already linked to an account with the same Duo `user_id` (in any source), then by e-mail, then
 * by username, then by any alias (as e-mail or username). A key that matches two identities
 * links nothing and is reported: a person decides. Unmatched accounts get a new identity when
 * the source says so (the default). Links made by hand (`manual`) are never touched, and an
 * existing link survives re-aggregation because it is kept on the account (keyed by user_id).
 *
 * @example const outcome = await correlateAccounts(ctx.db, sourceId, { createIdentities: true });
 */
import type { Account, Correlation } from '../domain/accounts.js';
import type { Identity } from '../domain/identities.js';
import { setAccountIdentity, streamAccounts } from '../store/accounts.js';
import type { Db } from '../store/dialect.js';
import {
  createIdentity,
  findIdentitiesByEmail,
  findIdentitiesByUsername,
} from '../store/identities.js';
import { findIdentityOfDuoUser } from '../store/accounts.js';

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

export async function correlateAccounts(
  db: Db,
  sourceId: string,
  options: { readonly createIdentities: boolean },
): Promise<CorrelationOutcome> {
  const linked = { user_id: 0, email: 0, username: 0, alias: 0, created: 0 };
  const ambiguous: { accountId: number; username: string; key: string }[] = [];
  let unmatched = 0;
  for await (const page of streamAccounts(db, { sourceId, uncorrelated: true })) {
    for (const account of page) {
      const match = await findMatch(db, account);
      if (match.kind === 'ambiguous') {
        ambiguous.push({ accountId: account.id, username: account.username, key: match.key });
        continue;
      }
      if (match.kind === 'found') {
        await setAccountIdentity(db, account.id, {
          identityId: match.identity.id,
          correlation: match.correlation,
        });
        linked[match.correlation]++;
        continue;
      }
      if (!options.createIdentities) {
        unmatched++;
        continue;
      }
      const identity = await createIdentity(db, {
        displayName: account.realname ?? account.username,
        email: account.email,
        username: account.username,
      });
      await setAccountIdentity(db, account.id, { identityId: identity.id, correlation: 'created' });
      linked.created++;
    }
  }
  return { linked, ambiguous, unmatched };
}

type Match =
  | { kind: 'found'; identity: Identity; correlation: Exclude<Correlation, 'manual' | 'created'> }
  | { kind: 'ambiguous'; key: string }
  | { kind: 'none' };

async function findMatch(db: Db, account: Account): Promise<Match> {
  const byUserId = await findIdentityOfDuoUser(db, account.duoUserId);
  if (byUserId) return { kind: 'found', identity: byUserId, correlation: 'user_id' };
  const tries: {
    key: string;
    correlation: 'email' | 'username' | 'alias';
    lookup: () => Promise<Identity[]>;
  }[] = [];
  if (account.email) {
    const email = account.email;
    tries.push({
      key: email,
      correlation: 'email',
      lookup: () => findIdentitiesByEmail(db, email),
    });
  }
  tries.push({
    key: account.username,
    correlation: 'username',
    lookup: () => findIdentitiesByUsername(db, account.username),
  });
  for (const alias of account.aliases) {
    tries.push({
      key: alias,
      correlation: 'alias',
      lookup: async () =>
        unique([
          ...(await findIdentitiesByUsername(db, alias)),
          ...(await findIdentitiesByEmail(db, alias)),
        ]),
    });
  }
  for (const attempt of tries) {
    const found = unique(await attempt.lookup());
    if (found.length > 1) return { kind: 'ambiguous', key: attempt.key };
    const [identity] = found;
    if (identity) return { kind: 'found', identity, correlation: attempt.correlation };
  }
  return { kind: 'none' };
}

function unique(identities: readonly Identity[]): Identity[] {
  return [...new Map(identities.map((i) => [i.id, i])).values()];
}
