/**
 * A governance group is a named set of identities that may manage the sources attached to it.
 *
 * @example const g = await createGovernanceGroup(db, { name: 'IAM team' });
 */
import type { EpochMs } from './time.js';

export interface GovernanceGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: EpochMs;
}

export interface NewGovernanceGroup {
  readonly name: string;
  readonly description?: string | null;
}
