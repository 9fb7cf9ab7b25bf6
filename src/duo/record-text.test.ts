import { describe, expect, it } from 'vitest';
import { recordTexts } from './record-text.js';

const PATH = ['response', 'authlogs'];

/** A deterministic pseudo-random JSON value with the awkward parts of real text in it. */
function randomValue(seed: { n: number }, depth: number): unknown {
  const next = (): number => {
    seed.n = (seed.n * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed.n / 2 ** 31;
  };
  const pick = Math.floor(next() * (depth > 3 ? 4 : 7));
  const strings = [
    '',
    'plain',
    'quote " inside',
    'back\\slash',
    'ends with \\',
    '{[,:]}',
    'é ü 漢 😀',
    '\n\t\u0001',
  ];
  switch (pick) {
    case 0:
      return strings[Math.floor(next() * strings.length)];
    case 1:
      return Math.floor(next() * 1e6) - 5e5 + (next() < 0.3 ? 0.25 : 0);
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
    case 5: {
      const out: Record<string, unknown> = {};
      const n = Math.floor(next() * 5);
      for (let i = 0; i < n; i++)
        out[`${strings[Math.floor(next() * strings.length)] ?? ''}${String(i)}`] = randomValue(
          seed,
          depth + 1,
        );
      return out;
    }
    default:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(seed, depth + 1));
  }
}

describe('recordTexts', () => {
  it("cuts each record's text as sent, spaces, escapes and all", () => {
    const records = [
      '{"txid": "a\\"}", "n": [1, {"x": "]"}], "u": "\\u00e9"}',
      '{ "txid" : "b\\\\" }',
      '"odd"',
      '12.5e3',
      'null',
      '[]',
    ];
    const body = `{"stat": "OK", "response": {"metadata": {"next_offset": ["1", "b"]}, "authlogs": [ ${records.join(' ,\n ')} ] }}`;
    const texts = recordTexts(body, PATH);
    expect(texts).toEqual(records);
    expect(texts?.map((t) => JSON.parse(t) as unknown)).toEqual(
      (JSON.parse(body) as { response: { authlogs: unknown[] } }).response.authlogs,
    );
  });

  it('reads the last of repeated keys, as JSON.parse does, and keys written with escapes', () => {
    const body = '{"response": {"authlogs": [{"a": 1}], "auth\\u006cogs": [{"b": 2}, {"c": 3}]}}';
    expect(recordTexts(body, PATH)).toEqual(['{"b": 2}', '{"c": 3}']);
  });

  it('answers an empty list, and undefined where the path holds no list', () => {
    expect(recordTexts('{"response":{"authlogs":[ ]}}', PATH)).toEqual([]);
    expect(recordTexts('{"response":{"items":[1]}}', PATH)).toBeUndefined();
    expect(recordTexts('{"response":{"authlogs":{"a":[1]}}}', PATH)).toBeUndefined();
    expect(recordTexts('{"response":[{"a":1},{"b":[2]}]}', ['response'])).toEqual([
      '{"a":1}',
      '{"b":[2]}',
    ]);
    expect(recordTexts('[1]', ['response'])).toBeUndefined();
  });

  it('gives texts that parse to the records of 500 random bodies, compact or indented', () => {
    const seed = { n: 7 };
    for (let i = 0; i < 500; i++) {
      const records = Array.from({ length: i % 9 }, () => randomValue(seed, 0));
      const response = { metadata: { total: records.length, odd: ['[', '{'] }, authlogs: records };
      const body = JSON.stringify({ stat: 'OK', response }, null, i % 2 === 0 ? undefined : 2);
      const texts = recordTexts(body, PATH);
      expect(texts?.map((t) => JSON.parse(t) as unknown)).toEqual(records);
    }
  });
});
