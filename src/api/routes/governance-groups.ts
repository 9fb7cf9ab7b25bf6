/**
 * Governance groups (named sets of identities that may manage their sources) and members;
 * the list also as CSV (`format=csv`).
 */
import { z } from 'zod';
import {
  addGovernanceGroupMember,
  createGovernanceGroup,
  deleteGovernanceGroup,
  getGovernanceGroup,
  listGovernanceGroupMembers,
  listGovernanceGroups,
  removeGovernanceGroupMember,
} from '../../store/governance-groups.js';
import { getIdentity } from '../../store/identities.js';
import { actorOf, requireRole } from '../auth.js';
import { recordAction } from '../../core/actor.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { NoContent } from '../contract/common.js';
import { answers } from '../contract/errors.js';
import {
  GovernanceGroup,
  GovernanceGroupDetail,
  GovernanceGroupList,
  MemberList,
} from '../contract/governance-groups.js';
import { jsonOrCsv } from '../contract/reports.js';
import { csvTime, toCsv, type CsvColumn } from '../../core/csv.js';
import type { GovernanceGroup as Group } from '../../domain/governance-groups.js';
import { FormatQuery, IdParams } from '../schemas.js';
import { sendCsv } from './reports.js';
import { identityView } from './identities.js';

const NewGroupBody = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    description: z.string().max(2000).nullable().optional(),
  })
  .strict();

export function governanceGroupRoutes(app: ApiInstance, deps: ApiDeps): void {
  const admin = requireRole('admin');
  app.get(
    '/governance-groups',
    {
      schema: {
        tags: ['governance groups'],
        summary: 'Every governance group; CSV with format=csv',
        querystring: FormatQuery,
        response: answers({ 200: jsonOrCsv(GovernanceGroupList) }),
      },
    },
    async (request, reply) => {
      const governanceGroups = await listGovernanceGroups(deps.db);
      if (request.query.format === 'csv')
        return sendCsv(reply, 'governance-groups', toCsv(governanceGroups, GROUP_COLUMNS));
      return { governanceGroups, next: null };
    },
  );

  app.post(
    '/governance-groups',
    {
      preHandler: admin,
      schema: {
        tags: ['governance groups'],
        summary: 'Create a governance group (admin)',
        body: NewGroupBody,
        response: answers({ 201: GovernanceGroup }),
      },
    },
    async (request, reply) => {
      const group = await createGovernanceGroup(deps.db, {
        name: request.body.name,
        description: request.body.description ?? null,
      });
      await recordAction(deps.db, actorOf(request), 'governance_group.create', {
        type: 'governance_group',
        id: group.id,
        name: group.name,
      });
      return reply.code(201).send(group);
    },
  );

  app.get(
    '/governance-groups/:id',
    {
      schema: {
        tags: ['governance groups'],
        summary: 'A governance group and its members',
        params: IdParams,
        response: answers({ 200: GovernanceGroupDetail }),
      },
    },
    async (request) => {
      const group = await getGovernanceGroup(deps.db, request.params.id);
      const members = await listGovernanceGroupMembers(deps.db, group.id);
      return { ...group, members: members.map(identityView) };
    },
  );

  app.delete(
    '/governance-groups/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['governance groups'],
        summary: 'Delete a governance group (admin)',
        params: IdParams,
        response: answers({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      const group = await getGovernanceGroup(deps.db, request.params.id);
      await deleteGovernanceGroup(deps.db, group.id);
      await recordAction(deps.db, actorOf(request), 'governance_group.delete', {
        type: 'governance_group',
        id: group.id,
        name: group.name,
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/governance-groups/:id/members',
    {
      preHandler: admin,
      schema: {
        tags: ['governance groups'],
        summary: 'Add an identity to a governance group (admin)',
        params: IdParams,
        body: z.object({ identityId: z.string().min(1).max(100) }).strict(),
        response: answers({ 201: MemberList }),
      },
    },
    async (request, reply) => {
      const group = await getGovernanceGroup(deps.db, request.params.id);
      await addGovernanceGroupMember(deps.db, group.id, request.body.identityId);
      const identity = await getIdentity(deps.db, request.body.identityId);
      await recordAction(deps.db, actorOf(request), 'governance_group.add_member', {
        type: 'governance_group',
        id: group.id,
        name: group.name,
        details: { identityId: identity.id, identity: identity.displayName },
      });
      const members = await listGovernanceGroupMembers(deps.db, group.id);
      return reply.code(201).send({ members: members.map(identityView), next: null });
    },
  );

  app.delete(
    '/governance-groups/:id/members/:identityId',
    {
      preHandler: admin,
      schema: {
        tags: ['governance groups'],
        summary: 'Remove an identity from a governance group (admin)',
        params: z.object({
          id: z.string().min(1).max(100),
          identityId: z.string().min(1).max(100),
        }),
        response: answers({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      const group = await getGovernanceGroup(deps.db, request.params.id);
      await removeGovernanceGroupMember(deps.db, group.id, request.params.identityId);
      await recordAction(deps.db, actorOf(request), 'governance_group.remove_member', {
        type: 'governance_group',
        id: group.id,
        name: group.name,
        details: { identityId: request.params.identityId },
      });
      return reply.code(204).send(null);
    },
  );
}

const GROUP_COLUMNS: readonly CsvColumn<Group>[] = [
  { header: 'name', value: (g) => g.name },
  { header: 'description', value: (g) => g.description },
  { header: 'created', value: (g) => csvTime(g.createdAt) },
  { header: 'id', value: (g) => g.id },
];
