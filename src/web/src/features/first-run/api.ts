/** The built-in demo: starts the Duo simulator in the server and creates both sources. */
import type { Api } from '../../api/client';
import type { DemoStarted } from '../../../../api/contract/index.js';

export async function startDemo(api: Api): Promise<void> {
  await api.post<DemoStarted>('/demo');
}
