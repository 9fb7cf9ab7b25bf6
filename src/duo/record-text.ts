/**
 * Each log record's own JSON text, cut from the response body as Duo sent it, so a record's
 * payload is stored without serialising the parsed record again (which cost as much as parsing
 * it). The body has already been parsed by `JSON.parse` (so it is valid JSON); this walks its
 * structure once, skipping strings with `indexOf`, and hands out the text of each element of
 * the array at `path` (e.g. `response.authlogs`). A repeated key counts by its last occurrence,
 * as in `JSON.parse`. `JSON.parse(text)` of each element equals the parsed element.
 *
 * @example recordTexts('{"response":{"authlogs":[{"a":1},{"b":2}]}}', ['response', 'authlogs'])
 *   // ['{"a":1}', '{"b":2}']
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * The texts of the elements of the array at `path` in `body` (valid JSON), or undefined when
 * there is no array there.
 */
export function recordTexts(body: string, path: readonly string[]): string[] | undefined {
  let at = skipSpace(body, 0);
  for (const key of path) {
    const found = memberStart(body, at, key);
    if (found === undefined) return undefined;
    at = found;
  }
  if (body.charCodeAt(at) !== OPEN_BRACKET) return undefined;
  const texts: string[] = [];
  at = skipSpace(body, at + 1);
  if (body.charCodeAt(at) === CLOSE_BRACKET) return texts;
  for (;;) {
    const end = valueEnd(body, at);
    texts.push(body.slice(at, end));
    at = skipSpace(body, end);
    if (body.charCodeAt(at) !== COMMA) return texts;
    at = skipSpace(body, at + 1);
  }
}

/** Where the value of the object's last member named `key` starts (the object starts at `at`). */
function memberStart(body: string, at: number, key: string): number | undefined {
  if (body.charCodeAt(at) !== OPEN_BRACE) return undefined;
  let found: number | undefined;
  at = skipSpace(body, at + 1);
  if (body.charCodeAt(at) === CLOSE_BRACE) return undefined;
  for (;;) {
    const keyEnd = stringEnd(body, at);
    const name = body.slice(at, keyEnd);
    at = skipSpace(body, keyEnd);
    if (body.charCodeAt(at) !== COLON) return found;
    at = skipSpace(body, at + 1);
    // A key with escapes is compared decoded; plain keys (all of Duo's) compare as written.
    if (name === `"${key}"` || (name.includes('\\') && JSON.parse(name) === key)) found = at;
    at = skipSpace(body, valueEnd(body, at));
    if (body.charCodeAt(at) !== COMMA) return found;
    at = skipSpace(body, at + 1);
  }
}

/** The index after the value starting at `at`. */
function valueEnd(body: string, at: number): number {
  const first = body.charCodeAt(at);
  if (first === QUOTE) return stringEnd(body, at);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) return scalarEnd(body, at);
  let depth = 0;
  let i = at;
  for (;;) {
    const c = body.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(body, i);
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    } else if (Number.isNaN(c)) throw new SyntaxError('the JSON text ends inside a value');
    i++;
  }
}

/** The index after the string whose opening quote is at `at`. */
function stringEnd(body: string, at: number): number {
  let i = at + 1;
  for (;;) {
    const quote = body.indexOf('"', i);
    if (quote < 0) throw new SyntaxError('the JSON text ends inside a string');
    let slashes = 0;
    while (body.charCodeAt(quote - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

/** The index after a number, `true`, `false` or `null` starting at `at`. */
function scalarEnd(body: string, at: number): number {
  let i = at;
  for (;;) {
    const c = body.charCodeAt(i);
    if (Number.isNaN(c) || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c))
      return i;
    i++;
  }
}

function skipSpace(body: string, at: number): number {
  let i = at;
  while (isSpace(body.charCodeAt(i))) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
