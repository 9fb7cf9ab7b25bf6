/**
 * Test support: a scripted Duo over real HTTP(S) on 127.0.0.1, for tests that need an exact
 * answer (a given status, header, body, a hang, a reset, a cut body) rather than the simulator's
 * behaviour. It records every request it receives.
 *
 * @example const duo = await startFakeDuo(() => ({ status: 403, body: { stat: 'FAIL', code: 40301 } }));
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeDuoReply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON-encoded unless a string. */
  readonly body?: unknown;
  /** hang: never answer; reset: destroy the socket; truncate: send half the body, then cut. */
  readonly action?: 'hang' | 'reset' | 'truncate';
}

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  /** The raw query string as sent (no `?`). */
  readonly query: string;
  readonly params: [string, string][];
  readonly headers: IncomingMessage['headers'];
}

export interface FakeDuo {
  readonly url: string;
  /** `127.0.0.1:port`, the signed host. */
  readonly host: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

export type FakeDuoScript = (
  request: ReceivedRequest,
  index: number,
) => FakeDuoReply | Promise<FakeDuoReply>;

/** `{ stat: 'OK', response, metadata? }` */
export function ok(response: unknown, metadata?: unknown): FakeDuoReply {
  return {
    body: metadata === undefined ? { stat: 'OK', response } : { stat: 'OK', response, metadata },
  };
}

/** Duo's failure envelope with its HTTP status (the code's first three digits). */
export function fail(code: number, message: string, messageDetail?: string): FakeDuoReply {
  return {
    status: Math.floor(code / 100),
    body: {
      stat: 'FAIL',
      code,
      message,
      ...(messageDetail === undefined ? {} : { message_detail: messageDetail }),
    },
  };
}

export async function startFakeDuo(
  script: FakeDuoScript,
  options: { tls?: { key: string; cert: string } } = {},
): Promise<FakeDuo> {
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const received: ReceivedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      params: [...url.searchParams.entries()],
      headers: req.headers,
    };
    requests.push(received);
    void Promise.resolve(script(received, requests.length - 1)).then((reply) => {
      send(res, reply);
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler)
    : createHttpServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function send(res: ServerResponse, reply: FakeDuoReply): void {
  if (reply.action === 'hang') return;
  if (reply.action === 'reset') {
    res.socket?.destroy();
    return;
  }
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
  const headers = {
    'content-type': 'application/json',
    date: new Date().toUTCString(),
    ...reply.headers,
  };
  if (reply.action === 'truncate') {
    res.writeHead(reply.status ?? 200, { ...headers, 'content-length': String(text.length) });
    res.write(text.slice(0, Math.floor(text.length / 2)));
    setTimeout(() => res.socket?.destroy(), 10);
    return;
  }
  res.writeHead(reply.status ?? 200, headers);
  res.end(text);
}
