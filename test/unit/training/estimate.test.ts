import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunId, TrainerEnvironment, TrainingConfig } from '../../../common/contract';
import { estimateTraining, gpuTflops, parameterCount } from '../../../main/core/training/estimate';
import { DEFAULT_HYPERPARAMETERS, TRAINING_PRESETS } from '../../../main/core/training/catalog';
import { readStoredConfig, servedModelName } from '../../../main/core/training/run-config';
import { tempDir } from '../../support/paths';

const data = { examples: 1600, meanTokens: 620 };

function config(
  patch: Partial<TrainingConfig['hyperparameters']> = {},
  baseModel = 'Qwen/Qwen2.5-7B-Instruct',
): TrainingConfig {
  return {
    baseModel,
    format: 'chat',
    target: 'local',
    python: '',
    hyperparameters: { ...DEFAULT_HYPERPARAMETERS, ...patch },
  };
}

function machine(gpus: { name: string; memoryGiB: number }[]): TrainerEnvironment {
  return { ok: true, python: 'python3', summary: '', torch: '2.13.0', cuda: gpus.length > 0, gpus, bf16: true };
}

const a100 = machine([{ name: 'NVIDIA A100-SXM4-80GB', memoryGiB: 80 }]);

describe('the training estimate', () => {
  it('counts steps and tokens from the data, the dev share and the batch', () => {
    const e = estimateTraining(data, config(), a100, 1, []);
    // 1,600 scenes, 5% held out: 1,520 train; 16 a step: 95 steps an epoch, 3 epochs.
    expect(e.steps).toBe(285);
    expect(e.tokens).toBe(1520 * 3 * 620);
    const capped = estimateTraining(data, config({ maxSteps: 10 }), a100, 1, []);
    expect(capped.steps).toBe(10);
    expect(capped.tokens).toBe(10 * 16 * 620);
  });

  it('times a run from the GPU data sheet, and more GPUs make it shorter', () => {
    const one = estimateTraining(data, config(), a100, 1, []);
    expect(one.speedBasis).toMatch(/A100/);
    // LoRA with gradient checkpointing: 6 FLOPs a parameter a token, 312 TFLOPS at 30%.
    expect(one.seconds).toBe(Math.round((1520 * 3 * 620 * 6 * 7e9) / (312e12 * 0.3)));
    const two = estimateTraining(
      data,
      config(),
      machine([
        { name: 'NVIDIA A100-SXM4-80GB', memoryGiB: 80 },
        { name: 'NVIDIA A100-SXM4-80GB', memoryGiB: 80 },
      ]),
      2,
      [],
    );
    expect(two.seconds!).toBeLessThan(one.seconds!);
    expect(two.steps).toBeLessThan(one.steps);
  });

  it('prefers the speed an earlier run of the same setup measured', () => {
    // Midday of 3 May where the test runs: the run's date is shown in local time, so midnight UTC is 2 May west of it.
    const earlier = { config: config(), tokensPerSecond: 2000, at: new Date(2026, 4, 3, 12).getTime() };
    const other = { config: config({ fullFinetune: true }), tokensPerSecond: 50, at: Date.UTC(2026, 5, 1) };
    const e = estimateTraining(data, config(), a100, 1, [earlier, other]);
    expect(e.seconds).toBe(Math.round((1520 * 3 * 620) / 2000));
    expect(e.speedBasis).toMatch(/measured: 2,000 tokens\/s in the run of 3 May 2026/);
  });

  it('has no time without a known size or machine, and says why', () => {
    const e = estimateTraining(data, config({}, '/models/unknown'), null, 1, []);
    expect(e.seconds).toBeNull();
    expect(e.memoryGiB).toBe(0);
    expect(e.warnings.join(' ')).toMatch(/size is unknown/);
    expect(
      estimateTraining(data, config(), machine([{ name: 'Some New Accelerator', memoryGiB: 40 }]), 1, []).seconds,
    ).toBeNull();
  });

  it('warns when the model does not fit and names what would help', () => {
    const small = machine([{ name: 'NVIDIA GeForce RTX 3060', memoryGiB: 12 }]);
    const lora = estimateTraining(data, config({ gradientCheckpointing: false, batchSize: 8 }), small, 1, []);
    expect(lora.warnings.join(' ')).toMatch(/GPU has 12 GiB: use QLoRA/);
    const qlora = estimateTraining(data, config({ loadIn4bit: true, batchSize: 1 }), small, 1, []);
    expect(qlora.memoryGiB).toBeLessThan(lora.memoryGiB / 2);
    expect(qlora.warnings.join(' ')).not.toMatch(/GPU has/);
    const cpu = estimateTraining(data, config({ loadIn4bit: true }), machine([]), 1, []);
    expect(cpu.warnings.join(' ')).toMatch(/needs a CUDA GPU/);
  });

  it('lands where practice puts the usual set-ups', () => {
    const gib = (patch: Partial<TrainingConfig['hyperparameters']>) =>
      estimateTraining(data, config(patch), null, 1, []).memoryGiB;
    // A 7B model with LoRA in bf16 and gradient checkpointing fits a 24 GB card; QLoRA an 8 GB one.
    expect(gib({})).toBeGreaterThan(12);
    expect(gib({})).toBeLessThan(22);
    expect(gib({ loadIn4bit: true, batchSize: 1 })).toBeLessThan(8);
    // Without checkpointing the activations of a batch of 4 long scenes cost many GB more.
    expect(gib({ gradientCheckpointing: false })).toBeGreaterThan(gib({}) + 5);
    // A full fine-tune on one GPU: 16 bytes a parameter before any activation.
    expect(gib({ fullFinetune: true })).toBeGreaterThan((7e9 * 16) / 2 ** 30);
  });

  it('spreads a full fine-tune over the GPUs with FSDP, not with DDP', () => {
    const eight = machine(Array.from({ length: 8 }, () => ({ name: 'NVIDIA A100-SXM4-80GB', memoryGiB: 80 })));
    const fsdp = estimateTraining(data, config({ fullFinetune: true }), eight, 8, []);
    const ddp = estimateTraining(data, config({ fullFinetune: true, sharding: 'ddp' }), eight, 8, []);
    expect(fsdp.memoryGiB).toBeLessThan(ddp.memoryGiB / 4);
    expect(ddp.warnings.join(' ')).toMatch(/GPU has 80 GiB/);
    expect(fsdp.warnings.join(' ')).not.toMatch(/GPU has/);
  });

  it("reads a local model's size from its config.json", () => {
    const dir = tempDir('cs-estimate-');
    const model = path.join(dir.dir, 'model');
    fs.mkdirSync(model);
    fs.writeFileSync(
      path.join(model, 'config.json'),
      JSON.stringify({
        hidden_size: 4096,
        intermediate_size: 11008,
        num_hidden_layers: 32,
        num_attention_heads: 32,
        vocab_size: 32000,
      }),
    );
    // LLaMA-7B: 6.74 billion parameters.
    expect(parameterCount(model)! / 1e9).toBeCloseTo(6.74, 1);
    expect(parameterCount(path.join(dir.dir, 'missing'))).toBeNull();
    dir.cleanup();
  });

  it('matches GPU names to their data sheets', () => {
    expect(gpuTflops('NVIDIA H100 80GB HBM3')).toBe(989);
    expect(gpuTflops('NVIDIA H100 PCIe')).toBe(756);
    expect(gpuTflops('NVIDIA GeForce RTX 4090')).toBe(165);
    expect(gpuTflops('Tesla T4')).toBe(65);
    expect(gpuTflops('NVIDIA L40S')).toBe(362);
    expect(gpuTflops('Unknown')).toBeNull();
  });
});

