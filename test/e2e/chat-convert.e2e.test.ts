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
 * the context: a reply, Stop mid-stream, Regenerate with the alternatives browsed, the reply edited
 * (speech and thoughts) and sent to the dataset as a chat correction, a branch browsed with ← →,
 * the thoughts toggle, and a reload that shows it all as it was.
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

  it('chats with a run through the embedded runtime: stop, regenerate, edit, correct, branch, thoughts, and a reload', async () => {
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
    // Greedy or seeded from the first reply on, and from the Stop on never ending on its own: the
    // replies that must not end early (the one Stop interrupts, the one ended by the limit) cannot.
    const characters = page.getByTestId('message-character');
    const settings = async (maxTokens: string, temperature = '0', seed = '', neverEnds = false) => {
      await page.getByRole('button', { name: 'Conversation settings' }).click();
      const dialog = page.getByRole('dialog', { name: 'Conversation settings' });
      await dialog.getByLabel('Max tokens').fill(maxTokens);
      await dialog.getByLabel('Temperature').fill(temperature);
      await dialog.getByLabel('Seed').fill(seed);
      await dialog.getByLabel('Never end on its own').setChecked(neverEnds);
      await dialog.getByRole('button', { name: 'Save for the next replies' }).click();
      await dialog.waitFor({ state: 'detached' });
    };
    await settings('256');
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

    // Stop mid-stream on the embedded runtime: a reply that may not end on its own (this model ends
    // most within a few hundred tokens, and its 1024-token context would end the rest, all in about
    // a second) with the largest limit, 32k tokens: it runs until Stop, on any machine. Pressed once
    // text has streamed; what came is kept, marked stopped.
    const send = page.getByRole('button', { name: 'Send' });
    const streaming = characters.nth(1);
    await settings('32768', '1', '1', true);
    await page.getByLabel('Message to Beethoven').fill('Play for me.');
    await page.getByLabel('Message to Beethoven').press('Enter');
    await expect.poll(async () => (await streaming.locator('.bubble-text').innerText()).length > 20).toBe(true);
    await page.getByRole('button', { name: '■ Stop' }).click();
    await send.waitFor({ timeout: 60_000 });
    const stopped = (await invoke('chat/get', { id: conversation.id })).path.at(-1)!.message;
    await expect.poll(() => streaming.innerText()).toContain('stopped');
    expect(stopped).toMatchObject({
      state: 'cancelled',
      producer: { runtime: 'embedded', sampling: { maxTokens: 32768, ignoreEos: true } },
    });
    expect(stopped.text.length).toBeGreaterThan(0);

    // Regenerate with a small limit (never ending: this model could end it before 12 tokens): another
    // alternative, ended by the limit; ← → browse to the stopped one.
    const alternatives = '2 / 2';
    await settings('12', '1', '1', true);
    await streaming.hover();
    await streaming.getByRole('button', { name: 'Regenerate' }).click();
    await expect.poll(() => streaming.getByTestId('alternative-index').innerText()).toBe(alternatives);
    await page.getByRole('button', { name: 'Send' }).waitFor({ timeout: 120_000 });
    await expect.poll(() => streaming.innerText()).toContain('token limit');
    const regenerated = (await invoke('chat/get', { id: conversation.id })).path.at(-1)!.message;
    expect(regenerated).toMatchObject({
      state: 'complete',
      finish: 'length',
      producer: { runtime: 'embedded', sampling: { maxTokens: 12, temperature: 1, seed: 1, ignoreEos: true } },
    });
    await streaming.getByRole('button', { name: 'Previous alternative' }).click();
    await expect.poll(() => streaming.getByTestId('alternative-index').innerText()).toBe('1 / 2');
    await expect.poll(() => streaming.innerText()).toContain('stopped');
    await streaming.getByRole('button', { name: 'Next alternative' }).click();
    await expect.poll(() => streaming.innerText()).toContain('token limit');
    await shot('48-chat-embedded-stop-regenerate', page.locator('.chat-layout'));

    // Edit the first reply, speech and thoughts (the model, prompted through its chat template, gives
    // none): an alternative marked as the user's, and the path now ends at it.
    const composer = page.getByLabel('Message to Beethoven');
    const first = characters.first();
    await first.hover();
    await first.getByRole('button', { name: 'Edit' }).click();
    await first.getByLabel('Edit the thoughts').fill('He hides the sketches under the score.');
    await first.getByLabel('Edit the message').fill('A symphony, in C minor. Sit down and listen.');
    await first.getByRole('button', { name: 'Save as an alternative' }).click();
    await expect.poll(() => first.innerText()).toContain('edited by you');
    await expect.poll(() => characters.count()).toBe(1);
    expect(await first.getByTestId('alternative-index').innerText()).toBe('2 / 2');

    // Sent to the dataset: an accepted "chat correction" scene, linked from the reply.
    await first.hover();
    await first.getByRole('button', { name: 'Send to dataset' }).click();
    await expect.poll(() => first.innerText()).toContain('in the dataset');
    const edited = (await invoke('chat/get', { id: conversation.id })).path.at(-1)!.message;
    expect(edited).toMatchObject({ role: 'character', editedFrom: reply.id, sceneId: expect.any(String) });
    const correction = await invoke('scenes/get', { id: edited.sceneId! });
    expect(correction).toMatchObject({
      characterId: character.id,
      origin: 'chat',
      type: 'chat correction',
      location: 'Vienna, 1809',
      review: { status: 'accepted' },
    });
    expect(correction.experience!.turns).toEqual([
      { speaker: 'Man', kind: 'speaking', text: 'What are you writing?' },
      { speaker: 'Beethoven', kind: 'thinking', text: 'He hides the sketches under the score.' },
      { speaker: 'Beethoven', kind: 'speaking', text: 'A symphony, in C minor. Sit down and listen.' },
    ]);

    // The conversation goes on from the edited reply.
    await composer.fill('And after the symphony?');
    await composer.press('Enter');
    await expect.poll(() => page.getByTestId('message-user').nth(1).innerText()).toContain('And after the symphony?');
    await page.getByRole('button', { name: 'Send' }).waitFor({ timeout: 120_000 });
    await expect.poll(() => characters.count()).toBe(2);

    // Thoughts hide and show; the speech stays. The shown ones are the replies that have any.
    const withThoughts = (await invoke('chat/get', { id: conversation.id })).path.filter(
      (s) => s.message.role === 'character' && (s.message.reasoning ?? '').trim() !== '',
    ).length;
    expect(withThoughts).toBeGreaterThan(0);
    const speech = await characters.locator('.bubble-text').allInnerTexts();
    await page.getByLabel('Thoughts').uncheck();
    await expect.poll(() => page.getByTestId('thoughts').count()).toBe(0);
    expect(await characters.locator('.bubble-text').allInnerTexts()).toEqual(speech);
    await shot('49-chat-embedded-thoughts-hidden', page.locator('.chat-layout'));
    await page.getByLabel('Thoughts').check();
    await expect.poll(() => page.getByTestId('thoughts').count()).toBe(withThoughts);
    expect(await first.getByTestId('thoughts').innerText()).toBe('He hides the sketches under the score.');
    expect(await characters.locator('.bubble-text').allInnerTexts()).toEqual(speech);

    // Branch from the edited reply, then send: two continuations of it, browsed with ← →.
    await first.hover();
    await first.getByRole('button', { name: 'Branch' }).click();
    await expect.poll(() => characters.count()).toBe(1);
    await composer.fill('Another road: play it for me.');
    await composer.press('Enter');
    const branchStep = page.getByTestId('message-user').nth(1);
    await expect.poll(() => branchStep.innerText()).toContain('Another road');
    await page.getByRole('button', { name: 'Send' }).waitFor({ timeout: 120_000 });
    await expect.poll(() => characters.count()).toBe(2);
    await expect.poll(() => branchStep.getByTestId('alternative-index').innerText()).toBe('2 / 2');
    await branchStep.hover();
    await branchStep.getByRole('button', { name: 'Previous alternative' }).click();
    await expect.poll(() => branchStep.innerText()).toContain('And after the symphony?');
    await expect.poll(() => branchStep.getByTestId('alternative-index').innerText()).toBe('1 / 2');
    await branchStep.hover();
    await branchStep.getByRole('button', { name: 'Next alternative' }).click();
    await expect.poll(() => branchStep.innerText()).toContain('Another road');
    await expect.poll(() => characters.count()).toBe(2);
    await shot('50-chat-embedded-edit-branch', page.locator('.chat-layout'));

    // The correction in the Dataset tab, under its own filter, beside the generated scenes.
    await page.getByRole('tab', { name: 'Dataset' }).click();
    await page.getByRole('button', { name: /^Filters/ }).click();
    await page.getByRole('radiogroup', { name: 'Show' }).getByRole('radio', { name: 'Chat corrections' }).click();
    await expect.poll(() => page.getByTestId('scene-item').count()).toBe(1);
    await page.getByTestId('scene-item').first().click();
    const detail = page.getByRole('article', { name: 'Scene detail' });
    await expect.poll(() => detail.innerText()).toContain('A symphony, in C minor.');
    expect(await detail.innerText()).toContain('Chat correction');
    await shot('51-chat-embedded-correction-in-dataset', page.locator('.dataset-grid'));

    // A reload shows the conversation as it was: the edit, the correction, the branch, the thoughts.
    await page.getByRole('tab', { name: 'Chat' }).click();
    await expect.poll(() => characters.count()).toBe(2);
    const before = await characters.allInnerTexts();
    const users = await page.getByTestId('message-user').allInnerTexts();
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    // Its row, clicked on the title's start (its tools sit over the right-hand side).
    await page
      .getByRole('complementary', { name: 'Conversations' })
      .getByText(conversation.title)
      .click({ position: { x: 4, y: 4 } });
    await page.getByTestId('message-user').getByText('What are you writing?').waitFor();
    await expect.poll(() => characters.allInnerTexts()).toEqual(before);
    expect(await page.getByTestId('message-user').allInnerTexts()).toEqual(users);
    expect(await first.innerText()).toContain('in the dataset');
    expect(await first.getByTestId('alternative-index').innerText()).toBe('2 / 2');
    expect(await first.getByTestId('thoughts').innerText()).toBe('He hides the sketches under the score.');
    expect(await branchStep.getByTestId('alternative-index').innerText()).toBe('2 / 2');
    // The first reply's other alternative is the model's own, and its branch the earlier exchange.
    await first.hover();
    await first.getByRole('button', { name: 'Previous alternative' }).click();
    await expect.poll(() => first.getByTestId('alternative-index').innerText()).toBe('1 / 2');
    expect(await first.innerText()).not.toContain('edited by you');
    await expect.poll(() => characters.count()).toBe(2);
    await expect.poll(() => characters.nth(1).getByTestId('alternative-index').innerText()).toBe(alternatives);
    await shot('52-chat-embedded-reloaded', page.locator('.chat-layout'));
  }, 900_000);
});
