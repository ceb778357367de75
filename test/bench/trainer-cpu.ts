// Trainer speed on CPU: optimizer steps per second on the tiny random Llama (2 layers, 64 wide),
// LoRA, batch 2, both training formats, measured from the trainer's own progress events.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const STEPS = 40;

function scenes(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      JSON.stringify({
        id: `s${i}`,
        character: { full_name: 'Ludwig van Beethoven', short_name: 'Beethoven' },
        location: `Bonn, room ${i}`,
        background: `Scene ${i}: a lesson with Neefe.`,
        turns: [
          { speaker: 'Neefe', kind: 'speaking', text: `Play the variation number ${i} again, slower.` },
          { speaker: 'Beethoven', kind: 'thinking', text: 'He will hear every wrong note.' },
          { speaker: 'Beethoven', kind: 'speaking', text: 'Then listen closely, Herr Neefe, and do not interrupt.' },
        ],
        protective: false,
      }),
    );
  }
  return lines.join('\n') + '\n';
}

export function run(): Promise<object> {
  const root = path.resolve(path.dirname(process.argv[1] ?? '.'), '..', '..');
  const python = path.join(root, '.venv', 'bin', 'python');
  const env = {
    ...process.env,
    PYTHONPATH: path.join(root, 'resources', 'trainer'),
    HF_HUB_OFFLINE: '1',
    OMP_NUM_THREADS: String(os.cpus().length),
  };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-train-'));
  try {
    const model = path.join(work, 'model');
    execFileSync(python, [path.join(root, 'test', 'support', 'tiny-model.py'), model], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    fs.writeFileSync(path.join(work, 'data.jsonl'), scenes(200));
    const results: Record<string, object> = {};
    for (const format of ['chat', 'character-llm'] as const) {
      const runDir = path.join(work, `run-${format}`);
      fs.mkdirSync(runDir);
      const job = {
        run_dir: runDir,
        base_model: model,
        format,
        dataset: path.join(work, 'data.jsonl'),
        hyperparameters: {
          lora_rank: 8,
          lora_alpha: 16,
          learning_rate: 1e-3,
          epochs: 10,
          max_steps: STEPS,
          batch_size: 2,
          grad_accumulation: 1,
          max_length: 256,
          eval_share: 0,
          save_every_steps: 100000,
        },
      };
      fs.writeFileSync(path.join(runDir, 'job.json'), JSON.stringify(job));
      const stdout = execFileSync(
        python,
        ['-m', 'character_trainer', 'train', '--job', path.join(runDir, 'job.json')],
        { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const progress = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; ts: number; step?: number; tokens_per_s?: number })
        .filter((e) => e.type === 'progress' && e.step !== undefined);
      const first = progress[0]!;
      const last = progress.at(-1)!;
      results[format] = {
        steps: last.step,
        stepsPerSecond: Number(((last.step! - first.step!) / (last.ts - first.ts)).toFixed(2)),
        tokensPerSecond: Math.round(last.tokens_per_s ?? 0),
      };
    }
    return Promise.resolve({
      model: 'tiny random Llama, 2 layers × 64, LoRA r8, batch 2, CPU',
      threads: os.cpus().length,
      ...results,
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
