import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandArg, CommandName, CommandResult } from '../../common/contract';
import { repoRoot, testOutputDir } from '../support/paths';
import type { ServeHandle } from '../support/serve';
import { generatedOverHttp, openTrainingStage, type TrainingStage } from '../support/training-stage';
import { animationsSettled } from '../support/browser';

/**
 * Experience upload from the browser: a dataset generated through the HTTP API (the Generate tab
 * has its own test), then the Train tab checks the real trainer environment, estimates, and trains
 * a tiny random Llama on the CPU to an adapter with the real Python trainer. Nothing is downloaded.
 */

const shots = path.join(testOutputDir, 'screenshots');
const python = path.join(repoRoot, '.venv', 'bin', 'python');

let stage: TrainingStage;
let data: { dir: string };
let serve: ServeHandle;
let page: Page;
let model: string;

async function shot(name: string, target: Page | Locator = page) {
  fs.mkdirSync(shots, { recursive: true });
  await animationsSettled(page); // progress bars ease to their value
  await target.screenshot({ path: path.join(shots, `${name}.png`) });
}

/** An element taller than the window: the page scrolls inside `.content`, so grow the window instead. */
async function tallShot(name: string, target: Locator) {
  const viewport = page.viewportSize()!;
  const box = await target.boundingBox();
  await page.setViewportSize({ width: viewport.width, height: Math.ceil((box?.height ?? 0) + 420) });
  await target.scrollIntoViewIfNeeded();
  await shot(name, target);
  await page.setViewportSize(viewport);
}

/** A command through the web door, as any script holding the token may send it. */
function invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>> {
  return stage.invoke(name, arg);
}

beforeAll(async () => {
  stage = await openTrainingStage('train', { permissions: ['clipboard-read', 'clipboard-write'] });
  ({ serve, page, model } = stage);
  data = { dir: stage.dataDir };
});
afterAll(async () => {
  await stage?.close();
});

