/**
 * Destinations over HTTP: an admin creates a signed webhook, tests it against a real receiver
 * (which verifies the HMAC signature), sees it listed with its health and never its key (not in
 * any answer, not in the log), and deletes it; a viewer may do none of it; bad settings are
 * refused naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpReceiver, SyslogReceiver } from '../../forward/receivers.js';
import { errorOf, startTestApi, type Client, type TestApi } from '../../../test/support/api.js';

const KEY = 'hmac-key-which-must-never-leak-7f3a';

describe('destinations API', () => {
  let api: TestApi;
  let admin: Client;
  let viewer: Client;
  const receiver = new HttpReceiver({ hmacKey: KEY });

  beforeAll(async () => {
    api = await startTestApi();
    await api.createUser('admin', 'admin');
    await api.createUser('val', 'viewer');
    admin = await api.signIn('admin');
    viewer = await api.signIn('val');
    await receiver.start();
  });

  afterAll(async () => {
    await receiver.stop();
    await api.close();
  });

  it('creates, tests, lists, shows and deletes a signed webhook without ever showing its key', async () => {
    const created = await admin.post('/api/v1/destinations', {
      name: 'Webhook',
      type: 'http',
      preset: 'webhook',
      url: `${receiver.url()}/events`,
      token: KEY,
      streams: ['authentication', 'administrator'],
    });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    expect(created.body).toMatchObject({
      name: 'Webhook',
      type: 'http',
      hasSecret: true,
      streams: ['authentication', 'administrator'],
      sourceIds: null,
      health: { backlog: 0, delivered: 0, state: 'idle' },
    });

    const tested = await admin.post(`/api/v1/destinations/${id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ ok: true, error: null });
    expect(receiver.rejected).toEqual([]);
    expect(receiver.records.map((r) => r.stream)).toEqual(['test']);

    const list = await admin.get('/api/v1/destinations');
    expect(list.status).toBe(200);
    expect((list.body as { destinations: { id: string }[] }).destinations.map((d) => d.id)).toEqual(
      [id],
    );
    const shown = await admin.get(`/api/v1/destinations/${id}`);
    expect(shown.status).toBe(200);
    for (const answer of [created, tested, list, shown]) expect(answer.text).not.toContain(KEY);
    expect(api.logs.join('\n')).not.toContain(KEY);

    const audit = await admin.get('/api/v1/audit');
    const actions = (audit.body as { entries: { action: string }[] }).entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['destination.create', 'destination.test']));

    expect((await admin.delete(`/api/v1/destinations/${id}`)).status).toBe(204);
    const gone = await admin.get(`/api/v1/destinations/${id}`);
    expect(gone.status).toBe(404);
    expect(errorOf(gone.body).code).toBe('not_found');
  });

  it('a test that is not accepted says why, naming the receiver', async () => {
    const closed = new SyslogReceiver('tcp');
    const port = await closed.start();
    await closed.stop();
    const created = await admin.post('/api/v1/destinations', {
      name: 'Nobody listens',
      type: 'syslog',
      transport: 'tcp',
      host: '127.0.0.1',
      port,
    });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const tested = await admin.post(`/api/v1/destinations/${id}/test`);
    expect(tested.body).toMatchObject({ ok: false });
    expect((tested.body as { error: string }).error).toContain(`127.0.0.1:${String(port)}`);
    expect((tested.body as { error: string }).error).toMatch(/ECONNREFUSED/);
  });

  it('refuses a viewer everything', async () => {
    expect((await viewer.get('/api/v1/destinations')).status).toBe(403);
    const post = await viewer.post('/api/v1/destinations', {
      name: 'x',
      type: 'file',
      directory: '/tmp/x',
    });
    expect(post.status).toBe(403);
  });

  it('refuses bad settings naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'a', type: 'syslog', transport: 'tcp', host: 'h', port: 0 }, 'port'],
      [
        { name: 'a', type: 'syslog', transport: 'carrier-pigeon', host: 'h', port: 514 },
        'transport',
      ],
      [{ name: 'a', type: 'http', preset: 'splunk-hec', url: 'ftp://x' }, 'url'],
      [{ name: 'a', type: 'http', preset: 'splunk-hec', url: 'https://splunk:8088' }, 'token'],
      [{ name: 'a', type: 'file', directory: 'relative/dir' }, 'directory'],
      [{ name: 'a', type: 'file', directory: '/tmp/x', sourceIds: ['nope'] }, 'sourceIds.0'],
      [
        { name: 'a', type: 'syslog', transport: 'udp', host: 'h', port: 514, streams: ['weather'] },
        'streams.0',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await admin.post('/api/v1/destinations', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = errorOf(res.body);
      expect(error.code).toBe('validation_failed');
      expect(JSON.stringify(error.details), JSON.stringify(body)).toContain(field);
    }
  });
});
