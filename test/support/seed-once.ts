import fs from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from './paths';

/**
 * A data folder set up once for the file (`make`, in a `beforeAll`) and copied whole into each
 * test's own folder before its `serve` opens it (useServePage's `prepare`): tests that start from
 * the same set-up (a character, a provider, a generated dataset) pay for it once, and each still
 * changes a copy of its own. Whatever `make` starts for the set-up (a fake LLM server the provider
 * points at) is the file's to stop in its `afterAll`.
 */
export function seedOnce(prefix: string, make: (dataDir: string) => Promise<void>): (dataDir: string) => void {
  let seed: { dir: string; cleanup: () => void } | undefined;
  beforeAll(async () => {
    seed = tempDir(prefix);
    await make(seed.dir);
  });
  afterAll(() => seed?.cleanup());
  return (dataDir) => {
    if (!seed) throw new Error(`The seed ${prefix} was not made: its beforeAll failed (see above).`);
    fs.cpSync(seed.dir, dataDir, { recursive: true });
  };
}
