import { describe, expect, it } from 'vitest';
import { ApiHostError, checkApiHost } from './duo-connections.js';

describe('the API host rule', () => {
  it('accepts Duo API hosts on the HTTPS port, with or without it written', () => {
    for (const host of [
      'api-1234abcd.duosecurity.com',
      'API-1234ABCD.DUOSECURITY.COM',
      'https://api-1234abcd.duosecurity.com',
      'api-1234abcd.duosecurity.com:443',
      'https://api-1234abcd.duofederal.com:443',
    ])
      expect(() => {
        checkApiHost(host, false);
      }, host).not.toThrow();
  });

  it('refuses any other port on a Duo host, naming the port and what to enter', () => {
    for (const [host, port] of [
      ['api-1234abcd.duosecurity.com:22', '22'],
      ['https://api-1234abcd.duosecurity.com:8443', '8443'],
      ['api-1234abcd.duofederal.com:80', '80'],
    ] as const) {
      expect(() => {
        checkApiHost(host, true);
      }, host).toThrow(ApiHostError);
      expect(() => {
        checkApiHost(host, true);
      }, host).toThrow(`:${port}: Duo API hosts answer on port 443 only`);
    }
  });

  it('keeps any port on a loopback host when loopback hosts are allowed, and none when not', () => {
    for (const host of ['127.0.0.1:8443', 'http://localhost:22', 'https://[::1]:9000'])
      expect(() => {
        checkApiHost(host, true);
      }, host).not.toThrow();
    expect(() => {
      checkApiHost('127.0.0.1:8443', false);
    }).toThrow(/loopback host, allowed only/);
  });

  it('refuses hosts that are not Duo hosts', () => {
    expect(() => {
      checkApiHost('evil.example.com', true);
    }).toThrow(/is not a Duo API hostname/);
    expect(() => {
      checkApiHost('api-1234abcd.duosecurity.com.evil.example', true);
    }).toThrow(/is not a Duo API hostname/);
  });
});
