import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, CommandArg, CommandName, CommandResult, RunId } from '../../common/contract';
import { DEFAULT_HYPERPARAMETERS } from '../../main/core/training/training-service';
import { launchBrowser } from '../support/browser';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { fixture, repoRoot, tempDir, testOutputDir } from '../support/paths';
import { invokeServe, startServe, type ServeHandle } from '../support/serve';
import { studioResponder } from '../support/studio-responder';
import { buildTinyModel, trainerEnv } from '../unit/trainer/fixtures';

/**
 * After training, in the browser against `serve` and the real trainer (tiny random Llama, CPU):
 * the trainer's warnings on the run card, a base model that is not there refused under its field,
 * a served earlier run saying so in its folded row, serving a second model asking first, and an
 * export shown as its own state while the run stays finished.
 */

const shots = path.join(testOutputDir, 'screenshots');
const python = path.join(repoRoot, '.venv', 'bin', 'python');

let browser: Browser;
let data: { dir: string; cleanup: () => void };
let models: { dir: string; cleanup: () => void };
let serve: ServeHandle;
let llm: FakeLlmServer;
let page: Page;
let model: string;
const saved: Partial<Record<string, string | undefined>> = {};

function invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>> {
  return invokeServe(serve, name, arg);
}

async function shot(name: string, target: Locator) {
  fs.mkdirSync(shots, { recursive: true });
  await target.screenshot({ path: path.join(shots, `${name}.png`), animations: 'disabled' });
}

/** A short run of the tiny model; 192 tokens cuts the generated scenes, so the trainer warns. */
async function train(characterId: CharacterId): Promise<RunId> {
  const run = await invoke('training/start', {
    characterId,
    config: {
      baseModel: model,
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
  for (const [key, value] of Object.entries(trainerEnv)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  models = tempDir('cs-e2e-life-model-');
  model = buildTinyModel(path.join(models.dir, 'tiny-llama'));
  fs.mkdirSync(path.join(models.dir, 'empty'));
  browser = await launchBrowser();
  data = tempDir('cs-e2e-life-');
  llm = await startFakeLlmServer({ apiKey: 'test-key', models: ['fake-model'], responder: studioResponder() });
  serve = await startServe(data.dir);
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('pageerror', (error) => {
    throw error;
  });
});
afterAll(async () => {
  await page?.close();
  await browser?.close();
  await serve?.stop();
  await llm?.close();
  data?.cleanup();
  models?.cleanup();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('a finished run in the Train tab', () => {
  it('shows warnings, refuses a missing model, serves one model at a time and exports beside the run', async () => {
    const character = await invoke('characters/create', {
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      era: '1770–1827',
      notes: '',
    });
    await invoke('profiles/import', {
      characterId: character.id,
      fileBase64: fs.readFileSync(fixture('wiki_Beethoven.txt')).toString('base64'),
      fileName: 'wiki_Beethoven.txt',
    });
    const provider = await invoke('providers/create', {
      name: 'Fake LLM',
      preset: 'custom',
      baseUrl: llm.baseURL,
      model: 'fake-model',
      modelPath: '',
      apiKey: 'test-key',
      maxConcurrency: 4,
      requestsPerMinute: 0,
      timeoutMs: 5000,
      structuredOutput: true,
    });
    const job = await invoke('generation/start', {
      characterId: character.id,
      settings: {
        providerId: provider.id,
        targetScenes: 6,
        scenesPerCall: 3,
        protectiveShare: 0,
        temperature: 0.7,
        topP: 0.95,
        maxTokens: 2000,
        budgetUsd: null,
        dedupeThreshold: 0.7,
      },
    });
    await expect
      .poll(async () => (await invoke('jobs/get', { id: job.id })).status, { timeout: 60_000, interval: 250 })
      .toBe('succeeded');
    const earlier = await train(character.id);
    await train(character.id);

    await page.goto(serve.url);
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Train' }).click();
    const latest = page.getByRole('article', { name: 'Last run' });
    await latest.waitFor();

    // The trainer's warning is on the card.
    const warnings = latest.getByRole('list', { name: 'Trainer warnings' });
    await warnings.getByText(/longer than max_length=192 tokens and were cut at the end/).first().waitFor();

    // A folder that is not there is named under the field, and Start waits.
    const form = page.getByRole('group', { name: 'Training settings' });
    await form.getByLabel(/^Base model/).selectOption('other');
    const field = form.getByLabel(/^Hugging Face id or model folder/);
    await field.fill(path.join(models.dir, 'nowhere'));
    await form.getByTestId('base-model-problem').getByText(/^There is no .*nowhere\./).waitFor();
    expect(await page.getByRole('button', { name: 'Start training' }).isDisabled()).toBe(true);
    await field.fill(path.join(models.dir, 'empty'));
    await form.getByTestId('base-model-problem').getByText(/holds no model: there is no config\.json/).waitFor();
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
