/**
 * Shared by the trainer tests: the repository's trainer venv, a tiny random Llama built by
 * test/support/tiny-model.py (nothing downloaded), studio scenes and small jobs.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CharacterId, ChunkId, Scene, SceneDoc, SceneId, TrainingConfig, Turn } from '../../../common/contract';
import { DEFAULT_HYPERPARAMETERS } from '../../../main/core/training/catalog';
import type { TrainerHyperparameters, TrainerJob } from '../../../main/core/trainer/job';
import { builtOnce, contentKey } from '../../support/built-once';
import { repoRoot } from '../../support/paths';

export const trainerDir = join(repoRoot, 'resources', 'trainer');
export const venvPython = join(repoRoot, '.venv', 'bin', 'python');
/** Keeps the trainer quiet, single-threaded and offline on the 2-core test machine. */
export const trainerEnv = {
  HF_HUB_OFFLINE: '1',
  OMP_NUM_THREADS: '1',
  TOKENIZERS_PARALLELISM: 'false',
  TRANSFORMERS_VERBOSITY: 'error',
  // The studio's own models (the embedded chat runtime) on one thread, as TEST_THREADS says why.
  CHARACTER_STUDIO_THREADS: '1',
  // Remote runs get only this environment: they too must never fetch llama.cpp's converters in tests.
  CHARACTER_STUDIO_LLAMA_CPP_URL: 'http://127.0.0.1:9/llama.cpp.tar.gz',
};

export function requireVenv(): void {
  if (!existsSync(venvPython)) {
    throw new Error(
      `${venvPython} is missing: run scripts/setup-python.sh to create the trainer's Python environment.`,
    );
  }
}

/**
 * Writes the tiny model folder and returns it: a copy of the one test/support/tiny-model.py builds
 * once per test run (about 5 s of CPU each time otherwise) for this script, tokenizer and the venv's
 * package versions. `sentencepiece`: a tokenizer llama.cpp's GGUF converter accepts (the default
 * byte-level BPE one it refuses).
 */
