/**
 * Delivery end to end over real sockets: TCP, TLS (a CA and server certificate made here, a
 * client certificate checked by the server) and UDP syslog receivers and HTTP receivers, killed
 * and started again while events flow. Each receiver ends with every stored event at least once
 * and, deduplicated by event id, exactly the stored set; the destination's cursors reach the end.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/support/db.js';
import { authEvents, newSource } from '../../test/support/activity-fixtures.js';
import { createLogger } from '../logging.js';
import type { DestinationSettings } from '../domain/destinations.js';
import { ms } from '../domain/time.js';
import { ingestActivityPage } from '../store/activity/ingest.js';
import {
  createDestination,
  destinationBacklog,
  getDestination,
  type NewDestination,
} from '../store/destinations.js';
import { generateSecretKey } from '../store/secrets.js';
import { generateTlsMaterial } from '../sim/tls.js';
import { Forwarder } from './forwarder.js';
import { HttpReceiver, SyslogReceiver } from './receivers.js';
import { CURRENT_FILE } from './transports.js';
import { eventId } from './record.js';

const key = generateSecretKey();

/** A CA and a client certificate it signs (extended key usage: client authentication). */
async function clientCertificate(): Promise<{ ca: string; cert: string; key: string }> {
  const ca = await generate([{ name: 'commonName', value: 'test client CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true, critical: true },
    ],
  });
  const client = await generate([{ name: 'commonName', value: 'duo-insights' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { ca: ca.cert, cert: client.cert, key: client.private };
}
const log = createLogger({ level: 'silent' });
const DAY = 86_400_000;

async function storeEvents(t: TestDatabase, sourceId: string, count: number, seed: number) {
  const events = authEvents({ count, startMs: ms(Date.now() - 5 * DAY), seed, gapMs: 10_000 });
  for (let i = 0; i < events.length; i += 500)
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events: events.slice(i, i + 500),
      cursor: { page: i },
    });
}

/** The event ids of every stored event of these sources: what each receiver must end with. */
async function storedIds(t: TestDatabase, sourceIds: readonly string[]): Promise<string[]> {
  const rows = await t.db
    .selectFrom('activity_events')
    .innerJoin('event_streams', 'event_streams.id', 'activity_events.stream_id')
    .select(['event_streams.source_id', 'event_streams.stream', 'ts_ms', 'natural_key'])
    .where('event_streams.source_id', 'in', sourceIds)
    .execute();
  return rows
    .map((r) =>
      eventId({
        sourceId: r.source_id,
        stream: r.stream as 'authentication',
        tsMs: ms(r.ts_ms),
        naturalKey: r.natural_key,
      }),
    )
    .sort();
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  why: () => Promise<string> = () => Promise.resolve(''),
) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${await why()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeEachDatabase('forwarding', (t) => {
  let forwarder: Forwarder;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'forward-test-'));
    forwarder = new Forwarder(
      { db: t.db, secretKey: key, log, clock: Date.now, holder: `test:${String(Math.random())}` },
      { batchSize: 200, backoffMs: 20, maxBackoffMs: 200, idleMs: 200, refreshMs: 100 },
    );
  });
  afterEach(async () => {
    await forwarder.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function destination(
    settings: DestinationSettings,
    sourceIds: string[],
    extra: Partial<NewDestination> = {},
  ) {
    return createDestination(
      t.db,
      {
        name: `d ${String(Math.random())}`,
        settings,
        sourceIds,
        streams: null,
        ...extra,
      },
      key,
      ms(Date.now()),
    );
  }

  /**
   * Stores events, starts delivery, kills the receiver after some arrived, stores more while it
   * is down, starts it again on the same port: every stored event arrives, repeats allowed.
   */
  async function killAndRestart(
    receiver: {
      start(port?: number): Promise<number>;
      stop(): Promise<void>;
      eventIds(): string[];
    },
    settingsFor: (port: number) => DestinationSettings,
    extra: Partial<NewDestination> = {},
  ) {
    const { sourceId } = await newSource(t.db);
    await storeEvents(t, sourceId, 1500, 1);
    const port = await receiver.start();
    const d = await destination(settingsFor(port), [sourceId], extra);
    forwarder.start();
    await until(
      'the first events',
      () => receiver.eventIds().length >= 300,
      30_000,
      async () =>
        JSON.stringify({ ...(await getDestination(t.db, d.id)), got: receiver.eventIds().length }),
    );
    await receiver.stop();
    await storeEvents(t, sourceId, 700, 2);
    forwarder.wake();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const failing = await getDestination(t.db, d.id);
    await receiver.start(port);
    await until('an empty backlog', async () => (await destinationBacklog(t.db, d)).backlog === 0);
    const expected = await storedIds(t, [sourceId]);
    expect(expected).toHaveLength(2200);
    expect([...new Set(receiver.eventIds())].sort()).toEqual(expected);
    expect(receiver.eventIds().length).toBeGreaterThanOrEqual(2200);
    const after = await getDestination(t.db, d.id);
    expect(after.delivered).toBe(2200);
    expect(after.lastError).toBeNull();
    return { failing };
  }

  it('TCP (octet counting): a killed receiver gets every event once it is back', async () => {
    const receiver = new SyslogReceiver('tcp', 'octet-counting');
    const { failing } = await killAndRestart(receiver, (port) => ({
      type: 'syslog',
      transport: 'tcp',
      host: '127.0.0.1',
      port,
      framing: 'octet-counting',
      format: 'json',
    }));
    // While it was down the destination said why.
    expect(failing.lastError).toMatch(/syslog tcp 127\.0\.0\.1:\d+/);
    const first = JSON.parse(
      receiver.messages[0]?.slice(receiver.messages[0].indexOf('] ') + 2) ?? '{}',
    ) as {
      duo?: { txid?: string };
    };
    expect(first.duo?.txid).toBeDefined();
    await receiver.stop();
  });

  it('TLS with a client certificate (newline framing, CEF): every event once it is back', async () => {
    const server = await generateTlsMaterial(['127.0.0.1'], dir);
    const client = await clientCertificate();
    const certFile = join(dir, 'client.pem');
    writeFileSync(certFile, client.cert);
    // The server checks the client certificate against the CA that made it.
    const receiver = new SyslogReceiver('tls', 'newline', {
      cert: server.cert,
      key: server.key,
      ca: client.ca,
      requestCert: true,
      rejectUnauthorized: true,
    });
    await killAndRestart(
      receiver,
      (port) => ({
        type: 'syslog',
        transport: 'tls',
        host: '127.0.0.1',
        port,
        framing: 'newline',
        format: 'cef',
        caFile: server.caFile,
        certFile,
      }),
      { secret: client.key },
    );
    expect(receiver.messages[0]).toMatch(/ CEF:0\|Duo Security\|duo-insights\|/);
    await receiver.stop();
  });

  it('TLS refuses a server its CA did not sign, and says so', async () => {
    const server = await generateTlsMaterial(['127.0.0.1'], dir);
    const other = await generateTlsMaterial(['127.0.0.1'], join(dir, 'other'));
    const receiver = new SyslogReceiver('tls', 'newline', { cert: server.cert, key: server.key });
    const port = await receiver.start();
    const { sourceId } = await newSource(t.db);
    await storeEvents(t, sourceId, 10, 3);
    const d = await destination(
      {
        type: 'syslog',
        transport: 'tls',
        host: '127.0.0.1',
        port,
        framing: 'newline',
        format: 'json',
        caFile: other.caFile,
      },
      [sourceId],
    );
    forwarder.start();
    await until('an error', async () => (await getDestination(t.db, d.id)).lastError !== null);
    expect((await getDestination(t.db, d.id)).lastError).toMatch(/certificate/i);
    expect(receiver.messages).toEqual([]);
    expect((await destinationBacklog(t.db, d)).backlog).toBe(10);
    await receiver.stop();
  });

  it('UDP: a stopped receiver is noticed; once back it gets every event', async () => {
    const receiver = new SyslogReceiver('udp');
    await killAndRestart(receiver, (port) => ({
      type: 'syslog',
      transport: 'udp',
      host: '127.0.0.1',
      port,
      framing: 'octet-counting',
      format: 'json',
    }));
    await receiver.stop();
  });

  it('Splunk HEC: the token is checked by the receiver; a killed receiver gets every event', async () => {
    const receiver = new HttpReceiver({ hecToken: 'hec-token-0123' });
    await killAndRestart(
      receiver,
      (port) => ({ type: 'http', preset: 'splunk-hec', url: `http://127.0.0.1:${String(port)}` }),
      { secret: 'hec-token-0123' },
    );
    expect(receiver.rejected).toEqual([]);
    await receiver.stop();
  });

  it('webhook: every batch signed with HMAC-SHA256 and verified by the receiver', async () => {
    const receiver = new HttpReceiver({ hmacKey: 'hmac-key-abc' });
    await killAndRestart(
      receiver,
      (port) => ({ type: 'http', preset: 'webhook', url: `http://127.0.0.1:${String(port)}/in` }),
      { secret: 'hmac-key-abc' },
    );
    expect(receiver.rejected).toEqual([]);
    await receiver.stop();
  });

  it('a wrong HEC token is refused: nothing advances and the error is kept', async () => {
    const receiver = new HttpReceiver({ hecToken: 'right' });
    const port = await receiver.start();
    const { sourceId } = await newSource(t.db);
    await storeEvents(t, sourceId, 20, 4);
    const d = await destination(
      { type: 'http', preset: 'splunk-hec', url: `http://127.0.0.1:${String(port)}` },
      [sourceId],
      { secret: 'wrong' },
    );
    forwarder.start();
    await until('an error', async () => (await getDestination(t.db, d.id)).lastError !== null);
    const failed = await getDestination(t.db, d.id);
    expect(failed.lastError).toMatch(/answered 401/);
    expect(failed.lastError).not.toContain('wrong');
    expect(failed.delivered).toBe(0);
    expect((await destinationBacklog(t.db, d)).backlog).toBe(20);
    await receiver.stop();
  });

  it('file: JSON lines, rotated by size, every event once', async () => {
    const { sourceId } = await newSource(t.db);
    await storeEvents(t, sourceId, 1000, 5);
    const folder = join(dir, 'out');
    const d = await destination(
      { type: 'file', directory: folder, maxFileBytes: 200_000, maxFiles: 1000 },
      [sourceId],
    );
    forwarder.start();
    await until('an empty backlog', async () => (await destinationBacklog(t.db, d)).backlog === 0);
    const files = readdirSync(folder).sort();
    expect(files).toContain(CURRENT_FILE);
    expect(files.length).toBeGreaterThan(3);
    const ids = files.flatMap((f) => {
      const text = readFileSync(join(folder, f), 'utf8');
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(200_000);
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { id: string }).id);
    });
    expect(ids.sort()).toEqual(await storedIds(t, [sourceId]));
  });

  it('a down destination does not hold back another one', async () => {
    const { sourceId } = await newSource(t.db);
    await storeEvents(t, sourceId, 400, 6);
    const down = await destination(
      { type: 'http', preset: 'webhook', url: 'http://127.0.0.1:9/nothing' },
      [sourceId],
    );
    const receiver = new HttpReceiver();
    const port = await receiver.start();
    const up = await destination(
      { type: 'http', preset: 'webhook', url: `http://127.0.0.1:${String(port)}` },
      [sourceId],
    );
    forwarder.start();
    await until(
      'the healthy one drained',
      async () => (await destinationBacklog(t.db, up)).backlog === 0,
    );
    expect((await destinationBacklog(t.db, down)).backlog).toBe(400);
    expect((await getDestination(t.db, down.id)).lastError).toMatch(/request failed/);
    await receiver.stop();
  });
});
