/**
 * Receivers for tests and the bench: a syslog server over TCP, TLS or UDP that reads both RFC 6587
 * framings, and an HTTP receiver that checks a Splunk HEC token or the webhook's HMAC signature.
 * Each keeps what it received, can be stopped abruptly (every connection destroyed, as a crashed
 * receiver would) and started again on the same port.
 *
 * @example const r = new SyslogReceiver('tcp'); await r.start(); … r.eventIds(); await r.stop();
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { SyslogFraming, SyslogTransport } from '../domain/destinations.js';
import { WEBHOOK_SIGNATURE_HEADER } from './transports.js';

/** The event id a syslog message carries in its structured data. */
export function eventIdOfSyslog(message: string): string | undefined {
  return /eventId="([^"]+)"/.exec(message)?.[1];
}

/** Splits a stream of framed syslog messages; keeps an incomplete tail for the next chunk. */
export class SyslogDeframer {
  #buffer = Buffer.alloc(0);
  constructor(private readonly framing: SyslogFraming) {}
  push(chunk: Buffer): string[] {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    const out: string[] = [];
    for (;;) {
      if (this.framing === 'newline') {
        const end = this.#buffer.indexOf(0x0a);
        if (end < 0) break;
        out.push(this.#buffer.subarray(0, end).toString('utf8'));
        this.#buffer = this.#buffer.subarray(end + 1);
      } else {
        const space = this.#buffer.indexOf(0x20);
        if (space < 0) break;
        const length = Number(this.#buffer.subarray(0, space).toString('ascii'));
        if (!Number.isInteger(length) || length <= 0)
          throw new Error(`not an octet count: ${this.#buffer.subarray(0, space).toString()}`);
        if (this.#buffer.length < space + 1 + length) break;
        out.push(this.#buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
        this.#buffer = this.#buffer.subarray(space + 1 + length);
      }
    }
    return out;
  }
}

export class SyslogReceiver {
  readonly messages: string[] = [];
  #server: Server | undefined;
  #udp: UdpSocket | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(
    readonly transport: SyslogTransport,
    readonly framing: SyslogFraming = 'octet-counting',
    private readonly tls?: TlsOptions,
  ) {}

  eventIds(): string[] {
    return this.messages.flatMap((m) => {
      const id = eventIdOfSyslog(m);
      return id === undefined ? [] : [id];
    });
  }

  async start(port = this.port): Promise<number> {
    if (this.transport === 'udp') {
      const udp = createSocket('udp4');
      udp.on('message', (datagram) => this.messages.push(datagram.toString('utf8')));
      await new Promise<void>((resolve) =>
        udp.bind(port, '127.0.0.1', () => {
          resolve();
        }),
      );
      this.#udp = udp;
      this.port = udp.address().port;
      return this.port;
    }
    const onConnection = (socket: Socket) => {
      this.#sockets.add(socket);
      const deframer = new SyslogDeframer(this.framing);
      socket.on('data', (chunk) => this.messages.push(...deframer.push(chunk)));
      socket.on('error', () => undefined);
      socket.on('close', () => this.#sockets.delete(socket));
    };
    const server =
      this.transport === 'tls'
        ? createTlsServer(this.tls ?? {}, onConnection)
        : createNetServer(onConnection);
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        resolve();
      });
    });
    this.#server = server;
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : port;
    return this.port;
  }

  /** Stops at once: every connection destroyed, whatever it was sending. */
  async stop(): Promise<void> {
    if (this.#udp) {
      const udp = this.#udp;
      this.#udp = undefined;
      await new Promise<void>((resolve) =>
        udp.close(() => {
          resolve();
        }),
      );
    }
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server)
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
  }
}

export interface HttpReceiverOptions {
  /** Splunk HEC: the token `Authorization: Splunk <token>` must carry. */
  readonly hecToken?: string;
  /** Webhook: the HMAC key the signature header must verify with. */
  readonly hmacKey?: string;
}

/** An HTTP receiver of JSON lines: HEC (`{"event": …}` lines) or the signed webhook. */
export class HttpReceiver {
  /** The records received (HEC: each line's `event`). */
  readonly records: Record<string, unknown>[] = [];
  readonly rejected: string[] = [];
  /** Answer this status instead of accepting (tests of a failing receiver). */
  failWith: number | undefined;
  #server: HttpServer | undefined;
  port = 0;

  constructor(private readonly options: HttpReceiverOptions = {}) {}

  eventIds(): string[] {
    return this.records.flatMap((r) => (typeof r.id === 'string' ? [r.id] : []));
  }

  url(): string {
    return `http://127.0.0.1:${String(this.port)}`;
  }

  #check(headers: Record<string, string | string[] | undefined>, body: string): string | undefined {
    if (this.options.hecToken !== undefined) {
      if (headers.authorization !== `Splunk ${this.options.hecToken}`) return 'bad HEC token';
    }
    if (this.options.hmacKey !== undefined) {
      const header = headers[WEBHOOK_SIGNATURE_HEADER];
      const match = typeof header === 'string' ? /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) : null;
      if (!match) return 'no signature';
      const expected = createHmac('sha256', this.options.hmacKey)
        .update(`${match[1] ?? ''}.${body}`)
        .digest();
      if (!timingSafeEqual(expected, Buffer.from(match[2] ?? '', 'hex'))) return 'bad signature';
    }
    return undefined;
  }

  async start(port = this.port): Promise<number> {
    const server = createHttpServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const refused = this.#check(request.headers, body);
        if (refused !== undefined) {
          this.rejected.push(refused);
          response.writeHead(401).end(JSON.stringify({ text: refused }));
          return;
        }
        if (this.failWith !== undefined) {
          response.writeHead(this.failWith).end('{"text":"unavailable"}');
          return;
        }
        for (const line of body.split('\n')) {
          if (line.trim() === '') continue;
          const parsed = JSON.parse(line) as Record<string, unknown>;
          this.records.push(
            this.options.hecToken === undefined
              ? parsed
              : (parsed.event as Record<string, unknown>),
          );
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"text":"Success","code":0}');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        resolve();
      });
    });
    this.#server = server;
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : port;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }
}
