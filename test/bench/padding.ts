// Padding share of a Beethoven-sized dataset under the trainer's length-grouped batching, against
// padding every example to 2,048 tokens as the reference trainer did. Lengths are drawn (seeded)
// to match the paper's figures for one character: ~1,600 scenes, ~470 words (~620 tokens) each on
// average, long-tailed, capped at the 2,048-token maximum. The trainer's own code does the counting.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const SCRIPT = `
import json, random, math
from character_trainer.batching import padding_shares
rng = random.Random(42)
lengths = [min(2048, max(64, int(rng.lognormvariate(math.log(560), 0.45)))) for _ in range(1600)]
out = {"scenes": len(lengths), "meanTokens": round(sum(lengths) / len(lengths))}
for batch in (4, 8, 16):
    ours, fixed = padding_shares(lengths, batch, 1, 42)
    out[f"batch{batch}"] = {"paddingShare": round(ours, 4), "paddingShareFixed2048": round(fixed, 4)}
print(json.dumps(out))
`;

export function run(): Promise<object> {
  const root = path.resolve(path.dirname(process.argv[1] ?? '.'), '..', '..');
  const python = path.join(root, '.venv', 'bin', 'python');
  const stdout = execFileSync(python, ['-c', SCRIPT], {
    env: { ...process.env, PYTHONPATH: path.join(root, 'resources', 'trainer') },
    encoding: 'utf8',
  });
  return Promise.resolve(JSON.parse(stdout) as object);
}
