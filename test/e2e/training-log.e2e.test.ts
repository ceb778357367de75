import fs from 'node:fs';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, RunId } from '../../common/contract';
import { runCliIn } from '../support/cli';
import { testOutputDir } from '../support/paths';
import { generatedOverHttp, openTrainingStage, type TrainingStage } from '../support/training-stage';
import { failingTrainScript, tinyTrainingConfig, trainerWrapper } from '../unit/trainer/fixtures';

/**
 * The Train tab's trainer log, in the browser against `serve`: the lines the store keeps show after
 * a reload, and live lines join them without repeats. The trainer's interpreter is a wrapper around
 * the venv's Python: for `train` it prints lines (and a traceback, failing; or waits for the
 * studio's `stop` on stdin and exits as the trainer then does), every other use is the real Python.
 */

const shots = path.join(testOutputDir, 'screenshots');

let stage: TrainingStage;
let characterId: CharacterId;

/** An interpreter in the models folder whose `character_trainer train` runs `script` (sh) instead of the trainer. */
const wrapper = (name: string, script: string) => trainerWrapper(path.join(stage.modelsDir, name), script);

function start(python: string): Promise<{ id: RunId }> {
  return stage.invoke('training/start', {
    characterId,
    config: { ...tinyTrainingConfig(stage.model, 'local', { maxSteps: 2 }), python },
  });
}

/**
 * `train Beethoven` in a terminal: the CLI in this test's process, beside `serve` (another process)
 * on the same data folder. Resolves once its trainer runs, with the command's end.
 */
async function trainedInTerminal(python: string): Promise<{ end: ReturnType<typeof runCliIn> }> {
  const end = runCliIn(stage.dataDir, [
    'train',
    'Beethoven',
    '--base-model',
    stage.model,
    '--python',
    python,
    '--max-steps',
    '2',
    '--new',
  ]);
  // The terminal listens for Ctrl+C once its trainer has started.
  await expect.poll(() => process.listenerCount('SIGINT'), { timeout: 30_000 }).toBe(1);
  return { end };
}

/** The latest run's card on a freshly loaded Train tab, its log opened (`summary`: its text as written, not as styled). */
async function openedLog(): Promise<{ card: Locator; summary: Locator; lines: Locator }> {
  const { page, serve } = stage;
  await page.goto(serve.url);
  await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
  await page.getByRole('tab', { name: 'Train' }).click();
  const card = page.getByRole('article', { name: /^(Current|Last) run$/ });
  const summary = card.locator('details.run-log summary');
  await summary.click();
  return { card, summary, lines: card.getByLabel('Trainer log lines') };
}

beforeAll(async () => {
  stage = await openTrainingStage('log');
  characterId = (await generatedOverHttp(stage, 4)).id;
}, 120_000);
afterAll(async () => {
  await stage?.close();
});

describe("the Train tab's trainer log", () => {
  it('shows the stored lines after a reload, and live ones after them without repeats', async () => {
    const held = wrapper(
      'held-python',
      '  echo "first line" >&2; echo "second line" >&2; read -r line; echo "asked to $line" >&2; exit 4;;',
    );
    const run = await start(held);
    await expect
      .poll(async () => (await stage.invoke('training/log', { runId: run.id })).total, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    // Opened after the lines were logged: they come from the store, as after a reload or restart.
    const { card, summary, lines } = await openedLog();
    await expect.poll(() => lines.innerText()).toMatch(/first line\nsecond line$/);
    await card.getByRole('button', { name: 'Stop', exact: true }).click();
    await card.locator('.status', { hasText: 'Stopped' }).waitFor({ timeout: 30_000 });
    // The trainer's answer arrived live, once, after the stored lines.
    await expect.poll(() => lines.innerText()).toMatch(/first line\nsecond line\nasked to stop$/);
    expect((await lines.innerText()).match(/second line/g)).toHaveLength(1);
    const shown = await summary.textContent();

    const reloaded = await openedLog();
    await expect.poll(() => reloaded.lines.innerText()).toBe(await lines.innerText());
    expect(await reloaded.summary.textContent()).toBe(shown);
  }, 120_000);

  it('stops from the Train tab a run a terminal trains, and shows the lines it logged there', async () => {
    const held = wrapper(
      'held-cli-python',
      '  echo "trained by a terminal" >&2; read -r line; echo "asked to $line" >&2; exit 4;;',
    );
    const training = await trainedInTerminal(held);
    const { card, lines } = await openedLog();
    await expect.poll(() => lines.innerText(), { timeout: 10_000 }).toContain('trained by a terminal');
    await card.getByRole('button', { name: 'Stop', exact: true }).click();
    await card.getByText('Stopping: asked the process training this run to save a checkpoint and stop…').waitFor();
    // The terminal's studio stops it as Ctrl+C there would (exit 3: stopped), and the card follows.
    expect((await training.end).code).toBe(3);
    await card.locator('.status', { hasText: 'Stopped' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => lines.innerText(), { timeout: 10_000 }).toMatch(/trained by a terminal\nasked to stop$/);
    await card.scrollIntoViewIfNeeded();
    fs.mkdirSync(shots, { recursive: true });
    await card.screenshot({ path: path.join(shots, '46-train-stopped-elsewhere.png') });
  }, 120_000);

  it('cancels from the Train tab a run a terminal trains', async () => {
    const held = wrapper(
      'held-cancel-python',
      '  read -r line; echo "asked to $line" >&2; [ "$line" = cancel ] && exit 5; exit 4;;',
    );
    const training = await trainedInTerminal(held);
    const { card, lines } = await openedLog();
    await card.locator('.status', { hasText: 'Running' }).waitFor();
    stage.page.once('dialog', (dialog) => void dialog.accept());
    await card.getByRole('button', { name: 'Cancel', exact: true }).click();
    await card.getByText('Cancelling: asked the process training this run to cancel it…').waitFor();
    // The terminal's studio cancels it (the trainer is told `cancel`); its `train` ends as a failed run does.
    expect((await training.end).code).toBe(1);
    await card.locator('.status', { hasText: 'Cancelled' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => lines.innerText(), { timeout: 10_000 }).toMatch(/asked to cancel$/);
  }, 120_000);

  it("keeps a failed run's traceback at the end of a long log, and says how much is shown", async () => {
    const failing = wrapper(
      'failing-python',
      failingTrainScript(3_000, 'RuntimeError: the tiny model ran out of patience'),
    );
    const run = await start(failing);
    await expect
      .poll(async () => (await stage.invoke('training/get', { id: run.id })).status, { timeout: 30_000 })
      .toBe('failed');
    const total = (await stage.invoke('training/log', { runId: run.id, limit: 1 })).total;
    const { card, summary, lines } = await openedLog();
    await expect
      .poll(() => lines.innerText())
      .toMatch(/Traceback \(most recent call last\):\nRuntimeError: the tiny model ran out of patience$/);
    expect(await summary.textContent()).toBe(`Trainer log (last 1000 of ${total} lines)`);
    await lines.evaluate((el) => (el.scrollTop = el.scrollHeight));
    fs.mkdirSync(shots, { recursive: true });
    await card.locator('details.run-log').screenshot({ path: path.join(shots, '45-train-log-failed.png') });
  }, 120_000);
});
