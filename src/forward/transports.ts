/**
 * How a batch of records reaches a destination, and what "accepted" means for each:
 *
 * - syslog over TCP or TLS: every byte written and flushed to the socket, and the connection
 *   still up a moment later (`settleMs`: a receiver that died closes it within a round trip).
 *   After a lost connection the batch accepted last on it is sent again first: a receiver
 *   killed with it in its buffers would otherwise never see it (ids make the repeat harmless).
 * - syslog over UDP: every datagram sent without error on a connected socket (a port nobody
 *   listens on answers ICMP, reported on the next send); UDP itself may still drop datagrams.
 * - HTTP: a 2xx answer to the POST.
 * - file: written and fsynced (the folder too after a rotation).
 *
 * A transport never puts its secret in an error.
 *
 * @example const t = createTransport(destination.settings, secret, { host }); await t.send(records); await t.close();
 */
import { createHmac } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Agent, fetch } from 'undici';
import type {
  DestinationSettings,
  FileSettings,
  HttpSettings,
  SyslogSettings,
} from '../domain/destinations.js';
import type { ForwardRecord } from './record.js';
import { frame, syslogMessage } from './syslog.js';

export interface Transport {
  /** Resolves once the destination accepted every record; rejects (naming why) otherwise. */
  send(records: readonly ForwardRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface TransportOptions {
  /** The HOSTNAME of syslog messages (default: this machine's). */
  readonly host?: string;
  /** How long a stream connection must stay up after a write for the batch to count (25 ms). */
  readonly settleMs?: number;
  /** Connect and request timeout (10 s). */
  readonly timeoutMs?: number;
  /** The clock of webhook timestamps and rotated file names. */
  readonly clock?: () => number;
}

/** A delivery that failed: the message names the destination's side, never a secret. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
}

export function createTransport(
  settings: DestinationSettings,
  secret: string | undefined,
  options: TransportOptions = {},
): Transport {
  switch (settings.type) {
    case 'syslog':
      return settings.transport === 'udp'
        ? new UdpTransport(settings, options)
        : new StreamTransport(settings, secret, options);
    case 'http':
      return new HttpTransport(settings, secret, options);
    case 'file':
      return new FileTransport(settings, options);
  }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new DeliveryError(`the ${what} ${path} cannot be read: ${(cause as Error).message}`, {
      cause,
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? ` (${error.code})` : '';
    return `${error.message}${code}`;
  }
  return String(error);
}

/** How long a stream batch is kept to be sent again if the connection is lost after it. */
const REPLAY_MS = 5_000;
/** At most this much is kept for a replay (the last batch always). */
const REPLAY_MAX_BYTES = 16 * 1024 * 1024;

/** Syslog over TCP or TLS, one connection kept open, reconnected after a loss. */
class StreamTransport implements Transport {
  #socket: Socket | undefined;
  #lost: Error | undefined;
  /**
   * The batches accepted lately (the last one, and any younger than `REPLAY_MS`), newest last:
   * sent again after a loss. Syslog has no acknowledgement: a receiver that dies drops what its
   * socket held unread, which may be more than the last batch when the loss is heard late (a busy
   * machine), so everything written in that time goes again. Repeats are allowed; losses are not.
   */
  #recent: { readonly bytes: Buffer; readonly atMs: number }[] = [];
  #replay = false;
  /** No batch has been accepted on this connection yet. */
  #fresh = true;
  readonly #host: string;
  readonly #settleMs: number;
  readonly #timeoutMs: number;

  constructor(
    private readonly settings: SyslogSettings,
    private readonly secret: string | undefined,
    options: TransportOptions,
  ) {
    this.#host = options.host ?? hostname();
    this.#settleMs = options.settleMs ?? 25;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(records: readonly ForwardRecord[]): Promise<void> {
    const bytes = Buffer.concat(
      records.map((r) =>
        frame(syslogMessage(r, this.settings.format, this.#host), this.settings.framing),
      ),
    );
    const socket = await this.#connected();
    const replay =
      this.#replay && this.#recent.length > 0
        ? Buffer.concat(this.#recent.map((r) => r.bytes))
        : undefined;
    this.#replay = false;
    const written = replay === undefined ? bytes : Buffer.concat([replay, bytes]);
    await this.#write(socket, written);
    // A TLS 1.3 server judges the client certificate after the client thinks the handshake is
    // done: the first batch on a new connection waits long enough to hear a refusal.
    const settle = this.#fresh ? Math.max(this.#settleMs, 250) : this.#settleMs;
    this.#fresh = false;
    await new Promise((resolve) => setTimeout(resolve, settle));
    if (this.#lost || this.#socket !== socket) {
      this.#replay = true;
      throw new DeliveryError(
        `${this.#where()}: the connection closed right after the batch was written (${describe(this.#lost)})`,
      );
    }
    this.#accepted(written, replay !== undefined);
  }

  /** Keeps what a write put on this connection for a replay, with the batches still young enough. */
  #accepted(bytes: Buffer, replayed: boolean): void {
    const now = Date.now();
    // A replay wrote the kept batches again, with this one: they count as one batch from now.
    this.#recent = replayed ? [] : this.#recent.filter((r) => now - r.atMs < REPLAY_MS);
    this.#recent.push({ bytes, atMs: now });
    let total = this.#recent.reduce((sum, r) => sum + r.bytes.length, 0);
    while (this.#recent.length > 1 && total > REPLAY_MAX_BYTES) {
      total -= this.#recent[0]?.bytes.length ?? 0;
      this.#recent.shift();
    }
  }

  #where(): string {
    return `syslog ${this.settings.transport} ${this.settings.host}:${String(this.settings.port)}`;
  }

  async #connected(): Promise<Socket> {
    if (this.#socket && !this.#lost) return this.#socket;
    this.#drop();
    const socket = await this.#connect();
    this.#lost = undefined;
    this.#socket = socket;
    this.#fresh = true;
    const lose = (why: Error) => {
      if (this.#socket !== socket) return;
      this.#lost ??= why;
      this.#replay = true;
    };
    socket.on('error', lose);
    socket.on('end', () => {
      lose(new Error('the receiver closed the connection'));
    });
    socket.on('close', () => {
      lose(new Error('the connection closed'));
    });
    // A syslog receiver sends nothing; read (and drop) anything so 'end' is seen.
    socket.on('data', () => undefined);
    return socket;
  }

  #connect(): Promise<Socket> {
    const { host, port } = this.settings;
    return new Promise<Socket>((resolve, reject) => {
      let socket: Socket;
      const fail = (error: Error) => {
        socket.destroy();
        reject(
          new DeliveryError(`${this.#where()}: cannot connect: ${describe(error)}`, {
            cause: error,
          }),
        );
      };
      if (this.settings.transport === 'tls') {
        const tlsOptions = {
          host,
          port,
          // SNI carries names only; an IP address is checked against the certificate anyway.
          ...(isIP(this.settings.serverName ?? host)
            ? {}
            : { servername: this.settings.serverName ?? host }),
          rejectUnauthorized: true,
          ...(this.settings.caFile ? { ca: readPem(this.settings.caFile, 'CA file') } : {}),
          ...(this.settings.certFile
            ? { cert: readPem(this.settings.certFile, 'client certificate'), key: this.secret }
            : {}),
        };
        socket = tlsConnect(tlsOptions, () => {
          resolve(socket);
        });
      } else
        socket = netConnect({ host, port }, () => {
          resolve(socket);
        });
      socket.setTimeout(this.#timeoutMs, () => {
        fail(new Error('timed out'));
      });
      socket.once('error', fail);
      const ready = this.settings.transport === 'tls' ? 'secureConnect' : 'connect';
      socket.once(ready, () => {
        socket.setTimeout(0);
        socket.removeListener('error', fail);
        socket.setKeepAlive(true, 30_000);
      });
    });
  }

  #write(socket: Socket, bytes: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      socket.write(bytes, (error) => {
        if (error) reject(new DeliveryError(`${this.#where()}: write failed: ${describe(error)}`));
        else resolve();
      });
    });
  }

  #drop(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.end(() => {
        resolve();
      });
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 1000).unref();
    });
  }
}

