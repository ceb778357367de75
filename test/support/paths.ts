import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The paper's files, kept outside the repository (../shared beside it); read, never copied. */
export const fixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'character-llm');
export const testOutputDir = path.join(repoRoot, 'test-output');
/** The built CLI's entry (`node scripts/build.mjs` writes what it loads), as a user runs it. */
export const builtCliBin = path.join(repoRoot, 'bin', 'character-studio.cjs');

export function fixture(name: string): string {
  return path.join(fixturesDir, name);
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'cs-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
