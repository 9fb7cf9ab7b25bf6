/**
 * Imports point only downward: the command line and the HTTP API both call the use cases of
 * core/, the command line imports nothing from the HTTP server, and the sync engine knows no use
 * case. Read from the source files themselves (static and dynamic imports, types included), so a
 * new file cannot slip past.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** Which top-level folders of src/ each folder may import (besides itself and src/*.ts). */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  domain: [],
  duo: ['domain'],
  store: ['domain'],
  sync: ['domain', 'duo', 'store'],
  forward: ['domain', 'store'],
  core: ['domain', 'duo', 'store', 'sync', 'forward'],
  api: ['core', 'domain', 'duo', 'store', 'sync', 'sim'],
  cli: ['core', 'domain', 'duo', 'store', 'sync', 'sim'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The src/ folder each relative import of a file lands in (`''` for src/*.ts). */
function importedFolders(file: string): { specifier: string; folder: string }[] {
  // Comments may show imports as examples (of the console's, say); only code counts.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found = [];
  for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'(\.[^']+)'/g)) {
    const specifier = match[1] ?? '';
    const target = relative(SRC, resolve(file, '..', specifier));
    const parts = target.split(sep);
    found.push({ specifier, folder: parts.length > 1 ? (parts[0] ?? '') : '' });
  }
  return found;
}

describe('the layers', () => {
  it('finds the imports it checks (a dynamic one included)', () => {
    const app = importedFolders(join(SRC, 'app.ts')).map((i) => i.specifier);
    expect(app).toContain('./api/server.js');
    expect(app).toContain('./core/sources.js');
  });

  for (const [folder, allowed] of Object.entries(MAY_IMPORT)) {
    it(`${folder}/ imports only ${allowed.length === 0 ? 'itself' : allowed.join(', ')}`, () => {
      const wrong = sourceFiles(join(SRC, folder)).flatMap((file) =>
        importedFolders(file)
          .filter((i) => i.folder !== '' && i.folder !== folder && !allowed.includes(i.folder))
          .map((i) => `${relative(SRC, file)} imports ${i.specifier}`),
      );
      expect(wrong).toEqual([]);
    });
  }
});
