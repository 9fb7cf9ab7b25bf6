/**
 * CEF on odd Duo values: a header field keeps `|` and `\` from ending it, an extension value
 * keeps `=`, `\` and line breaks from starting a forged key or message; syslog framing survives
 * any of it; the event id is stable.
 */
import { describe, expect, it } from 'vitest';
import { SyslogDeframer } from './receivers.js';
import { escapeCefHeader, escapeCefValue, formatCef } from './cef.js';
import { eventId, testRecord, type ForwardRecord } from './record.js';
import { frame, syslogMessage } from './syslog.js';

const odd: ForwardRecord = {
  ...testRecord(Date.parse('2026-12-01T10:00:00Z')),
  stream: 'authentication',
  sourceId: 'src-1',
  result: 'denied|x',
  reason: 'a=b\\c\nforged=1\r\nCEF:0|evil',
  user: { key: 'DU1', name: 'ädmin=\\|"' },
  application: 'App | "quoted" = yes',
  duo: { txid: 'T' },
};

describe('CEF', () => {
  it('escapes header fields: backslash and pipe, never a line break', () => {
    expect(escapeCefHeader('a|b\\c\nd')).toBe('a\\|b\\\\c d');
  });

  it('escapes extension values: backslash, equals, CR and LF', () => {
    expect(escapeCefValue('a=b\\c\r\nd|e')).toBe('a\\=b\\\\c\\r\\nd|e');
  });

  it('an odd Duo record makes one line with exactly the expected keys', () => {
    const line = formatCef(odd);
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).toMatch(
      /^CEF:0\|Duo Security\|duo-insights\|[^|]+\|authentication:denied\\\|x\|Authentication denied\\\|x\|3\|/,
    );
    expect(line).toContain('reason=a\\=b\\\\c\\nforged\\=1\\r\\nCEF:0|evil');
    expect(line).toContain('suser=ädmin\\=\\\\|"');
    expect(line).toContain('cs2=App | "quoted" \\= yes cs5Label');
    // Unescaped `=` only after a key: splitting on them finds only the keys it wrote.
    const keys = [...line.slice(line.indexOf('|3|') + 3).matchAll(/(?:^| )([A-Za-z0-9]+)=/g)].map(
      (m) => m[1],
    );
    expect(keys).toEqual([
      'rt',
      'externalId',
      'suser',
      'suid',
      'outcome',
      'reason',
      'cs2Label',
      'cs2',
      'cs5Label',
      'cs5',
      'deviceProcessName',
    ]);
  });

  it('octet-counted and newline syslog frames carry it whole', () => {
    const message = syslogMessage(odd, 'cef', 'host one');
    expect(message).toMatch(
      /^<86>1 2026-12-01T10:00:00.000Z hostone duo-insights - authentication \[duoInsights@32473 eventId="[0-9a-f]{32}" stream="authentication"\] CEF:0/,
    );
    for (const framing of ['octet-counting', 'newline'] as const) {
      const deframer = new SyslogDeframer(framing);
      const bytes = Buffer.concat([frame(message, framing), frame(message, framing)]);
      expect(
        deframer.push(bytes.subarray(0, 37)).concat(deframer.push(bytes.subarray(37))),
      ).toEqual([message, message]);
    }
  });

  it('the event id is the same for the same stored event, and differs otherwise', () => {
    const event = {
      sourceId: 's',
      stream: 'authentication' as const,
      tsMs: 1 as never,
      naturalKey: 'k',
    };
    expect(eventId(event)).toBe(eventId({ ...event }));
    expect(eventId(event)).not.toBe(eventId({ ...event, naturalKey: 'k2' }));
    expect(eventId(event)).toMatch(/^[0-9a-f]{32}$/);
  });
});
