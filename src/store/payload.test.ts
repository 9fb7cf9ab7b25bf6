import { describe, expect, it } from 'vitest';
import { STREAMS } from '../domain/streams.js';
import { ms } from '../domain/time.js';
import { authEvents } from '../../test/support/activity-fixtures.js';
import { decodePayload, encodePayload, sameJson } from './payload.js';

describe('stored payloads', () => {
  it('give back the exact original JSON for every stream', () => {
    const [event] = authEvents({ count: 1, startMs: ms(1_736_121_600_000) });
    const json = event?.payload ?? '';
    for (const stream of STREAMS) expect(decodePayload(encodePayload(stream, json))).toBe(json);
    expect(decodePayload(encodePayload('authentication', 'ünïcødé ✓'))).toBe('ünïcødé ✓');
  });

  it('shrink a realistic auth record to a fraction of its JSON', () => {
    const events = authEvents({ count: 200, startMs: ms(1_736_121_600_000), seed: 3 });
    const raw = events.reduce((s, e) => s + Buffer.byteLength(e.payload), 0);
    const stored = events.reduce(
      (s, e) => s + encodePayload('authentication', e.payload).length,
      0,
    );
    expect(stored / raw).toBeLessThan(0.3);
  });

  // Written by an earlier version: if a shipped dictionary is ever edited, old rows stop
  // decoding and this fails. Add a new codec instead.
  it.each([
    [
      '{"txid":"a1b2","result":"success","factor":"duo_push","user":{"key":"DU1","name":"ann@example.com"}}',
      'AauGOSLRMMkIuyexBTXMLTBLDRGWJOblodkBAA==',
    ],
    [
      '{"context":"authentication","credits":1,"telephony_id":"t1","type":"sms"}',
      'AiPaX2geKDFEMwgA',
    ],
    ['{"action":"admin_login","timestamp":1700000000,"username":"admin"}', 'A6tGxDlyKJAQegA='],
    ['{"activity_id":"a1","outcome":{"result":"SUCCESS"}}', 'BKtGi5REUCLD69haAA=='],
    // LZ4 (codecs 5-8), the form new rows take.
    [
      '{"txid":"a1b2","result":"success","factor":"duo_push","user":{"key":"DU1","name":"ann@example.com"}}',
      'BWQAAAAUe4UAT2ExYjLlAAMPawEBALABAF8CBHUAAFIDA2UANWFubmQAYGNvbSJ9fQ==',
    ],
    [
      '{"context":"authentication","credits":1,"telephony_id":"t1","type":"sms"}',
      'BkkAAAAP2AAWC8EAEXTVALB5cGUiOiJzbXMifQ==',
    ],
    [
      '{"action":"admin_login","timestamp":1700000000,"username":"admin"}',
      'B0IAAAAH9AEIBgEPPgESYGRtaW4ifQ==',
    ],
    ['{"activity_id":"a1","outcome":{"result":"SUCCESS"}}', 'CDMAAAAAmAIIlQEgYTHqAQ+tAARgRVNTIn19'],
  ])('still decode payloads stored by earlier versions (%s)', (json, stored) => {
    expect(decodePayload(Buffer.from(stored, 'base64'))).toBe(json);
  });

  it('store new rows with the LZ4 codec of their stream', () => {
    expect(encodePayload('authentication', '{}')[0]).toBe(5);
    expect(encodePayload('telephony', '{}')[0]).toBe(6);
    expect(encodePayload('administrator', '{}')[0]).toBe(7);
    expect(encodePayload('offline_enrollment', '{}')[0]).toBe(7);
    expect(encodePayload('activity', '{}')[0]).toBe(8);
  });

  it('refuse a payload of an unknown codec', () => {
    expect(() => decodePayload(Buffer.of(99, 1, 2))).toThrow(/codec 99/);
  });

  it('tell the same record apart from a changed one, whatever the key order and spacing', () => {
    expect(sameJson('{"a": 1, "b": {"c": [1, "x"]}}', '{"b":{"c":[1,"x"]},"a":1}')).toBe(true);
    expect(sameJson('{"a":1,"b":{"c":[1,"x"]}}', '{"a":1,"b":{"c":["x",1]}}')).toBe(false);
    expect(sameJson('{"a":1}', '{"a":1,"b":null}')).toBe(false);
    expect(sameJson('{"a":"\\u00e9"}', '{"a":"é"}')).toBe(true);
    expect(sameJson('not json', '{}')).toBe(false);
  });
});
