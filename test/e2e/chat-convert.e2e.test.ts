import fs from 'node:fs';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, testOutputDir } from '../support/paths';
import { generatedOverHttp, openTrainingStage, type TrainingStage } from '../support/training-stage';
import { tinyTrainingConfig } from '../unit/trainer/fixtures';

/**
 * "Convert for chat" on a finished run's card, in the browser against `serve` and the real trainer:
 * the conversion shows as its own state beside the finished run, with the converters that ship with
 * the studio; the tiny model's home-made BPE tokenizer is one llama.cpp does not know, and the card
 * says so and what to do, the run unchanged. (The conversion that succeeds, on a SentencePiece
 * model, is test/unit/runtimes/chat-gguf.test.ts.)
 */
const shots = path.join(testOutputDir, 'screenshots');
let stage: TrainingStage;

async function shot(name: string, target: Locator) {
  fs.mkdirSync(shots, { recursive: true });
  await target.screenshot({ path: path.join(shots, `${name}.png`), animations: 'disabled' });
}

beforeAll(async () => {
  stage = await openTrainingStage('chat-convert');
});
afterAll(async () => {
  await stage?.close();
});

describe('a finished run converted for chat', () => {
  it('shows the conversion on the card, and why llama.cpp refused it', async () => {
    const { invoke, page, serve } = stage;
    const character = await generatedOverHttp(stage, 4);
    const python = path.join(repoRoot, '.venv', 'bin', 'python');
    const config = {
      ...tinyTrainingConfig(stage.model, 'local', { maxSteps: 1, maxLength: 192, evalShare: 0 }),
      python,
    };
    const run = await invoke('training/start', { characterId: character.id, config });
    await expect
      .poll(async () => (await invoke('training/get', { id: run.id })).status, { timeout: 240_000, interval: 250 })
      .toBe('succeeded');

    await page.goto(serve.url);
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Train' }).click();
    const card = page.getByRole('article', { name: 'Last run' });
    await card.getByRole('button', { name: 'Convert for chat' }).click();
    const progress = card.getByTestId('export-progress');
    await progress.getByText('Converting for chat').waitFor({ timeout: 60_000 });
    expect(await card.locator('h2 .status').innerText()).toBe('Succeeded');
    await shot('45-train-convert-for-chat', card);
    await progress.waitFor({ state: 'detached', timeout: 240_000 });
    await card.getByText(/does not know this model's BPE pre-tokenizer/).waitFor();
    await shot('46-train-convert-for-chat-refused', card);
    expect(await card.locator('h2 .status').innerText()).toBe('Succeeded');
    await card.getByRole('button', { name: 'Convert for chat' }).waitFor();
  }, 600_000);
});
