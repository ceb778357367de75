import fs from 'node:fs';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, RunId } from '../../common/contract';
import { DEFAULT_HYPERPARAMETERS } from '../../main/core/training/catalog';
import { repoRoot, testOutputDir } from '../support/paths';
import { generatedOverHttp, openTrainingStage, type TrainingStage } from '../support/training-stage';

/**
 * After training, in the browser against `serve` and the real trainer (tiny random Llama, CPU):
 * the trainer's warnings on the run card, a base model that is not there refused under its field,
 * a served earlier run saying so in its folded row, serving a second model asking first, and an
 * export shown as its own state while the run stays finished.
 */

const shots = path.join(testOutputDir, 'screenshots');
const python = path.join(repoRoot, '.venv', 'bin', 'python');

let stage: TrainingStage;

async function shot(name: string, target: Locator) {
  fs.mkdirSync(shots, { recursive: true });
  await target.screenshot({ path: path.join(shots, `${name}.png`), animations: 'disabled' });
}

/** A short run of the tiny model; 192 tokens cuts the generated scenes, so the trainer warns. */
async function train(characterId: CharacterId): Promise<RunId> {
  const { invoke } = stage;
  const run = await invoke('training/start', {
    characterId,
    config: {
      baseModel: stage.model,
      format: 'chat',
      target: 'local',
      python,
      hyperparameters: {
        ...DEFAULT_HYPERPARAMETERS,
        batchSize: 2,
        gradAccumulation: 1,
        maxLength: 192,
        maxSteps: 2,
        evalShare: 0,
        gradientCheckpointing: false,
      },
    },
  });
  await expect
    .poll(async () => (await invoke('training/get', { id: run.id })).status, { timeout: 120_000, interval: 250 })
    .toBe('succeeded');
  return run.id;
}

beforeAll(async () => {
  stage = await openTrainingStage('life');
  fs.mkdirSync(path.join(stage.modelsDir, 'empty'));
});
afterAll(async () => {
  await stage?.close();
});

describe('a finished run in the Train tab', () => {
  it('shows warnings, refuses a missing model, serves one model at a time and exports beside the run', async () => {
    const { invoke, page, serve, model } = stage;
    const models = { dir: stage.modelsDir };
    const character = await generatedOverHttp(stage, 6);
    const earlier = await train(character.id);
    await train(character.id);

    await page.goto(serve.url);
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Train' }).click();
    const latest = page.getByRole('article', { name: 'Last run' });
    await latest.waitFor();

    // The trainer's warning is on the card.
    const warnings = latest.getByRole('list', { name: 'Trainer warnings' });
    await warnings
      .getByText(/longer than max_length=192 tokens and were cut at the end/)
      .first()
      .waitFor();

    // A folder that is not there is named under the field, and Start waits.
    const form = page.getByRole('group', { name: 'Training settings' });
    await form.getByLabel(/^Base model/).selectOption('other');
    const field = form.getByLabel(/^Hugging Face id or model folder/);
    await field.fill(path.join(models.dir, 'nowhere'));
    await form
      .getByTestId('base-model-problem')
      .getByText(/^There is no .*nowhere\./)
      .waitFor();
    expect(await page.getByRole('button', { name: 'Start training' }).isDisabled()).toBe(true);
    await field.fill(path.join(models.dir, 'empty'));
    await form
      .getByTestId('base-model-problem')
      .getByText(/holds no model: there is no config\.json/)
      .waitFor();
    await shot('40-train-missing-model', form.locator('label', { hasText: 'Hugging Face id or model folder' }));
    await field.fill(model);
    await form.getByTestId('base-model-problem').waitFor({ state: 'detached' });

    // An earlier run served elsewhere (the CLI, a script) says so in its folded row.
    await invoke('training/serve', { id: earlier });
    const runs = page.getByRole('region', { name: 'Training runs' });
    await runs.getByText('1 earlier run').click();
    const row = runs.getByRole('button', { name: /Succeeded/ });
    await row.getByTestId('serving-badge').getByText('Serving').waitFor({ timeout: 30_000 });
    await shot('41-train-earlier-serving', runs.locator('details.earlier-runs'));

    // Serving the latest asks whether to stop the other first.
    const servePanel = latest.getByRole('region', { name: 'Chat with this model' });
    await servePanel.getByRole('button', { name: 'Serve on this computer' }).click();
    const ask = servePanel.getByRole('alertdialog', { name: 'Another model is being served' });
    await ask.getByText(/Ludwig van Beethoven's model beethoven-\w+ is being served already/).waitFor();
    await shot('42-train-serve-ask', servePanel);
    await ask.getByRole('button', { name: 'Stop it and serve this one' }).click();
    await servePanel.getByTestId('serve-url').waitFor({ timeout: 60_000 });
    await row.getByTestId('serving-badge').waitFor({ state: 'detached', timeout: 30_000 });
    expect((await invoke('training/served', {})).map((s) => s.runId)).not.toContain(earlier);
    await servePanel.getByRole('button', { name: 'Stop serving' }).click();
    await servePanel.getByRole('button', { name: 'Serve on this computer' }).waitFor({ timeout: 30_000 });

    // Export: its own state; the run stays Succeeded, with no Stop or Cancel of the run.
    await latest.getByRole('button', { name: 'Export merged model' }).click();
    const progress = latest.getByTestId('export-progress');
    await progress.waitFor();
    expect(await latest.locator('h2 .status').innerText()).toBe('Succeeded');
    expect(await latest.getByRole('button', { name: 'Stop', exact: true }).count()).toBe(0);
    expect(await latest.getByRole('button', { name: 'Cancel', exact: true }).count()).toBe(0);
    await latest.getByRole('button', { name: 'Cancel export' }).waitFor();
    await shot('43-train-exporting', latest);
    await progress.waitFor({ state: 'detached', timeout: 120_000 });
    await latest.getByRole('region', { name: 'Artifacts' }).locator('li[data-kind="merged"]').waitFor();
    expect(await latest.locator('h2 .status').innerText()).toBe('Succeeded');
    await latest.getByRole('button', { name: 'Export merged model' }).waitFor();
  }, 400_000);
});
