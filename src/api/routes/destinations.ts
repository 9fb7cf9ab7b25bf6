/**
 * Destinations (admins): list with health, create, show, delete, and send a test message.
 * Secrets go in (`clientKey`, `token`) and never come back out.
 *
 * @example POST /api/v1/destinations {"name":"SIEM","type":"syslog","transport":"tcp","host":"siem.example.com","port":6514,"format":"cef"}
 */
import {
  createDestinationCase,
  deleteDestinationCase,
  listDestinationsCase,
  NewDestinationInput,
  showDestinationCase,
  testDestinationCase,
  type DestinationDeps,
  type DestinationWithHealth,
} from '../../core/destinations.js';
import { destinationHealth } from '../../core/destinations.js';
import { actorOf, requireRole } from '../auth.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { NoContent } from '../contract/common.js';
import { answers } from '../contract/errors.js';
import { Destination, DestinationList, DestinationTestResult } from '../contract/destinations.js';
import { IdParams, NoBody } from '../schemas.js';

/** A destination as answers show it: settings without the secret, and its health. */
export function destinationView({ destination, health }: DestinationWithHealth) {
  return {
    id: destination.id,
    name: destination.name,
    type: destination.settings.type,
    settings: destination.settings,
    hasSecret: destination.hasSecret,
    sourceIds: destination.sourceIds && [...destination.sourceIds],
    streams: destination.streams && [...destination.streams],
    createdAt: destination.createdAt,
    updatedAt: destination.updatedAt,
    health,
  };
}

function depsOf(deps: ApiDeps): DestinationDeps {
  return {
    db: deps.db,
    secretKey: deps.sync.secretKey,
    clock: deps.clock,
    forwarder: deps.forwarder,
  };
}

export function destinationRoutes(app: ApiInstance, api: ApiDeps): void {
  const admin = requireRole('admin');
  const deps = depsOf(api);
  app.get(
    '/destinations',
    {
      preHandler: admin,
      schema: {
        tags: ['destinations'],
        summary: 'Every destination with its delivery health (admin)',
        response: answers({ 200: DestinationList }),
      },
    },
    async (request) => ({
      destinations: (await listDestinationsCase(deps, actorOf(request))).map(destinationView),
    }),
  );

  app.post(
    '/destinations',
    {
      preHandler: admin,
      schema: {
        tags: ['destinations'],
        summary:
          'Create a destination: syslog (tcp, tls, udp; json or cef), http (splunk-hec, webhook) or file (admin)',
        body: NewDestinationInput,
        response: answers({ 201: Destination }),
      },
    },
    async (request, reply) => {
      const destination = await createDestinationCase(deps, actorOf(request), request.body);
      const health = await destinationHealth(deps, destination);
      return reply.code(201).send(destinationView({ destination, health }));
    },
  );

  app.get(
    '/destinations/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['destinations'],
        summary: 'One destination with its delivery health (admin)',
        params: IdParams,
        response: answers({ 200: Destination }),
      },
    },
    async (request) =>
      destinationView(await showDestinationCase(deps, actorOf(request), request.params.id)),
  );

  app.delete(
    '/destinations/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['destinations'],
        summary: 'Delete a destination and its cursors (admin)',
        params: IdParams,
        response: answers({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await deleteDestinationCase(deps, actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/destinations/:id/test',
    {
      preHandler: admin,
      schema: {
        tags: ['destinations'],
        summary: 'Send one test message (stream "test") through the destination (admin)',
        params: IdParams,
        body: NoBody,
        response: answers({ 200: DestinationTestResult }),
      },
    },
    async (request) => testDestinationCase(deps, actorOf(request), request.params.id),
  );
}
