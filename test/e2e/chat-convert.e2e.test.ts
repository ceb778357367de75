import fs from 'node:fs';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, testOutputDir } from '../support/paths';
import { generatedOverHttp, openTrainingStage, type TrainingStage } from '../support/training-stage';
import { buildTinyModel, tinyTrainingConfig } from '../unit/trainer/fixtures';

/**
 * "Convert for chat" on a finished run's card, in the browser against `serve` and the real trainer:
 * the conversion shows as its own state beside the finished run, with the converters that ship with
 * the studio; the tiny model's home-made BPE tokenizer is one llama.cpp does not know, and the card
 * says so and what to do, the run unchanged. A run of a tiny SentencePiece model converts, and the
 * Chat tab talks to it through the embedded runtime: node-llama-cpp in the studio, the adapter on
 * the context. (The converters' own checks are test/unit/runtimes/chat-gguf.test.ts.)
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

  it('chats with a run through the embedded runtime, and keeps the conversation over a reload', async () => {
    const { invoke, page, serve } = stage;
    // The character the first test generated scenes for (a fresh one when run alone).
    const character = (await invoke('characters/list', {}))[0] ?? (await generatedOverHttp(stage, 4));
    const model = buildTinyModel(path.join(stage.modelsDir, 'tiny-sp'), 'sentencepiece');
    const python = path.join(repoRoot, '.venv', 'bin', 'python');
    // 768 tokens: the tiny SentencePiece vocabulary spells the meta prompt alone in ~300.
    const config = {
      ...tinyTrainingConfig(model, 'local', { maxSteps: 1, maxLength: 768, evalShare: 0 }),
      python,
    };
    const run = await invoke('training/start', { characterId: character.id, config });
    await expect
      .poll(async () => (await invoke('training/get', { id: run.id })).status, { timeout: 240_000, interval: 250 })
      .toBe('succeeded');

    await page.goto(serve.url);
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Train' }).click();
    await page
      .getByRole('article', { name: 'Last run' })
      .getByRole('region', { name: 'Chat with this model' })
      .getByRole('button', { name: 'Chat with this run' })
      .click();
    const newChat = page.getByRole('form', { name: 'New conversation' });
    await newChat.getByLabel('Location and time').fill('Vienna, 1809');
    // The embedded runtime is the first choice for a finished run.
    expect(await newChat.getByRole('radio', { name: /^Embedded/ }).isChecked()).toBe(true);
    await newChat.getByRole('button', { name: 'Start the conversation' }).click();
    await page.getByLabel('Message to Beethoven').fill('What are you writing?');
    await page.getByLabel('Message to Beethoven').press('Enter');
    // The first reply converts the run (base model and adapter), loads it, then answers.
    await page.getByTestId('message-character').waitFor({ timeout: 300_000 });
    await page.getByRole('button', { name: 'Send' }).waitFor({ timeout: 300_000 });
    expect(await page.getByTestId('message-character').getByRole('alert').count()).toBe(0);
    await shot('47-chat-embedded', page.locator('.chat-layout'));

    const conversation = (await invoke('chat/list', { characterId: character.id }))[0]!.conversation;
    const view = await invoke('chat/get', { id: conversation.id });
    const reply = view.path.at(-1)!.message;
    expect(reply.producer).toMatchObject({ runtime: 'embedded', runId: run.id, format: 'chat' });
    expect(reply.producer!.adapter).toBe(path.join(run.runDir, 'exports', 'adapter.gguf'));

    // A reload shows the conversation as it was.
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    // Its row, clicked on the title's start (its tools sit over the right-hand side).
    await page
      .getByRole('complementary', { name: 'Conversations' })
      .getByText(conversation.title)
      .click({ position: { x: 4, y: 4 } });
    await page.getByTestId('message-user').getByText('What are you writing?').waitFor();
    expect(await page.getByTestId('message-character').count()).toBe(1);
  }, 900_000);
});
