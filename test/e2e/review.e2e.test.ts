import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { useServePage } from '../support/serve-page';
import { seedOnce } from '../support/seed-once';
import { builtCli, generateWithCli } from '../support/cli-dataset';
import { studioResponder } from '../support/studio-responder';

// Review in Chromium against `serve`, at the smallest window the studio supports (1024×700):
// ticking rows (click and shift-click), the review bar in two lines with Regenerate… in its ⋯
// menu, Accept / Reject / Rate / Tag on the selection and on every
// result of a filter, Undo, the status, rating and tag filters with their counts, and scenes
// waiting for their experience.

let llm: FakeLlmServer;
// Six generated scenes, made once and copied into each test's data folder.
const seed = seedOnce('cs-e2e-review-seed-', async (dir) => {
  llm = await startFakeLlmServer({ responder: studioResponder() });
  await generateWithCli(builtCli(dir), llm.baseURL, { target: 6, perCall: 3, provider: 'Fake LLM' });
});
afterAll(async () => {
  await llm?.close();
});
const session = useServePage('cs-e2e-review-', { width: 1024, height: 700 }, seed);

describe('dataset review in a browser', () => {
  it('reviews the selection and every result of a filter, undoes, and filters with counts', async () => {
    const { page, serve } = session;
    await page.goto(serve.url);
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Dataset' }).click();
    const rows = page.getByTestId('scene-item');
    await expect.poll(() => rows.count()).toBe(6);
    // The filters and the review bar are folded under one toggle.
    await page.getByRole('button', { name: /^Filters/ }).click();
    const status = page.getByLabel('Review status');
    await expect
      .poll(() => status.locator('option').allTextContents())
      .toEqual(['Any status', 'Unreviewed (6)', 'Accepted (0)', 'Rejected (0)']);

    // Tick the first row, shift-tick the third: three rows selected; reject them.
    await page.getByLabel('Select scene 1', { exact: true }).click();
    await page.getByLabel('Select scene 3', { exact: true }).click({ modifiers: ['Shift'] });
    await expect.poll(() => page.getByRole('radio', { name: /^Selected/ }).textContent()).toBe('Selected (3)');

    // The review bar keeps to two lines in this window: Regenerate… waits in its ⋯ menu.
    const bar = (await page.getByRole('toolbar', { name: 'Review' }).boundingBox())!;
    const control = (await page.getByRole('button', { name: 'Accept' }).boundingBox())!;
    expect(bar.height).toBeLessThan(3 * control.height + 8);
    await page.getByRole('button', { name: 'More review actions' }).click();
    await page.getByRole('menuitem', { name: 'Regenerate…' }).click();
    const regenerate = page.getByRole('dialog', { name: /Regenerate/ });
    await regenerate.waitFor();
    await regenerate.getByRole('button', { name: 'Cancel' }).click();
    await regenerate.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Reject' }).click();
    await expect
      .poll(() => page.getByTestId('review-badge').allTextContents())
      .toEqual(['rejected', 'rejected', 'rejected']);
    await expect
      .poll(() => status.locator('option').allTextContents())
      .toEqual(['Any status', 'Unreviewed (3)', 'Accepted (0)', 'Rejected (3)']);

    // Every result of the "Unreviewed" filter: accept them, rate them 4 and tag them.
    await status.selectOption('unreviewed');
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByRole('radio', { name: /^All results/ }).click();
    await page.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => rows.count()).toBe(0);
    await status.selectOption('accepted');
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByRole('radio', { name: /^All results/ }).click();
    await page.getByLabel('Rate').selectOption('4');
    await expect.poll(() => page.getByLabel('Rated 4 of 5').count()).toBe(3);
    await page.getByLabel('Tag to add').fill('keeper');
    await page.getByLabel('Tag to add').press('Enter');
    await expect
      .poll(() => page.getByLabel('Tag').locator('option').allTextContents())
      .toEqual(['Any tag', 'keeper (3)']);
    await page.getByTestId('scene-item').first().scrollIntoViewIfNeeded();
    await session.shot('review-10-accepted-rated-tagged');

    // Undo the tagging, then the rating: the filter's scenes are as they were.
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => page.getByLabel('Tag').locator('option').allTextContents()).toEqual(['Any tag']);
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => page.getByLabel('Rated 4 of 5').count()).toBe(0);
    await expect
      .poll(() => page.getByLabel('Rating').locator('option').allTextContents())
      .toEqual(['Any rating', '★★★★★ (0)', '★★★★ (0)', '★★★ (0)', '★★ (0)', '★ (0)', 'Not rated (3)']);

    // The counts of the other facets follow the chosen status; all statuses stay counted.
    await status.selectOption('');
    await expect.poll(() => rows.count()).toBe(6);
    await session.shot('review-20-all');
  });

  it('reviews the open scene from the reading pane and from the keys, one undoable step each', async () => {
    const { page, serve } = session;
    await page.goto(serve.url);
    await page.getByRole('tab', { name: 'Dataset' }).click();
    const rows = page.getByTestId('scene-item');
    await expect.poll(() => rows.count()).toBe(6);
    await rows.nth(0).click();
    const strip = page.getByRole('radiogroup', { name: 'Review of this scene' });
    const checked = (name: string) => strip.getByRole('radio', { name }).getAttribute('aria-checked');
    await expect.poll(() => checked('Unreviewed')).toBe('true');

    // a accepts the open scene and moves on to the next one, which the pane then shows.
    await page.keyboard.press('a');
    await expect.poll(() => rows.nth(0).getByTestId('review-badge').textContent()).toBe('accepted');
    await expect.poll(() => rows.nth(1).getAttribute('aria-current')).toBe('true');
    await expect.poll(() => checked('Unreviewed')).toBe('true');

    // The pane's own controls: Rejected, then three stars.
    await strip.getByRole('radio', { name: 'Rejected' }).click();
    await expect.poll(() => rows.nth(1).getByTestId('review-badge').textContent()).toBe('rejected');
    await expect.poll(() => checked('Rejected')).toBe('true');
    await page.getByLabel('Stars given to this scene').selectOption('3');
    await expect.poll(() => page.getByLabel('Rated 3 of 5').count()).toBe(1);
    await session.shot('review-25-reading-pane');

    // Each was one review action: Undo takes back the stars, then the rejection.
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => page.getByLabel('Rated 3 of 5').count()).toBe(0);
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => checked('Unreviewed')).toBe('true');
    await expect.poll(() => page.getByTestId('review-badge').allTextContents()).toEqual(['accepted']);
  });

  it('shows the scenes waiting for their experience and completes them', async () => {
    const { page, serve } = session;
    // Two scenes lose their experience, as after a run cancelled between its stages.
    const db = new Database(path.join(session.data.dir, 'studio.sqlite'));
    db.prepare('DELETE FROM experiences WHERE scene_id IN (SELECT id FROM scenes ORDER BY created_at LIMIT 2)').run();
    db.close();
    await page.goto(serve.url);
    await page.getByRole('tab', { name: 'Dataset' }).click();
    const waiting = page.getByRole('region', { name: 'Scenes waiting for their experience' });
    await waiting.getByRole('button', { name: '2 scenes waiting for the experience' }).click();
    await expect.poll(() => page.getByTestId('scene-item').count()).toBe(2);
    await session.shot('review-30-waiting');
    await waiting.getByRole('button', { name: 'Complete' }).click();
    await expect.poll(() => waiting.count(), { timeout: 30_000 }).toBe(0);
  });
});
