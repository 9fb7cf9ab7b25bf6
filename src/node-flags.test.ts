import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from './node-flags.js';

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('the V8 options duo-insights starts with', () => {
  it('are on the duo-insights command line and in npm start', () => {
    const shebang = read('./cli/main.ts').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
    const scripts = (JSON.parse(read('../package.json')) as { scripts: Record<string, string> })
      .scripts;
    expect(scripts.start).toBe(`node ${NODE_FLAGS.join(' ')} dist/cli/main.js serve`);
  });
});
