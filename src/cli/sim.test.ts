import { describe, expect, it } from 'vitest';
import { control, duoGet } from '../sim/testing.js';
import { parseRateLimits, planSimulator, runSimulator } from './sim.js';

describe('duo-insights sim flags', () => {
  it('generates an integration key (DI + 18) and a 40-character secret key when none is given', () => {
    const plan = planSimulator({});
    expect(plan.ikey).toMatch(/^DI[A-Z0-9]{18}$/);
    expect(plan.skey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(plan.skeyGenerated).toBe(true);
    expect(planSimulator({ ikey: 'DIX', skey: 's'.repeat(40) }).skeyGenerated).toBe(false);
  });

  it('explains bad flags by name', () => {
    expect(() => planSimulator({ port: '70000' })).toThrow(/--port must be a whole number/);
    expect(() => planSimulator({ users: 'many' })).toThrow(/--users/);
    expect(() => planSimulator({ permissions: 'read_log,write_all' })).toThrow(
      /--permissions .*unknown: write_all/,
    );
    expect(() => planSimulator({ speed: 'fast' })).toThrow(/--speed/);
    expect(() => planSimulator({ repeatedRecords: '2' })).toThrow(
      /--repeated-records must be a share from 0 to 1/,
    );
    expect(() => planSimulator({ faults: '[{"kind":"gremlins"}]' })).toThrow(/--faults item 0/);
    expect(() => planSimulator({ faults: 'not json' })).toThrow(/--faults takes JSON/);
    expect(() => planSimulator({ rateLimit: 'logs_everything=2/1' })).toThrow(
      /--rate-limit .*bad item "logs_everything=2\/1"/,
    );
  });

  it('passes --repeated-records to the tenant (identical v1 records in one second)', () => {
    expect(planSimulator({ repeatedRecords: '0.05' }).options.repeatedRecords).toBe(0.05);
    expect(planSimulator({}).options.repeatedRecords).toBeUndefined();
  });

  it('reads rate limits as off, duo, or family=perMinute/burst lists on top of duo', () => {
    expect(parseRateLimits('off')).toBe('off');
    expect(parseRateLimits('logs_authentication=10/5')).toEqual({
      logs_authentication: { perMinute: 10, burst: 5 },
    });
    expect(parseRateLimits('duo,logs_authentication=10/5')).toMatchObject({
      logs_authentication: { perMinute: 10, burst: 5 },
      logs_telephony: { perMinute: 2, burst: 2 },
    });
  });
});

describe('duo-insights sim', () => {
  it('prints where it listens and the credentials, serves signed requests, and stops', async () => {
    const lines: string[] = [];
    const warnings: string[] = [];
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const plan = planSimulator({
      ikey: 'DICLI000000000000001',
      users: '20',
      days: '1',
      faults: '{"kind":"5xx","path":"/admin/v1/users","count":1}',
    });
    const running = runSimulator(plan, {
      out: (line) => lines.push(line),
      err: (line) => warnings.push(line),
      json: true,
      stopped,
    });
    await expect.poll(() => lines.length).toBeGreaterThan(0);
    const printed = JSON.parse(lines[0] ?? '{}') as Record<string, string>;
    expect(printed).toMatchObject({ ikey: 'DICLI000000000000001', skey: plan.skey });
    expect(warnings.join('\n')).toMatch(/secret key was generated/);
    const target = { url: printed.url ?? '', host: printed.apiHostname ?? '' };
    expect((await duoGet(target, plan, '/admin/v1/users')).status).toBe(503);
    const response = await duoGet(target, plan, '/admin/v1/users');
    expect(response.status).toBe(200);
    await control(target, 'GET', '/_sim/clock');
    stop();
    await running;
    await expect(duoGet(target, plan, '/admin/v1/users')).rejects.toThrow();
  });
});
