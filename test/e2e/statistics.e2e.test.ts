import Database from 'better-sqlite3';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { CharacterId, DatasetCharts, TrainingConfig } from '../../common/contract';
import { DEFAULT_HYPERPARAMETERS } from '../../main/core/training/catalog';
import { animationsSettled } from '../support/browser';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { testOutputDir } from '../support/paths';
import { pageInvoke, useServePage } from '../support/serve-page';
import { seedOnce } from '../support/seed-once';
import { builtCli, generateWithCli } from '../support/cli-dataset';
import { runBuiltCli } from '../support/serve';
import { studioResponder } from '../support/studio-responder';

// The Dataset tab's Statistics view and the run card's loss chart in Chromium against `serve`, at
// the smallest window the studio supports (1024×700) and a wide one: every chart draws (recharts
// SVG), its tooltip tells the value under the pointer, and the per-character table sits below.

let llm: FakeLlmServer;
// Beethoven's twelve generated scenes and Clara without any, made once and copied into each test's data folder.
const seed = seedOnce('cs-e2e-stats-seed-', async (dir) => {
  llm = await startFakeLlmServer({ responder: studioResponder() });
  const dataset = { target: 12, perCall: 4, protective: 0.1, provider: 'Fake LLM' };
  await generateWithCli(builtCli(dir), llm.baseURL, dataset);
  await runBuiltCli(dir, 'characters', 'create', '--full-name', 'Clara Schumann', '--short-name', 'Clara');
});
afterAll(async () => {
  await llm?.close();
});
const session = useServePage('cs-e2e-stats-', { width: 1024, height: 700 }, seed);

async function openBeethoven(page: Page): Promise<CharacterId> {
  await page.goto(session.serve.url);
  await page
    .getByRole('button', { name: /Ludwig van Beethoven/ })
    .first()
    .click();
  await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
  const characters = await pageInvoke<{ id: CharacterId; fullName: string }[]>(page, 'characters/list', {});
  return characters.find((c) => c.fullName === 'Ludwig van Beethoven')!.id;
}

/** Hovers the `index`th bar of a chart and returns the tooltip's text. */
async function tipOf(page: Page, testId: string, index = 0): Promise<string> {
  const chart = page.getByTestId(testId);
  await chart.locator('.recharts-bar-rectangle').nth(index).hover();
  const tip = chart.locator('.chart-tip');
  await tip.waitFor();
  return (await tip.textContent()) ?? '';
}

/** Screenshots of the view scrolled to its top and to its bottom (the page scrolls inside `.content`). */
async function shotsTopAndBottom(page: Page, name: string): Promise<void> {
  for (const [end, top] of [
    ['top', 0],
    ['bottom', 1e6],
  ] as const) {
    await page.locator('.content').evaluate((el, y) => el.scrollTo(0, y), top);
    await animationsSettled(page);
    await page.screenshot({ path: path.join(testOutputDir, 'screenshots', `${name}-${end}.png`) });
  }
}

