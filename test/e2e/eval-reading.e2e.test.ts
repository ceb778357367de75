import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CharacterId, EvalSystem, Interview } from '../../common/contract';
import { fixture } from '../support/paths';
import { seedJudgments } from '../support/report-seed';
import { pageInvoke, useServePage } from '../support/serve-page';

// Reading answers on the Evaluate tab with the paper's released Beethoven outputs (82 single-turn
// answers and 50 multi-turn interviews a system): what a click opens comes into view, where the
// click was. The transcript used to open under the whole Answers list and the report's drill-down
// under the comparison of two systems, thousands of pixels down, with nothing on screen changed.

const session = useServePage('cs-e2e-eval-reading-', { width: 1360, height: 860 });

/** Whether the element's top is in the window (it may run on below). */
async function topInView(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((s) => {
    const box = document.querySelector(s)?.getBoundingClientRect();
    return box !== undefined && box.top >= 0 && box.top < window.innerHeight - 100;
  }, selector);
}

async function openEvaluate(page: Page): Promise<CharacterId> {
  await page.goto(session.serve.url);
  const beethoven = await pageInvoke<{ id: CharacterId }>(page, 'characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '1770–1827',
    notes: '',
  });
  await pageInvoke(page, 'eval/import-outputs', {
    paths: [fixture('interview_single/Beethoven_sft.json'), fixture('interview_single/Beethoven_chatgpt.json')],
    map: {},
  });
  await page.reload();
  await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
  await page.getByRole('tab', { name: 'Evaluate' }).click();
  return beethoven.id;
}

describe('reading answers on the Evaluate tab', () => {
  it('opens an interview’s transcript under its row, in view', async () => {
    const { page } = session;
    await openEvaluate(page);
    await page.getByRole('button', { name: 'Interviews', exact: true }).click();
    const list = page.getByRole('region', { name: 'Interviews' });
    await list.getByRole('row').nth(100).waitFor();
    const row = list.getByRole('row', { name: /Open the interview/ }).nth(40);
    await row.scrollIntoViewIfNeeded();
    const question = (await row.getAttribute('aria-label'))!.replace('Open the interview: ', '');
    await row.click();
    const transcript = page.getByRole('region', { name: 'Transcript' });
    await transcript.waitFor();
    expect(await transcript.innerText()).toContain(question);
    await expect.poll(() => topInView(page, '.eval-transcript')).toBe(true);
    expect(await row.getAttribute('aria-expanded')).toBe('true');
    // A click on its row again closes it.
    await row.click();
    await expect.poll(() => transcript.count()).toBe(0);
  });

  it('brings a report’s drill-down into view below an open comparison', async () => {
    const { page } = session;
    const characterId = await openEvaluate(page);
    const systems = await pageInvoke<EvalSystem[]>(page, 'eval/systems/list', { characterId });
    expect(systems.map((s) => s.label).sort()).toEqual(['chatgpt (paper)', 'sft (paper)']);
    await page.getByRole('button', { name: 'Report', exact: true }).click();
    const table = page.getByTestId('report-table-single');
    await table.waitFor();
    await table.getByLabel('Compare chatgpt (paper)').check();
    await table.getByLabel('Compare sft (paper)').check();
    await page.getByTestId('report-pair').nth(81).waitFor();
    await expect.poll(() => topInView(page, '[data-testid="report-compare"]')).toBe(true);
    // The tables are above the long comparison now: scroll back up and open sft's answers.
    await table.scrollIntoViewIfNeeded();
    await table
      .getByRole('row', { name: /sft \(paper\)/ })
      .getByRole('button', { name: '82', exact: true })
      .click();
    await page.getByTestId('report-answers').getByTestId('report-answer').first().waitFor();
    await expect.poll(() => topInView(page, '[data-testid="report-answers"]')).toBe(true);
  });

  it('draws a mean score of 1 as a bar, not as an empty place', async () => {
    const { page } = session;
    const characterId = await openEvaluate(page);
    const [sft] = (await pageInvoke<EvalSystem[]>(page, 'eval/systems/list', { characterId })).filter(
      (s) => s.label === 'sft (paper)',
    );
    const interviews = await pageInvoke<Interview[]>(page, 'eval/interviews/list', { characterId, systemId: sft!.id });
    const db = new Database(path.join(session.data.dir, 'studio.sqlite'));
    try {
      seedJudgments(
        db,
        characterId,
        interviews.flatMap((i) => [
          { interviewId: i.id, dimension: 'memorization' as const, score: 1 },
          { interviewId: i.id, dimension: 'values' as const, score: 4 },
        ]),
      );
    } finally {
      db.close();
    }
    await page.reload();
    await page.getByRole('tab', { name: 'Evaluate' }).click();
    await page.getByRole('button', { name: 'Report', exact: true }).click();
    const chart = page.getByTestId('report-chart-single');
    // Both of sft's judged dimensions have a bar with a height, the mean of 1 too.
    await expect
      .poll(() =>
        chart
          .locator('.recharts-bar-rectangle path')
          .evaluateAll((paths) => paths.map((p) => Math.round((p as SVGGraphicsElement).getBBox().height))),
      )
      .toEqual([expect.any(Number), expect.any(Number)]);
    const heights = await chart
      .locator('.recharts-bar-rectangle path')
      .evaluateAll((paths) => paths.map((p) => (p as SVGGraphicsElement).getBBox().height));
    expect(Math.min(...heights)).toBeGreaterThan(0);
  });
});