/** Syslog over UDP: one datagram per message on a connected socket. */
class UdpTransport implements Transport {
  #socket: UdpSocket | undefined;
  #error: Error | undefined;
  readonly #host: string;
  readonly #settleMs: number;

  constructor(
    private readonly settings: SyslogSettings,
    options: TransportOptions,
  ) {
    this.#host = options.host ?? hostname();
    this.#settleMs = options.settleMs ?? 25;
  }

  #where(): string {
    return `syslog udp ${this.settings.host}:${String(this.settings.port)}`;
  }

  async #connected(): Promise<UdpSocket> {
    if (this.#socket && !this.#error) return this.#socket;
    this.#socket?.close();
    this.#error = undefined;
    const socket = createSocket(this.settings.host.includes(':') ? 'udp6' : 'udp4');
    socket.on('error', (error) => {
      this.#error ??= error;
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(this.settings.port, this.settings.host, () => {
        socket.removeListener('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      socket.close();
      throw new DeliveryError(`${this.#where()}: cannot connect: ${describe(error)}`);
    });
    this.#socket = socket;
    return socket;
  }

  async send(records: readonly ForwardRecord[]): Promise<void> {
    const socket = await this.#connected();
    for (const record of records) {
      const datagram = Buffer.from(syslogMessage(record, this.settings.format, this.#host));
      await new Promise<void>((resolve, reject) => {
        socket.send(datagram, (error) => {
          if (error) reject(error);
          else resolve();
        });
      }).catch((error: unknown) => {
        this.#error ??= error as Error;
      });
      if (this.#error) break;
      // Nothing paces UDP: a burst overruns a receiver's socket buffer and is dropped there.
      // One datagram per turn of the event loop lets a receiver (here or a local relay) keep up.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!this.#error) await new Promise((resolve) => setTimeout(resolve, this.#settleMs));
    if (this.#error)
      throw new DeliveryError(`${this.#where()}: send failed: ${describe(this.#error)}`);
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket)
      await new Promise<void>((resolve) =>
        socket.close(() => {
          resolve();
        }),
      );
  }
}

/** The webhook's signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export function webhookSignature(key: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', key)
    .update(`${String(timestampSec)}.${body}`)
    .digest('hex');
  return `t=${String(timestampSec)},v1=${mac}`;
}

export const WEBHOOK_SIGNATURE_HEADER = 'x-duo-insights-signature';

/** HEC's endpoint for JSON events under a base URL (`https://splunk:8088`). */
export function hecUrl(base: string): string {
  const url = new URL(base);
  if (!url.pathname.endsWith('/services/collector/event'))
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/services/collector/event`;
  return url.toString();
}

/** POSTs each batch as JSON lines (HEC: one `{"time","event",…}` object per line). */
class HttpTransport implements Transport {
  readonly #agent: Agent | undefined;
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #clock: () => number;
  readonly #host: string;

  constructor(
    private readonly settings: HttpSettings,
    private readonly secret: string | undefined,
    options: TransportOptions,
  ) {
    this.#url = settings.preset === 'splunk-hec' ? hecUrl(settings.url) : settings.url;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#clock = options.clock ?? Date.now;
    this.#host = options.host ?? hostname();
    this.#agent = settings.caFile
      ? new Agent({ connect: { ca: readPem(settings.caFile, 'CA file') } })
      : undefined;
  }

  #body(records: readonly ForwardRecord[]): string {
    if (this.settings.preset === 'splunk-hec')
      return records
        .map((r) =>
          JSON.stringify({
            time: r.timeMs / 1000,
            host: this.#host,
            source: 'duo-insights',
            sourcetype: `duo:${r.stream}`,
            event: r,
          }),
        )
        .join('\n');
    return `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
  }

  async send(records: readonly ForwardRecord[]): Promise<void> {
    const body = this.#body(records);
    const headers: Record<string, string> = {};
    if (this.settings.preset === 'splunk-hec') {
      headers['content-type'] = 'application/json';
      headers.authorization = `Splunk ${this.secret ?? ''}`;
    } else {
      headers['content-type'] = 'application/x-ndjson';
      if (this.secret !== undefined)
        headers[WEBHOOK_SIGNATURE_HEADER] = webhookSignature(
          this.secret,
          Math.floor(this.#clock() / 1000),
          body,
        );
    }
    const where = `${this.settings.preset} ${new URL(this.#url).origin}`;
    let answer;
    try {
      answer = await fetch(this.#url, {
        method: 'POST',
        body,
        headers,
        signal: AbortSignal.timeout(this.#timeoutMs),
        ...(this.#agent ? { dispatcher: this.#agent } : {}),
      });
    } catch (error) {
      throw new DeliveryError(
        `${where}: request failed: ${describe((error as Error).cause ?? error)}`,
      );
    }
    const text = await answer.text().catch(() => '');
    if (answer.status < 200 || answer.status > 299)
      throw new DeliveryError(
        `${where} answered ${String(answer.status)}${text ? `: ${text.slice(0, 200)}` : ''}`,
      );
  }

  async close(): Promise<void> {
    await this.#agent?.close();
  }
}

export const CURRENT_FILE = 'duo-insights.jsonl';

/** Appends the lines and fsyncs the file before answering. */
async function appendSynced(path: string, lines: readonly Buffer[]): Promise<void> {
  if (lines.length === 0) return;
  const file = await open(path, 'a', 0o600);
  try {
    await file.write(Buffer.concat(lines));
    await file.sync();
  } finally {
    await file.close();
  }
}

/** JSON lines appended to `duo-insights.jsonl`, renamed `duo-insights-<time>.jsonl` when full. */
class FileTransport implements Transport {
  readonly #clock: () => number;
  #rotations = 0;

  constructor(
    private readonly settings: FileSettings,
    options: TransportOptions,
  ) {
    this.#clock = options.clock ?? Date.now;
  }

  async send(records: readonly ForwardRecord[]): Promise<void> {
    const { directory } = this.settings;
    try {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      const current = join(directory, CURRENT_FILE);
      let size = await stat(current).then(
        (s) => s.size,
        () => 0,
      );
      // Lines go into the current file until the next would take it past the limit: then it
      // is rotated (a line longer than the limit has a file of its own).
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      for (const record of records) {
        const line = Buffer.from(`${JSON.stringify(record)}\n`);
        if (size + chunkBytes + line.length > this.settings.maxFileBytes && size + chunkBytes > 0) {
          await appendSynced(current, chunk);
          await this.#rotate(current);
          size = 0;
          chunk = [];
          chunkBytes = 0;
        }
        chunk.push(line);
        chunkBytes += line.length;
      }
      await appendSynced(current, chunk);
    } catch (error) {
      throw new DeliveryError(`file ${directory}: ${describe(error)}`);
    }
  }

  async #rotate(current: string): Promise<void> {
    const { directory } = this.settings;
    const stamp = new Date(this.#clock()).toISOString().replace(/[-:]/g, '').replace('.', '');
    this.#rotations += 1;
    await rename(
      current,
      join(directory, `duo-insights-${stamp}-${String(this.#rotations).padStart(6, '0')}.jsonl`),
    );
    const dir = await open(directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    const rotated = (await readdir(directory))
      .filter((name) => /^duo-insights-.+\.jsonl$/.test(name))
      .sort();
    for (const name of rotated.slice(0, Math.max(0, rotated.length - this.settings.maxFiles)))
      await rm(join(directory, name), { force: true });
  }

  async close(): Promise<void> {
    // Each batch opens and closes its file.
  }
}
