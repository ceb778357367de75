// @vitest-environment jsdom
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { resolveTheme } from '../../../renderer/src/lib/theme';

/** The theme switch (issue 13, point 5) holds only if every stylesheet keys its dark rules on data-theme. */

it('has no stylesheet that follows the system behind the switch', () => {
  const dir = path.resolve('renderer/src');
  const sheets = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.css'));
  expect(sheets.length).toBeGreaterThan(5);
  const offenders = sheets.filter((file) => /prefers-color-scheme/.test(fs.readFileSync(path.join(dir, file), 'utf8')));
  // Write dark rules as `:root[data-theme='dark'] .selector { … }` (see renderer/src/lib/theme.ts).
  expect(offenders).toEqual([]);
  expect(fs.readFileSync(path.join(dir, 'theme-dark.css'), 'utf8')).toMatch(
    /:root\[data-theme='dark'\] \{\n {2}color-scheme: dark;/,
  );
});

it('resolves the choice against the system', () => {
  expect(resolveTheme('system', 'dark')).toBe('dark');
  expect(resolveTheme('system', 'light')).toBe('light');
  expect(resolveTheme('light', 'dark')).toBe('light');
  expect(resolveTheme('dark', 'light')).toBe('dark');
});
