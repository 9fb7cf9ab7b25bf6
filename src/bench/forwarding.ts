/**
 * The forwarding bench: events delivered per second to a syslog TCP receiver and to an HTTP
 * (webhook, HMAC-signed) receiver, and how long a backlog built during a receiver outage takes
 * to drain once it is back. Real store (a temporary SQLite file, or `--database postgres://…`),
 * real sockets, the product's delivery loop.
 *
 * @example npx tsx src/bench/forwarding.ts [--events 20000] [--database postgres://postgres@127.0.0.1:5432/test]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../logging.js';
import { ms } from '../domain/time.js';
import type { DestinationSettings } from '../domain/destinations.js';
import { openDatabase } from '../store/dialect.js';
import { migrate } from '../store/migrate.js';
import { ingestActivityPage } from '../store/activity/ingest.js';
import { createIdentity } from '../store/identities.js';
import { createSource } from '../store/sources.js';
import { createDestination, destinationBacklog, getDestination } from '../store/destinations.js';
import { generateSecretKey } from '../store/secrets.js';
import { Forwarder } from '../forward/forwarder.js';
import { HttpReceiver, SyslogReceiver } from '../forward/receivers.js';
import type { NormalisedEvent } from '../domain/activity.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '20000' }, database: { type: 'string' } },
});
const EVENTS = Number(values.events);
const dir = mkdtempSync(join(tmpdir(), 'di-forward-bench-'));
const db = openDatabase(values.database ?? `sqlite:${join(dir, 'bench.db')}`);
const key = generateSecretKey();
const log = createLogger({ level: 'silent' });

/** Authentication records shaped like Duo's (the fields forwarding reads), one every `gapMs`. */
function authEvents(count: number, startMs: number, gapMs: number): NormalisedEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const ts = startMs + i * gapMs;
    const txid = `bench-${String(i).padStart(10, '0')}`;
    const user = `user${String(i % 500)}@example.com`;
    const record = {
      access_device: {
        browser: 'Chrome',
        ip: `10.0.${String(i % 250)}.${String(i % 200)}`,
        os: 'Windows',
      },
      application: { key: 'DIBENCH', name: 'VPN' },
      event_type: 'authentication',
      factor: 'duo_push',
      isotimestamp: new Date(ts).toISOString(),
      reason: 'user_approved',
      result: i % 13 === 0 ? 'denied' : 'success',
      timestamp: Math.floor(ts / 1000),
      txid,
      user: { key: `DU${String(i % 500).padStart(18, '0')}`, name: user, groups: ['Duo Users'] },
    };
    return {
      naturalKey: txid,
      tsMs: ms(ts),
      userKey: record.user.key,
      username: user,
      result: record.result,
      reason: record.reason,
      factor: 'Duo Push',
      application: 'VPN',
      location: 'Ann Arbor, Michigan, United States',
      accessOs: 'Windows 10',
      accessBrowser: 'Chrome 120',
      ip: record.access_device.ip,
      txid,
      payload: JSON.stringify(record),
    };
  });
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function main(): Promise<void> {
  await migrate(db);
  const owner = await createIdentity(db, { displayName: 'Bench owner' });
  const source = await createSource(db, {
    type: 'duo-activity',
    name: `bench ${String(Date.now())}`,
    ownerIdentityId: owner.id,
  });
  const events = authEvents(EVENTS, Date.now() - 20 * 86_400_000, 5000);
  for (let i = 0; i < events.length; i += 1000)
    await ingestActivityPage(db, {
      sourceId: source.id,
      stream: 'authentication',
      events: events.slice(i, i + 1000),
      cursor: { i },
    });
  const forwarder = new Forwarder(
    { db, secretKey: key, log, clock: Date.now, holder: 'bench' },
    { batchSize: 500, backoffMs: 100, maxBackoffMs: 1000, idleMs: 100, refreshMs: 50 },
  );
  forwarder.start();
  const results: Record<string, unknown> = {
    events: EVENTS,
    database: values.database ? 'postgres' : 'sqlite',
  };

  async function timed(name: string, settings: DestinationSettings, secret?: string) {
    const d = await createDestination(
      db,
      { name, settings, sourceIds: [source.id], streams: null, ...(secret ? { secret } : {}) },
      key,
      ms(Date.now()),
    );
    const started = Date.now();
    forwarder.wake();
    await until(async () => (await getDestination(db, d.id)).delivered >= EVENTS);
    const seconds = (Date.now() - started) / 1000;
    results[`${name} events/s`] = Math.round(EVENTS / seconds);
    return d;
  }

  const tcp = new SyslogReceiver('tcp');
  const tcpPort = await tcp.start();
  await timed('syslog-tcp-json', {
    type: 'syslog',
    transport: 'tcp',
    host: '127.0.0.1',
    port: tcpPort,
    framing: 'octet-counting',
    format: 'json',
  });
  await timed('syslog-tcp-cef', {
    type: 'syslog',
    transport: 'tcp',
    host: '127.0.0.1',
    port: tcpPort,
    framing: 'octet-counting',
    format: 'cef',
  });
  const http = new HttpReceiver({ hmacKey: 'bench-key' });
  const httpPort = await http.start();
  await timed(
    'webhook',
    { type: 'http', preset: 'webhook', url: `http://127.0.0.1:${String(httpPort)}/` },
    'bench-key',
  );

  // An outage: the receiver is down while a destination is created over the whole store, so its
  // backlog is every event; once the receiver is back, how long until the backlog is drained.
  await tcp.stop();
  const outage = await createDestination(
    db,
    {
      name: 'outage',
      settings: {
        type: 'syslog',
        transport: 'tcp',
        host: '127.0.0.1',
        port: tcpPort,
        framing: 'octet-counting',
        format: 'json',
      },
      sourceIds: [source.id],
      streams: null,
    },
    key,
    ms(Date.now()),
  );
  forwarder.wake();
  await until(async () => (await getDestination(db, outage.id)).lastError !== null);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  results['outage backlog'] = (await destinationBacklog(db, outage)).backlog;
  await tcp.start(tcpPort);
  const back = Date.now();
  await until(async () => (await destinationBacklog(db, outage)).backlog === 0);
  results['outage drained in s (includes the backoff wait, ≤ 1 s)'] = (Date.now() - back) / 1000;
  await forwarder.stop();
  await tcp.stop();
  await http.stop();
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

try {
  await main();
} finally {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
}
