/**
 * Destinations (admin only): where stored events are forwarded, with their delivery health. A
 * secret (HEC token, HMAC key, TLS client key) goes in at creation and never comes back.
 *
 * @example await createDestination(api, { name: 'SIEM', type: 'syslog', transport: 'tcp', host, port: 514 })
 */
import type { Api } from '../../api/client';
import type {
  Destination,
  DestinationList,
  DestinationTestResult,
} from '../../../../api/contract/index.js';

export type { Destination, DestinationTestResult } from '../../../../api/contract/index.js';

export async function listDestinations(api: Api): Promise<Destination[]> {
  return (await api.get<DestinationList>('/destinations')).destinations;
}

export function createDestination(api: Api, body: Record<string, unknown>): Promise<Destination> {
  return api.post<Destination>('/destinations', body);
}

export function testDestination(api: Api, id: string): Promise<DestinationTestResult> {
  return api.post<DestinationTestResult>(`/destinations/${id}/test`);
}

export async function deleteDestination(api: Api, id: string): Promise<void> {
  await api.del(`/destinations/${id}`);
}

/** Where a destination sends, in a few words. */
export function targetOf(d: Destination): string {
  const s = d.settings;
  switch (s.type) {
    case 'syslog':
      return `${s.transport}://${s.host}:${String(s.port)} (${s.format})`;
    case 'http':
      return `${s.preset} ${s.url}`;
    case 'file':
      return s.directory;
  }
}
