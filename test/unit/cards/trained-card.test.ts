/**
 * A trained character card from a real run: the tiny model trained by the real trainer (offline, a
 * few steps), then exported as a V3 card whose `extensions.character_studio.trained` names the run's
 * files with their sha256, the base model, the training format and the sampling settings. Both faces:
 * the command and the CLI.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingRun } from '../../../common/contract';
import { cardChunks, V3_REQUIRED } from '../../support/cards';
import { runCliIn } from '../../support/cli';
import { tempDir } from '../../support/paths';
import { call, callError } from '../../support/studio';
import { tinyTrainingConfig, venvPython } from '../trainer/fixtures';
import { openTrainingBench } from '../training/bench';

// Training is a Python process of several seconds; a loaded machine stretches it a lot.
const TIMEOUT = 600_000;
let bench: Awaited<ReturnType<typeof openTrainingBench>>;
let run: TrainingRun;

beforeAll(async () => {
  bench = await openTrainingBench(8);
  const started = await call(bench.env.studio, 'training/start', {
    characterId: bench.characterId,
    config: {
      ...tinyTrainingConfig(bench.model, 'local', { maxSteps: 2, evalShare: 0 }),
      format: 'character-llm',
      python: venvPython,
    },
  });
  run = await bench.env.studio.training.whenIdle(started.id);
  expect(run.status, run.message ?? '').toBe('succeeded');
}, TIMEOUT);
afterAll(() => bench?.close(), TIMEOUT);

interface Trained {
  run_id: string;
  base_model: { id: string };
  training_format: string;
  method: string;
  prompt: { style: string; meta_prompt: string; stop: string[]; prime: string };
  sampling: { temperature: number; top_p: number; max_tokens: number };
  files: { kind: string; path: string; file: string; bytes: number; sha256: string }[];
}

describe('trained character card', () => {
  it(
    'names the run, its adapter files with sha256, the base model, the format and the sampling',
    async () => {
      const card = await call(bench.env.studio, 'cards/export', {
        characterId: bench.characterId,
        format: 'v3-png',
        runId: run.id,
      });
      expect(card).toMatchObject({ spec: 'v3', trained: true, mime: 'image/png' });
      expect(card.fileName).toBe('Ludwig_van_Beethoven.trained.v3.png');
      const { ccv3, chara } = cardChunks(Buffer.from(card.base64, 'base64')) as Record<
        string,
        { data: Record<string, unknown> & { extensions: { character_studio: { trained: Trained } } } }
      >;
      for (const field of Object.keys(V3_REQUIRED)) expect(ccv3!.data).toHaveProperty(field);
      const trained = ccv3!.data.extensions.character_studio.trained;
      expect(trained).toMatchObject({
        run_id: run.id,
        base_model: { id: run.config.baseModel },
        training_format: 'character-llm',
        method: 'lora',
        prompt: { style: 'raw-completion', stop: ['<|eot|>'], prime: 'Beethoven (' },
        sampling: { temperature: 0.2, top_p: 0.95, max_tokens: 256 },
      });
      expect(trained.prompt.meta_prompt).toMatch(/^I want you to act like Ludwig van Beethoven\. /);
      expect(ccv3!.data.system_prompt).toBe(trained.prompt.meta_prompt);
      expect(ccv3!.data.tags).toContain('trained');
      // The V2 chunk carries the same extension for apps that read only V2.
      expect(chara!.data.extensions.character_studio.trained.run_id).toBe(run.id);
      const adapter = trained.files.filter((f) => f.kind === 'adapter');
      expect(adapter.map((f) => path.basename(f.path))).toContain('adapter_model.safetensors');
      for (const file of trained.files) {
        const bytes = fs.readFileSync(file.path);
        expect([file.file, file.bytes, file.sha256]).toEqual([
          file.file,
          bytes.length,
          createHash('sha256').update(bytes).digest('hex'),
        ]);
      }
    },
    TIMEOUT,
  );

  it(
    'is written by the CLI too; a trained V2 card and another character’s run are refused',
    async () => {
      const out = tempDir('cs-card-out-');
      try {
        const cli = await runCliIn(bench.env.dir, [
          'card',
          'export',
          'Beethoven',
          '--format',
          'v3-json',
          '--run',
          run.id,
          '--out',
          out.dir,
        ]);
        expect(cli.err).toBe('');
        expect(cli.out).toMatch(
          /Wrote the trained V3 card of Ludwig van Beethoven to .*Ludwig_van_Beethoven\.trained\.v3\.json/,
        );
        const json = JSON.parse(
          fs.readFileSync(path.join(out.dir, 'Ludwig_van_Beethoven.trained.v3.json'), 'utf8'),
        ) as {
          data: { extensions: { character_studio: { trained: Trained } } };
        };
        expect(json.data.extensions.character_studio.trained.run_id).toBe(run.id);
        const v2 = await runCliIn(bench.env.dir, [
          'card',
          'export',
          'Beethoven',
          '--format',
          'v2-png',
          '--run',
          run.id,
          '--out',
          out.dir,
        ]);
        expect(v2.code).toBe(1);
        expect(v2.err).toMatch(/trained character card is a V3 card/);
      } finally {
        out.cleanup();
      }
      const other = await call(bench.env.studio, 'characters/create', {
        fullName: 'Clara Schumann',
        shortName: 'Clara',
        era: '',
        notes: '',
      });
      const error = await callError(bench.env.studio, 'cards/export', {
        characterId: other.id,
        format: 'v3-json',
        runId: run.id,
      });
      expect(error.message).toMatch(/trained for another character, not Clara Schumann/);
    },
    TIMEOUT,
  );
});
