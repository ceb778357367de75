// A benchmark's big dataset, built in a process of its own (build-dataset-main.ts) so the process
// being measured starts with the memory a studio opening that data has.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CharacterId } from '../../common/contract';
import type { Studio } from '../../main/core/studio';

/** Creates the benchmarks' character, Beethoven, in `studio`; its id. */
export async function benchCharacter(studio: Studio): Promise<CharacterId> {
  const outcome = await studio.invoke('characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '1770–1827',
    notes: '',
  });
  if (!outcome.ok) throw new Error(`characters/create: ${outcome.error.message}`);
  return (outcome.result as { id: CharacterId }).id;
}

/**
 * Builds `scenes` scenes for a new character in `dataDir` in a process of its own
 * (build-dataset-main.ts). With `BENCH_BUILT_CACHE` naming a folder, a dataset built there before
 * for the same count is copied instead (a few seconds, where building 100,000 scenes takes
 * minutes), and a new build is kept there for the next run: for iterating on one measure.
 */
export async function buildInOwnProcess(dataDir: string, scenes: number): Promise<{ characterId: CharacterId }> {
  const cache = process.env.BENCH_BUILT_CACHE ? path.join(process.env.BENCH_BUILT_CACHE, String(scenes)) : null;
  const kept = cache ? path.join(cache, 'built.json') : null;
  if (cache && kept && fs.existsSync(kept)) {
    fs.cpSync(path.join(cache, 'data'), dataDir, { recursive: true });
    return JSON.parse(fs.readFileSync(kept, 'utf8')) as { characterId: CharacterId };
  }
  const script = path.join(path.dirname(process.argv[1] ?? '.'), 'build-dataset-main.mjs');
  const child = spawn(process.execPath, [script, dataDir, String(scenes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`building the dataset failed (exit ${code})`);
  const built = JSON.parse(out) as { characterId: CharacterId };
  if (cache && kept) {
    fs.rmSync(cache, { recursive: true, force: true });
    fs.cpSync(dataDir, path.join(cache, 'data'), { recursive: true });
    // Written last: a copy cut short is not taken for a whole one.
    fs.writeFileSync(kept, JSON.stringify(built));
  }
  return built;
}
