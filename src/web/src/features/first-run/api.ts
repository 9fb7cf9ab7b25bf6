/** The built-in demo: starts the Duo simulator in the server and creates both sources. */
import type { Api } from '../../api/client';

export async function startDemo(api: Api): Promise<void> {
  await api.post('/demo');
}
