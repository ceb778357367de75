import Database from 'better-sqlite3';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { CharacterId } from '../../common/contract';
import { writeExperience } from '../../main/store/scene-figures';
import { pageInvoke, useServePage } from '../support/serve-page';

// The Dataset tab as a researcher reviewing it meets it at the smallest window the studio supports
// (1024×700): reviewed scenes with format problems still say what they are, the column's controls
// stay inside it, and a search that finds nothing says so where the list would be.

const session = useServePage('cs-e2e-dataset-layout-', { width: 1024, height: 700 });

/** Four digits, as a dataset of the paper's size: the count is as wide as it gets in practice. */
const SCENES = 1_000;

/** A writer's note on the character, four lines long at this width. */
const NOTES =
  'Bonn years only: the court organist Neefe, the first lessons, the Electoral chapel, the move to Vienna in 1792. ' +
  'Keep his temper but not the deafness, which comes later. Letters to Wegeler are the best source for his voice; ' +
  'the Fischer manuscript for the childhood. Check every date against Thayer before training a model on this.';

/** Scenes as a generation job writes them; every third experience has a thinking turn by another speaker. */
function seed(characterId: CharacterId): void {
  const db = new Database(path.join(session.data.dir, 'studio.sqlite'));
  const scene = db.prepare(
    `INSERT INTO scenes (id, character_id, item_id, ordinal, protective, type, location, time, background,
       people, prompt_version, created_at)
     VALUES (?, ?, ?, 0, 0, 'Conversation', ?, '1783', 'Neefe hears the boy play.', '["Neefe"]', 'builtin@1', ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < SCENES; i++) {
      const id = `scene-${i}`;
      scene.run(id, characterId, id, `Bonn, the Neefe house, room ${i}`, 1_000 + i);
      const odd = i % 3 === 0;
      writeExperience(
        db,
        id,
        {
          background: 'A grey afternoon.',
          turns: [
            { speaker: 'Neefe', kind: odd ? 'thinking' : 'speaking', text: 'He rushes the adagio.' },
            { speaker: 'Beethoven', kind: 'speaking', text: 'I hear every dragging note.' },
          ],
          callId: null,
          promptVersion: 'builtin@1',
          problems: odd
            ? [{ code: 'other_thinking', message: 'Only the character may think.', turn: 0, raw: 'Neefe (thinking)' }]
            : [],
        },
        1_000 + i,
      );
    }
  })();
  db.close();
}

/**
 * Controls of the scene column (filters, count and sort, review bar) reaching past the search box's
 * right edge, the column's inner edge: into its padding or beyond it.
 */
async function outsideColumn(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const edge = document.querySelector('.browser-search input')!.getBoundingClientRect().right;
    return [
      ...document.querySelectorAll<HTMLElement>('.scene-column button, .scene-column select, .scene-column input'),
    ]
      .filter((el) => !el.closest('.scene-list'))
      .filter((el) => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > edge + 0.5)
      .map((el) => `${el.tagName.toLowerCase()} “${el.textContent || el.getAttribute('aria-label')}”`);
  });
}

/** Scene rows wholly inside the window and inside the list's own scrolled box. */
async function wholeRowsInView(page: Page): Promise<number> {
  return page.evaluate(() => {
    const list = document.querySelector('.scene-list')!.getBoundingClientRect();
    const bottom = Math.min(window.innerHeight, list.bottom);
    return [...document.querySelectorAll('[data-testid="scene-item"]')].filter((row) => {
      const r = row.getBoundingClientRect();
      return r.top >= Math.max(0, list.top) - 0.5 && r.bottom <= bottom + 0.5;
    }).length;
  });
}

describe('the Dataset tab at 1024×700', () => {
  it('keeps the note to a line, a reviewed scene with problems readable, its controls in the column, and says when a search finds nothing', async () => {
    const { page, serve, shot } = session;
    await page.goto(serve.url);
    const character = await pageInvoke<{ id: CharacterId }>(page, 'characters/create', {
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      era: '1770–1827',
      notes: NOTES,
    });
    seed(character.id);
    // A writer's profile too: the header's figures (chunks, words, scenes) stay on one line.
    await pageInvoke(page, 'profiles/import', {
      characterId: character.id,
      title: 'Letters',
      text: Array.from({ length: 12 }, (_, i) => `Letter ${i + 1} to Wegeler, on the Bonn years.`).join('\n\n'),
    });
    await pageInvoke(page, 'review/set', { characterId: character.id, ids: ['scene-0'], status: 'accepted' });
    await page.reload();
    await page.getByRole('tab', { name: 'Dataset' }).click();
    await expect.poll(() => page.getByTestId('scene-count').textContent()).toBe('1,000 scenes');
    // The character's note takes one line here (the whole in its tooltip), so the list keeps the room.
    const notes = page.locator('.character-header .notes');
    expect((await notes.boundingBox())!.height).toBeLessThan(30);
    expect(await notes.getAttribute('title')).toBe(NOTES);
    const subtitle = (await page.locator('.character-header .subtitle').boundingBox())!;
    expect(subtitle.height).toBeLessThan(30);
    expect(await page.getByTestId('character-figures').textContent()).toMatch(/ chunks · .* words · 1,000 scenes$/);
    // The list has the height: at least six whole rows in the window without scrolling the page
    // (filters and review tools above it used to leave about two).
    expect(await wholeRowsInView(page)).toBeGreaterThanOrEqual(6);
    expect(await page.evaluate(() => document.scrollingElement!.scrollTop)).toBe(0);

    // The first row has both badges, "accepted" and "1 problem": its type is still whole.
    const first = page.getByTestId('scene-item').first();
    expect(await first.getByTestId('review-badge').textContent()).toBe('accepted');
    expect(await first.locator('.badge.problem').textContent()).toBe('1 problem');
    const type = first.locator('.scene-type');
    expect(await type.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    // The badges stay inside the row's text box (the list places rows without measuring them).
    const inside = await first.evaluate((item) => {
      const bottom = item.getBoundingClientRect().bottom - parseFloat(getComputedStyle(item).paddingBottom);
      return [...item.querySelectorAll('.badge')].every((b) => b.getBoundingClientRect().bottom <= bottom + 0.5);
    });
    expect(inside).toBe(true);

    // The filters and the review bar fold into one toggle; open, every control stays in the column
    // and the list still shows rows.
    const toggle = page.getByRole('button', { name: /^Filters/ });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByRole('toolbar', { name: 'Review' }).count()).toBe(0);
    await toggle.click();
    await page.getByLabel('Review status').waitFor();
    expect(await page.getByRole('toolbar', { name: 'Review' }).count()).toBe(1);
    expect(await outsideColumn(page)).toEqual([]);
    expect(await wholeRowsInView(page)).toBeGreaterThanOrEqual(2);
    await shot('dataset-layout-01-review-1024');
    // A filter on is counted on the folded toggle, so it is never hidden unannounced.
    await page.getByRole('radio', { name: 'Normal' }).click();
    await toggle.click();
    await expect.poll(() => toggle.textContent()).toMatch(/^Filters · 1/);
    // Ticking a row brings the review bar back with the filters folded.
    await page.getByLabel('Select scene 1', { exact: true }).click();
    await page.getByRole('toolbar', { name: 'Review' }).waitFor();
    await page.getByLabel('Select scene 1', { exact: true }).click();

    // A scene with no LLM call on record: Provenance is off and says why.
    await first.click();
    const provenance = page.locator('.scene-pane').getByRole('button', { name: 'Provenance' });
    expect(await provenance.isDisabled()).toBe(true);
    expect(await provenance.getAttribute('title')).toMatch(/^No LLM call on record/);

    // Nothing found: the column says so in view, not below an empty list of its full height.
    await page.getByLabel('Search scenes').fill('telephone');
    await expect.poll(() => page.getByTestId('scene-count').textContent()).toBe('0 scenes');
    const none = page.locator('.scene-column').getByText('No scene has “telephone”.');
    await none.waitFor();
    const box = (await none.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(700);
    await shot('dataset-layout-02-nothing-found');

    // On the Profile tab the note is read in full.
    await page.getByRole('tab', { name: 'Profile' }).click();
    await expect.poll(async () => (await notes.boundingBox())!.height).toBeGreaterThan(60);
  }, 60_000);
});