describe('statistics in a browser', () => {
  it('draws every chart from the stored figures, with values in the tooltips, and the per-character table', async () => {
    const { page } = session;
    const characterId = await openBeethoven(page);
    await page.getByRole('tab', { name: 'Dataset' }).click();
    await page.getByRole('radio', { name: 'Statistics' }).click();
    const view = page.getByTestId('statistics');
    await view.waitFor();
    const charts = await pageInvoke<DatasetCharts>(page, 'dataset/charts', { characterId });
    expect(charts.normal.experiences).toBeGreaterThanOrEqual(12);

    // Every chart is an SVG drawn by recharts.
    for (const id of [
      'chart-stages',
      'chart-kinds',
      'chart-coverage',
      'chart-turns',
      'chart-words',
      'chart-tokens',
      'chart-speakers',
    ])
      await view.getByTestId(id).locator('svg.recharts-surface').first().waitFor();
    // No problems in the fake's answers: the card says so instead of drawing an empty chart.
    await expect
      .poll(() => view.getByTestId('chart-problems').textContent())
      .toContain('Every experience fits the format.');

    // One bar per chunk, in the profile's order, so parts of the life without scenes show.
    expect(charts.chunks.length).toBeGreaterThan(5);
    await expect
      .poll(() => view.getByTestId('chart-coverage').locator('.recharts-bar-rectangle').count())
      .toBeGreaterThan(0);
    await view.getByTestId('chart-coverage').locator('.recharts-bar-rectangle').first().hover();
    await expect
      .poll(async () => (await view.getByTestId('chart-coverage').locator('.chart-tip').textContent()) ?? '')
      .toMatch(/^Chunk \d+ · [\d,]+ words/);

    // The turns histogram's first bar: its tooltip gives the bin and its count from the command.
    const bin = charts.turnsPerScene.bins.find((b) => b.count > 0)!;
    const turnsTip = await tipOf(page, 'chart-turns');
    expect(turnsTip).toContain(`${bin.count} scenes`);
    expect(turnsTip).toContain('turns');
    const kindsTip = await tipOf(page, 'chart-kinds');
    expect(kindsTip).toContain(`speaking ${charts.kinds.speaking.turns.toLocaleString('en-US')}`);
    const speakersTip = await tipOf(page, 'chart-speakers');
    expect(speakersTip).toMatch(new RegExp(`^${charts.speakers[0]!.speaker}`));
    expect(speakersTip).toContain(`${charts.speakers[0]!.turns.toLocaleString('en-US')} turns`);

    // The per-character table: both characters, this one marked, the paper's row at the foot.
    const table = view.getByRole('table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    const beethoven = table.locator('tbody tr.current');
    await expect.poll(() => beethoven.locator('th').textContent()).toBe('Ludwig van Beethoven');
    const scenes = charts.normal.scenes + charts.protective.scenes;
    expect(await beethoven.locator('td').nth(2).textContent()).toBe(String(scenes));
    expect(await table.locator('tfoot').textContent()).toContain('1.4K–2.2K');

    await page.mouse.move(0, 0);
    await shotsTopAndBottom(page, 'statistics-10-small');
    await page.setViewportSize({ width: 1600, height: 1000 });
    await view.getByTestId('chart-turns').locator('svg.recharts-surface').waitFor();
    await shotsTopAndBottom(page, 'statistics-20-wide');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shotsTopAndBottom(page, 'statistics-21-wide-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // A scene rejected from another window: the view follows the `dataset/changed` event.
    const before = charts.normal.rejected;
    const id = (await pageInvoke<{ scenes: { id: string }[] }>(page, 'scenes/list', { characterId, limit: 1 }))
      .scenes[0]!.id;
    await pageInvoke(page, 'review/set', { characterId, ids: [id], status: 'rejected' });
    await expect
      .poll(async () => (await tipOf(page, 'chart-stages')).match(/(\d+) rejected in review/)?.[1], { timeout: 10_000 })
      .toBe(String(before + 1));
  });

  it('draws a run’s loss on its card, with the step and loss under the pointer', async () => {
    const { page } = session;
    const characterId = await openBeethoven(page);
    // A finished run as the store keeps it once the trainer is done: 40 steps, eval every 10.
    // (written with SQL: this test file cannot load the store's migrations).
    const db = new Database(path.join(session.data.dir, 'studio.sqlite'));
    const id = 'run-e2e-loss';
    const config: TrainingConfig = {
      baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
      format: 'chat',
      target: 'local',
      python: '',
      hyperparameters: DEFAULT_HYPERPARAMETERS,
    };
    const now = Date.now();
    db.prepare(
      `INSERT INTO training_runs (id, character_id, status, target, config, run_dir, examples, step, total_steps, epoch,
         created_at, updated_at, finished_at) VALUES (?, ?, 'succeeded', 'local', ?, ?, 12, 40, 40, 1, ?, ?, ?)`,
    ).run(id, characterId, JSON.stringify(config), path.join(session.data.dir, 'runs', id), now, now, now);
    const point = db.prepare('INSERT INTO training_points (run_id, step, loss, eval_loss, lr) VALUES (?, ?, ?, ?, ?)');
    for (let step = 1; step <= 40; step++)
      point.run(id, step, 2.5 - step * 0.04, step % 10 === 0 ? 2.6 - step * 0.035 : null, 2e-5);
    db.close();

    await page.getByRole('tab', { name: 'Train' }).click();
    const chart = page.getByTestId('loss-chart');
    await expect.poll(() => chart.getAttribute('data-points')).toBe('40');
    // The chart draws its lines once its container has a size: waited for, not read once.
    await expect.poll(() => chart.locator('.recharts-line').count()).toBe(2);
    // The legend keeps the last values: train 0.9 at step 40, eval 1.2.
    await expect.poll(() => chart.locator('figcaption').textContent()).toMatch(/train\s*0\.9\s*eval\s*1\.2/);
    const box = (await chart.locator('.recharts-cartesian-grid').boundingBox())!;
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    const tip = chart.locator('.chart-tip');
    await expect.poll(() => tip.textContent()).toBe('step 40 · loss 0.9step 40 · eval 1.2');
    await chart.scrollIntoViewIfNeeded();
    await animationsSettled(page);
    await chart.screenshot({ path: path.join(testOutputDir, 'screenshots', 'statistics-30-loss.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await animationsSettled(page);
    await chart.screenshot({ path: path.join(testOutputDir, 'screenshots', 'statistics-31-loss-dark.png') });
  });
});