describe('stored configs and presets', () => {
  it('fills the fields a config stored by an older studio lacks', () => {
    const old = config();
    const { loadIn4bit: _a, sharding: _b, dtype: _c, ...hyperparameters } = old.hyperparameters;
    const read = readStoredConfig(JSON.stringify({ ...old, hyperparameters }));
    expect(read.hyperparameters).toMatchObject({ loadIn4bit: false, sharding: 'auto', dtype: 'auto' });
    expect(read.hyperparameters.loraRank).toBe(DEFAULT_HYPERPARAMETERS.loraRank);
  });

  it("holds presets that the studio's own validation accepts", () => {
    for (const preset of TRAINING_PRESETS) {
      const h = { ...DEFAULT_HYPERPARAMETERS, ...preset.hyperparameters };
      expect(h.fullFinetune && h.loadIn4bit, preset.id).toBe(false);
      expect(h.learningRate > 0 && h.learningRate < 1, preset.id).toBe(true);
    }
    const paper = TRAINING_PRESETS.find((p) => p.id === 'paper')!.hyperparameters;
    // METHOD.md: 10 epochs, lr 2e-5, warm-up 4%, weight decay 0.1, max length 2,048, global batch 64.
    expect(paper).toMatchObject({
      epochs: 10,
      learningRate: 2e-5,
      warmupRatio: 0.04,
      weightDecay: 0.1,
      maxLength: 2048,
    });
    expect(paper.batchSize! * paper.gradAccumulation!).toBe(64);
  });
});

describe('served model names', () => {
  it('name the character and the run, in plain lower-case ASCII', () => {
    expect(servedModelName('Beethoven', '9fb0794b-063d-4441-b578-1dd74fac13b5' as RunId)).toBe('beethoven-9fb0794b');
    expect(servedModelName('Béla Bartók', 'abcdef12-0000' as RunId)).toBe('bela-bartok-abcdef12');
    expect(servedModelName('李白', 'abcdef12-0000' as RunId)).toBe('character-abcdef12');
  });
});
