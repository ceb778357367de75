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
 * the context: a reply, Stop mid-stream, Regenerate with the alternatives browsed, and a reload.
 * (The converters' own checks are test/unit/runtimes/chat-gguf.test.ts.)
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

  it('chats with a run through the embedded runtime: stop, regenerate, and the conversation kept over a reload', async () => {
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

    // Stop mid-stream on the embedded runtime: a long reply (the limit raised in the conversation's
    // settings, greedy), stopped once text has streamed; what came is kept, marked stopped.
    const characters = page.getByTestId('message-character');
    const settings = async (maxTokens: string) => {
      await page.getByRole('button', { name: 'Conversation settings' }).click();
      const dialog = page.getByRole('dialog', { name: 'Conversation settings' });
      await dialog.getByLabel('Max tokens').fill(maxTokens);
      await dialog.getByLabel('Temperature').fill('0');
      await dialog.getByRole('button', { name: 'Save for the next replies' }).click();
      await dialog.waitFor({ state: 'detached' });
    };
    await settings('2000');
    await page.getByLabel('Message to Beethoven').fill('Play for me.');
    await page.getByLabel('Message to Beethoven').press('Enter');
    const streaming = characters.nth(1);
    await expect.poll(async () => (await streaming.locator('.bubble-text').innerText()).length).toBeGreaterThan(20);
    await page.getByRole('button', { name: '■ Stop' }).click();
    await page.getByRole('button', { name: 'Send' }).waitFor({ timeout: 60_000 });
    await expect.poll(() => streaming.innerText()).toContain('stopped');
    const stopped = (await invoke('chat/get', { id: conversation.id })).path.at(-1)!.message;
    expect(stopped).toMatchObject({ state: 'cancelled', producer: { runtime: 'embedded' } });
    expect(stopped.text.length).toBeGreaterThan(0);

    // Regenerate with a small limit: a second alternative, ended by the limit; ← → browse the two.
    await settings('12');
    await streaming.hover();
    await streaming.getByRole('button', { name: 'Regenerate' }).click();
    await expect.poll(() => streaming.getByTestId('alternative-index').innerText()).toBe('2 / 2');
    await page.getByRole('button', { name: 'Send' }).waitFor({ timeout: 120_000 });
    await expect.poll(() => streaming.innerText()).toContain('token limit');
    const regenerated = (await invoke('chat/get', { id: conversation.id })).path.at(-1)!.message;
    expect(regenerated).toMatchObject({
      state: 'complete',
      finish: 'length',
      producer: { runtime: 'embedded', sampling: { maxTokens: 12, temperature: 0 } },
    });
    await streaming.getByRole('button', { name: 'Previous alternative' }).click();
    await expect.poll(() => streaming.getByTestId('alternative-index').innerText()).toBe('1 / 2');
    await expect.poll(() => streaming.innerText()).toContain('stopped');
    await streaming.getByRole('button', { name: 'Next alternative' }).click();
    await expect.poll(() => streaming.innerText()).toContain('token limit');
    await shot('48-chat-embedded-stop-regenerate', page.locator('.chat-layout'));

    // A reload shows the conversation as it was.
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    // Its row, clicked on the title's start (its tools sit over the right-hand side).
    await page
      .getByRole('complementary', { name: 'Conversations' })
      .getByText(conversation.title)
      .click({ position: { x: 4, y: 4 } });
    await page.getByTestId('message-user').getByText('What are you writing?').waitFor();
    await expect.poll(() => page.getByTestId('message-character').count()).toBe(2);
    expect(await page.getByTestId('alternative-index').innerText()).toBe('2 / 2');
  }, 900_000);
});
