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

it('gives every light tint a dark-theme counterpart, so light text never sits on a light panel', () => {
  type Rule = { sheet: string; selector: string; body: string };
  const rules: Rule[] = sheets.flatMap((sheet) => {
    const text = fs.readFileSync(path.join(dir, sheet), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    // Innermost blocks: a rule inside @media is read as a rule; the @media line itself holds no declarations.
    return [...text.matchAll(/([^{}]+)\{([^{}]*)\}/g)].flatMap((m) =>
      m[1]!.split(',').map((s) => ({ sheet, selector: s.trim().replace(/\s+/g, ' '), body: m[2]! })),
    );
  });
  const DARK = ":root[data-theme='dark'] ";
  const darkened = new Set(rules.filter((r) => r.selector.startsWith(DARK)).map((r) => r.selector.slice(DARK.length)));
  /** Relative luminance of a #rgb or #rrggbb colour, 0 (black) to 1 (white). */
  const luminance = (hex: string) => {
    const h = hex.length === 4 ? [...hex.slice(1)].map((c) => c + c).join('') : hex.slice(1);
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255);
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const lightOnly = rules
    .filter((r) => !r.selector.startsWith(':root'))
    .filter((r) => {
      const colour = /background(?:-color)?:\s*(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})\b/.exec(r.body)?.[1];
      return colour !== undefined && luminance(colour) > 0.8 && !darkened.has(r.selector);
    })
    .map((r) => `${r.sheet} ${r.selector}`);
  expect(lightOnly).toEqual([]);
});
