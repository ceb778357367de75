import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

// The renderer's stylesheets stay one per screen or component, small enough to read whole, and
// every one reaches the page: imported by a module or @imported by a sheet that is.

const dir = path.resolve('renderer/src');
const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });
const sheets = files.filter((f) => f.endsWith('.css'));
/** Longest a sheet may grow before it is split along its screens (as generation.css was). */
const MAX_LINES = 400;

it('keeps each stylesheet under 400 lines', () => {
  const long = sheets
    .map((f) => ({ file: f, lines: fs.readFileSync(path.join(dir, f), 'utf8').split('\n').length - 1 }))
    .filter((s) => s.lines > MAX_LINES)
    .map((s) => s.file);
  expect(long).toEqual([]);
});

it('imports every stylesheet, the app shell’s last and in cascade order', () => {
  const reached = new Set<string>();
  for (const f of files.filter((x) => /\.tsx?$/.test(x))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/^import '(\.[^']+\.css)';$/gm))
      reached.add(path.relative(dir, path.resolve(dir, path.dirname(f), m[1]!)));
  }
  for (const sheet of [...reached]) {
    const text = fs.readFileSync(path.join(dir, sheet), 'utf8');
    for (const m of text.matchAll(/^@import '(\.[^']+\.css)';$/gm))
      reached.add(path.relative(dir, path.resolve(dir, path.dirname(sheet), m[1]!)));
  }
  expect(sheets.filter((s) => !reached.has(s))).toEqual([]);
  // The base sheet first, then the shell's parts: main.tsx holds their order.
  const main = fs.readFileSync(path.join(dir, 'main.tsx'), 'utf8');
  const shell = [...main.matchAll(/^import '\.\/([^']+\.css)';$/gm)].map((m) => m[1]);
  expect(shell[0]).toBe('styles.css');
  expect(shell).toContain('theme-dark.css');
});
