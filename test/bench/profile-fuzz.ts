// Hostile profile imports (issue 8, points 17–19): the seeded fuzzer of test/support/profile-fuzz.ts
// against the built `character-studio serve` in its own process, as a user's browser would reach it.
// PROFILE_FUZZ_CASES cases (default 1,000), a reply over 1 s counts as a hang. Figures also go to
// bench-output/profile-fuzz.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { doorClient } from '../support/http-door';
import { runProfileFuzz } from '../support/profile-fuzz';
import { repoRoot } from '../support/paths';
import { startServe } from '../support/serve';

export async function run(): Promise<object> {
  const cases = Number(process.env.PROFILE_FUZZ_CASES ?? 1_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-fuzz-'));
  const serve = await startServe(dataDir);
  const client = doorClient(serve.origin, serve.token);
  try {
    const started = performance.now();
    const figures = await runProfileFuzz(client.invoke, { seed: 8, cases, hangMs: 1_000 });
    const result = { ...figures, wallSeconds: Math.round((performance.now() - started) / 100) / 10 };
    const outDir = path.join(repoRoot, 'bench-output');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'profile-fuzz.json'), JSON.stringify(result, null, 2));
    return result;
  } finally {
    client.close();
    await serve.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