export function buildTinyModel(folder: string, tokenizer: 'bpe' | 'sentencepiece' = 'bpe'): string {
  requireVenv();
  const script = join(repoRoot, 'test', 'support', 'tiny-model.py');
  const built = builtOnce('tiny-model', contentKey([readFileSync(script), tokenizer, ...venvPackages()]), (into) => {
    execFileSync(venvPython, [script, into, '--tokenizer', tokenizer], {
      env: { ...process.env, ...trainerEnv, PYTHONPATH: trainerDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  });
  cpSync(built, folder, { recursive: true });
  return folder;
}

/** The venv's installed distributions (`name-version.dist-info`), which decide what a build writes. */
function venvPackages(): string[] {
  const lib = join(repoRoot, '.venv', 'lib');
  return readdirSync(lib)
    .flatMap((python) => readdirSync(join(lib, python, 'site-packages')))
    .filter((name) => name.endsWith('.dist-info'))
    .sort();
}

/** Runs a Python snippet with the trainer importable; returns stdout. */
export function runPython(code: string, args: string[] = []): string {
  return execFileSync(venvPython, ['-c', code, ...args], {
    env: { ...process.env, ...trainerEnv, PYTHONPATH: trainerDir },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export const beethoven = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' };

const LINES = [
  'Good morning, I have brought the variations.',
  'Then play them and do not rush the second one.',
  'He will hear every wrong note.',
  'Music is the one true revelation.',
  'Tell me about your symphony.',
  'What is a car?',
];

export function studioScene(index: number, overrides: Partial<Scene> = {}, turns?: Turn[]): Scene {
  const body: Turn[] = turns ?? [
    { speaker: 'Beethoven', kind: 'thinking', text: LINES[index % LINES.length]! },
    { speaker: 'Beethoven', kind: 'speaking', text: LINES[(index + 1) % LINES.length]! },
    { speaker: 'Neefe', kind: 'speaking', text: LINES[(index + 2) % LINES.length]! },
    { speaker: 'beethoven', kind: 'speaking', text: LINES[(index + 3) % LINES.length]! },
  ];
  return {
    id: `scene-${index}` as SceneId,
    origin: 'generated',
    characterId: 'char-1' as CharacterId,
    chunkId: 'chunk-1' as ChunkId,
    protective: false,
    limit: null,
    type: 'chat',
    location: `Bonn court chapel ${index}`,
    time: '1782',
    background: `Scene ${index} as extracted.`,
    people: ['Neefe'],
    callId: null,
    promptVersion: 'builtin@1',
    createdAt: 0,
    review: { status: 'unreviewed', rating: null, tags: [], reviewedAt: null },
    experience: {
      background: `Beethoven rehearses, take ${index}.`,
      turns: body,
      callId: null,
      promptVersion: 'builtin@1',
      problems: [],
    },
    ...overrides,
  };
}

export function studioScenes(count: number): Scene[] {
  return Array.from({ length: count }, (_, i) => studioScene(i));
}

export function tinyJob(
  runDir: string,
  model: string,
  dataset: string,
  hyper: Partial<TrainerHyperparameters> = {},
): TrainerJob {
  return {
    run_dir: runDir,
    base_model: model,
    format: 'chat',
    dataset,
    hyperparameters: {
      lora_rank: 4,
      lora_alpha: 8,
      lora_dropout: 0,
      learning_rate: 5e-3,
      epochs: 1,
      max_steps: 3,
      batch_size: 2,
      grad_accumulation: 1,
      max_length: 256,
      eval_share: 0,
      save_every_steps: 2,
      warmup_ratio: 0,
      seed: 7,
      ...hyper,
    },
  };
}

/** A job that trains long enough (thousands of ~20 ms steps) to be stopped mid-run. */
export function longJob(runDir: string, model: string, dataset: string): TrainerJob {
  return tinyJob(runDir, model, dataset, { epochs: 2000, max_steps: 5000, save_every_steps: 100000 });
}

/**
 * A studio training config that trains the tiny model in seconds: chat format, batch 2, 256
 * tokens, 6 steps with a checkpoint every 3, a 20% dev split; `patch` overrides hyper-parameters.
 */
export function tinyTrainingConfig(
  baseModel: string,
  target: TrainingConfig['target'],
  patch: Partial<TrainingConfig['hyperparameters']> = {},
): TrainingConfig {
  return {
    baseModel,
    format: 'chat',
    target,
    python: '',
    hyperparameters: {
      ...DEFAULT_HYPERPARAMETERS,
      batchSize: 2,
      gradAccumulation: 1,
      maxLength: 256,
      maxSteps: 6,
      saveEverySteps: 3,
      evalShare: 0.2,
      gradientCheckpointing: false,
      ...patch,
    },
  };
}

/** A scene written by hand for the training preview tests: Neefe first, then Beethoven thinks and speaks. */
export const lessonDoc: SceneDoc = {
  type: 'Lesson',
  location: "Neefe's room in Bonn",
  time: '1782',
  background: 'Neefe teaches the boy.',
  people: ['Neefe'],
  experienceBackground: 'Sheet music covers the table.',
  turns: [
    { speaker: 'Neefe', kind: 'speaking', text: 'Play it again, slower this time.' },
    { speaker: 'Beethoven', kind: 'thinking', text: 'He hears every dragging note.' },
    { speaker: 'Beethoven', kind: 'speaking', text: 'Good morning, Herr Neefe.\nI have brought the variations.' },
  ],
};

/**
 * Writes an interpreter at `file` that runs `script` (sh, the body of a `case` branch ending in
 * `;;`) for `character_trainer train`, and the venv's Python for everything else (the studio's
 * interpreter check, exports): a training attempt that behaves as the test needs.
 */
export function trainerWrapper(file: string, script: string): string {
  writeFileSync(
    file,
    ['#!/bin/sh', 'case "$*" in *"character_trainer train"*)', script, 'esac', `exec ${venvPython} "$@"`, ''].join(
      '\n',
    ),
    { mode: 0o755 },
  );
  return file;
}

/** A `trainerWrapper` script: `lines` numbered lines on stderr (`line 1`…), a traceback ending in `error`, exit 1. */
export function failingTrainScript(lines: number, error: string): string {
  return `  exec ${venvPython} -c "import sys
for i in range(1, ${lines + 1}): print(f'line {i}', file=sys.stderr)
print('Traceback (most recent call last):', file=sys.stderr)
print('${error}', file=sys.stderr)
sys.exit(1)";;`;
}