describe('training a character in a browser against serve and the real trainer', () => {
  it('checks the environment, estimates, trains to an adapter and draws the loss', async () => {
    // The dataset, made through the HTTP API with the token.
    const character = await generatedOverHttp(stage, 12);

    await page.goto(serve.url);
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Train' }).click();
    const form = page.getByRole('group', { name: 'Training settings' });
    await form.waitFor();

    // The curated list, and a note for the chosen model.
    const baseModel = form.getByLabel(/^Base model/);
    expect(await baseModel.locator('option').count()).toBeGreaterThan(3);
    await form.getByText(/Trains on a laptop GPU or CPU/).waitFor();
    // No GPU server is configured, so only this machine is offered.
    const target = form.getByLabel('Runs on');
    expect(await target.inputValue()).toBe('local');
    expect(await target.locator('option').allTextContents()).toEqual(['This machine (its GPU, or the CPU)']);

    // A tiny local model instead, the repository's trainer environment, and a quick trial.
    await baseModel.selectOption('other');
    await form.getByLabel(/^Hugging Face id or model folder/).fill(model);
    await form.getByRole('radio', { name: /^Chat/ }).check();
    await form.getByLabel(/^Python interpreter/).fill(python);

    // Presets fill the fields they name and show which one the form matches.
    const presets = form.getByRole('group', { name: 'Presets' });
    expect(await presets.getByRole('button', { name: /LoRA · 1–2k scenes/ }).getAttribute('aria-pressed')).toBe('true');
    await presets.getByRole('button', { name: 'Quick trial' }).click();
    expect(await form.getByLabel(/^Max steps/).inputValue()).toBe('30');
    expect(await presets.getByRole('button', { name: 'Quick trial' }).getAttribute('aria-pressed')).toBe('true');
    await presets.getByText(/measure the speed of this machine/).waitFor();

    await form.getByLabel(/^Epochs/).fill('2');
    await form.getByLabel(/^Batch size/).fill('2');
    await form.getByLabel(/^Gradient accumulation/).fill('1');
    await form.getByLabel(/^Max length/).fill('256');
    await form.getByLabel(/^Max steps/).fill('6');
    await form.getByLabel(/^LoRA rank/).fill('4');
    await form.getByLabel(/^LoRA alpha/).fill('8');
    await form.getByLabel(/^Learning rate/).fill('0.005');
    await form.getByText('Checkpoints, dev set, precision and memory').click();
    await form.getByLabel(/^Save every/).fill('3');
    await form.getByLabel(/^Dev share/).fill('20');
    await form.getByRole('checkbox', { name: /^Gradient checkpointing/ }).uncheck();

    // A bad value is named before anything is sent.
    await form.getByLabel(/^Max steps/).fill('0');
    await form.getByText(/Max steps must be a whole number above 0/).waitFor();
    expect(await page.getByRole('button', { name: 'Start training' }).isDisabled()).toBe(true);
    await form.getByLabel(/^Max steps/).fill('6');

    // The real environment check: Python, torch, no GPU on this machine.
    await form.getByRole('button', { name: 'Check environment' }).click();
    const doctor = form.getByRole('status', { name: 'Environment check' });
    await doctor.getByText('Ready to train').waitFor({ timeout: 60_000 });
    const facts = doctor.locator('.doctor-facts');
    expect(await facts.getByText(/^2\.\d+/).count()).toBe(1);
    await facts.getByText(python, { exact: true }).waitFor();

    const estimate = page.getByRole('region', { name: 'Training estimate' });
    await expect.poll(() => estimate.getAttribute('aria-busy')).toBe('false');
    await expect.poll(() => estimate.getByTestId('estimate-steps').innerText()).toMatch(/^6\b/);
    expect(Number((await estimate.getByTestId('estimate-examples').innerText()).split('\n')[0])).toBe(13);
    await estimate.getByText(/Only 13 scenes/).waitFor();
    // The tiny model's size comes from its config.json; with the CPU known, a time is guessed.
    await expect.poll(() => estimate.getByTestId('estimate-time').innerText()).toMatch(/≈ \d+ s[\s\S]*CPU only/);
    await tallShot('30-train-form', page.locator('section.new-training'));

    // A misspelt interpreter gets a clear answer, not a crash.
    await form.getByLabel(/^Python interpreter/).fill(path.join(repoRoot, 'no-such-venv', 'bin', 'python'));
    await form.getByRole('button', { name: 'Check environment' }).click();
    await doctor.getByText('This Python cannot train yet').waitFor({ timeout: 30_000 });
    await shot('31-train-doctor-error', doctor);
    await form.getByLabel(/^Python interpreter/).fill(python);
    await doctor.getByText('Ready to train').waitFor(); // the earlier answer, cached per interpreter

    // Record every point count the chart shows, however briefly.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { seenPoints: number[] }).seenPoints = seen;
      new MutationObserver(() => {
        const chart = document.querySelector('[data-testid="loss-chart"]');
        const n = Number(chart?.getAttribute('data-points') ?? -1);
        if (n >= 0 && seen.at(-1) !== n) seen.push(n);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-points'] });
    });

    await page.getByRole('button', { name: 'Start training' }).click();
    const run = page.getByTestId('run-card');
    await run.waitFor();
    await run
      .getByText(/Running|Succeeded/)
      .first()
      .waitFor();
    const chart = run.getByTestId('loss-chart');
    await expect
      .poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 60_000, interval: 100 })
      .toBeGreaterThan(0);
    await run.locator('.status', { hasText: 'Succeeded' }).waitFor({ timeout: 60_000 });
    await run.locator('details.run-log summary').click();
    await run.getByLabel('Trainer log lines').waitFor();
    await animationsSettled(page);
    await run.scrollIntoViewIfNeeded();
    await shot('32-train-succeeded', run);

    // The chart grew through the run, step by step, to all six steps.
    const seen = await page.evaluate(() => (window as unknown as { seenPoints: number[] }).seenPoints);
    expect(seen.at(-1)).toBeGreaterThanOrEqual(6);
    const final = seen.at(-1)!;
    expect(
      seen.some((n) => n > 0 && n < final),
      `point counts seen: ${seen.join(', ')}`,
    ).toBe(true);
    await run.getByText(/step 6 of 6/).waitFor();
    await run.getByTestId('padding').waitFor();
    expect(await run.getByTestId('padding').innerText()).toMatch(
      /^\d+(\.\d)?% padding \(paper's fixed 2,048: \d+(\.\d)?%\)/,
    );

    // The adapter is listed with its path, which exists, and can be copied.
    const adapter = run.getByRole('region', { name: 'Artifacts' }).locator('li[data-kind="adapter"]');
    const adapterPath = await adapter.locator('.artifact-path').getAttribute('title');
    expect(adapterPath).toBeTruthy();
    expect(fs.existsSync(path.join(adapterPath!, 'adapter_config.json'))).toBe(true);
    expect(adapterPath!.startsWith(data.dir)).toBe(true);
    await run.getByRole('region', { name: 'Artifacts' }).locator('li[data-kind="manifest"]').waitFor();
    await adapter.getByRole('button', { name: /^Copy the path/ }).click();
    await adapter
      .getByRole('button', { name: /^Copy the path/ })
      .getByText('Copied')
      .waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(adapterPath);

    // What the page shows is what the store holds.
    const [stored] = await invoke('training/list', { characterId: character.id });
    expect(stored?.status).toBe('succeeded');
    expect(stored?.config.baseModel).toBe(model);
    expect(stored?.config.python).toBe(python);
    expect(stored?.config.hyperparameters).toMatchObject({ maxSteps: 6, batchSize: 2, maxLength: 256, evalShare: 0.2 });
    expect(stored?.outputs.adapter).toBe(adapterPath);

    // Served for chat apps: the page shows a base URL that answers the OpenAI protocol, then stops it.
    const servePanel = run.getByRole('region', { name: 'Chat with this model' });
    await servePanel.getByRole('button', { name: 'Serve on this computer' }).click();
    const url = await servePanel.getByTestId('serve-url').innerText({ timeout: 60_000 });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const listed = (await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] };
    expect(listed.data).toHaveLength(1);
    await servePanel.getByText(listed.data[0]!.id, { exact: true }).waitFor();
    await shot('36-train-serving', servePanel);
    // "Chat with this run" opens the Chat tab on it; the served runtime answers, the reply stored.
    await servePanel.getByRole('button', { name: 'Chat with this run' }).click();
    const newChat = page.getByRole('form', { name: 'New conversation' });
    await newChat.getByLabel('Location and time').fill('Vienna, 1809');
    await newChat.getByRole('radio', { name: /The trainer's serve/ }).check();
    await newChat.getByRole('button', { name: 'Start the conversation' }).click();
    await page.getByLabel('Message to Beethoven').fill('Tell me about your symphony.');
    await page.getByLabel('Message to Beethoven').press('Enter');
    await page.getByTestId('message-user').getByText('Tell me about your symphony.').waitFor();
    await page.getByTestId('message-character').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Send' }).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('message-character').getByRole('alert').count()).toBe(0);
    await shot('36-train-chat');
    // Back on the Train tab, its form is drawn anew (the typed values kept, the folded part folded).
    await page.getByRole('tab', { name: 'Train' }).click();
    await form.getByText('Checkpoints, dev set, precision and memory').click();
    await servePanel.getByRole('button', { name: 'Stop serving' }).click();
    await servePanel.getByRole('button', { name: 'Serve on this computer' }).waitFor({ timeout: 30_000 });
    await expect(fetch(`${url}/models`)).rejects.toThrow();

    // A longer run: Stop saves a checkpoint, Resume continues from it, Cancel ends it.
    await form.getByLabel(/^Epochs/).fill('100');
    await form.getByLabel(/^Max steps/).fill('1000');
    await form.getByLabel(/^Batch size/).fill('1');
    await form.getByLabel(/^Save every/).fill('1000');
    await form.getByLabel(/^Dev share/).fill('0');
    await page.getByRole('button', { name: 'Start training' }).click();
    const long = page.getByTestId('run-card').first();
    await long.getByText(/step \d+ of 1,000/).waitFor();
    await expect
      .poll(async () => Number(await long.getByTestId('loss-chart').getAttribute('data-points')), {
        timeout: 60_000,
        interval: 100,
      })
      .toBeGreaterThan(2);
    expect(await page.getByRole('button', { name: 'Start training' }).isDisabled()).toBe(true);
    await long.getByText('Training', { exact: true }).waitFor(); // the phase
    await shot('33-train-running', long);
    await long.getByRole('button', { name: 'Stop' }).click();
    await long.locator('.status', { hasText: 'Stopped' }).waitFor({ timeout: 60_000 });
    const checkpoint = long.locator('li[data-kind="checkpoint"] .artifact-path');
    expect(fs.existsSync((await checkpoint.getAttribute('title'))!)).toBe(true);
    const stoppedAt = (await invoke('training/list', { characterId: character.id }))[0]!.step;
    expect(stoppedAt).toBeGreaterThan(2);
    expect(stoppedAt).toBeLessThan(1000);
    await shot('34-train-stopped', long);

    await long.getByRole('button', { name: 'Resume' }).click();
    await long.locator('.status', { hasText: 'Running' }).waitFor();
    await expect
      .poll(async () => (await invoke('training/list', { characterId: character.id }))[0]!.step, {
        timeout: 60_000,
        interval: 200,
      })
      .toBeGreaterThan(stoppedAt);
    page.once('dialog', (dialog) => void dialog.accept());
    await long.getByRole('button', { name: 'Cancel' }).click();
    await long.locator('.status', { hasText: 'Cancelled' }).waitFor({ timeout: 60_000 });

    // The first run is now an earlier one, a row that opens into its card.
    const runs = page.getByRole('region', { name: 'Training runs' });
    await runs.getByText('1 earlier run').click();
    await runs.getByRole('button', { name: /Succeeded/ }).click();
    await runs.getByRole('article', { name: 'Training run' }).getByTestId('loss-chart').waitFor();
    await tallShot('35-train-runs', runs);
  });
});
