import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuoDate, signV5 } from '../duo/signing.js';
import { startSimulator, type Simulator } from './server.js';

const cred = { ikey: 'DICONN00000000000001', skey: 'k'.repeat(40) };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ credentials: [cred], users: 5, days: 1 });
});
afterAll(() => sim.close());

/** One signed keep-alive GET written on `socket`; resolves with the status line. */
function get(socket: Socket, path: string): Promise<string> {
  const date = formatDuoDate(new Date());
  const authorization = signV5({ ...cred, date, method: 'GET', host: sim.host, path, params: [] });
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, head))?.[1];
      if (length !== undefined && text.length < head + 4 + Number(length)) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(text.slice(0, text.indexOf('\r\n')));
    };
    const onClose = (): void => {
      reject(new Error('the simulator closed the connection'));
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${sim.host}\r\nDate: ${date}\r\n` +
        `Authorization: ${authorization}\r\nConnection: keep-alive\r\n\r\n`,
    );
  });
}

describe('connections like Duo', () => {
  // Duo's Python client retries a 429 on the same connection after 1, 2, 4 and 8 s.
  it('keeps an idle keep-alive connection open for longer than the 8 s between retries', async () => {
    const socket = connect(sim.port, '127.0.0.1');
    let closedAt: number | undefined;
    socket.once('close', () => (closedAt = Date.now()));
    try {
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      expect(await get(socket, '/admin/v1/users')).toBe('HTTP/1.1 200 OK');
      await new Promise((resolve) => setTimeout(resolve, 8_500));
      expect(closedAt).toBeUndefined();
      expect(await get(socket, '/admin/v1/users')).toBe('HTTP/1.1 200 OK');
    } finally {
      socket.destroy();
    }
  }, 20_000);
});
