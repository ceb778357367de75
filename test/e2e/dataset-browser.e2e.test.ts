import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CharacterId, SceneDoc, Turn } from '../../common/contract';
import { writeExperience } from '../../main/store/scene-figures';
import type { Page } from 'playwright-core';
import { pageInvoke, useServePage } from '../support/serve-page';

// The dataset browser in Chromium against `serve`, at the smallest window the studio supports
// (1024×700) and a wide one: a virtualized list that loads keyset pages as it scrolls, search with
// marked words (in the list, the reader and the editor), filters with counts, the keyboard (j/k,
// arrows, Enter), and a scene of 10,000 turns edited near its end.

const session = useServePage('cs-e2e-browser-', { width: 1024, height: 700 });

const SCENES = 400;
const LONG_TURNS = 10_000;

/**
 * Writes the dataset straight into the studio's database (serve has it open too: WAL), scenes as a
 * job writes them and experiences through the store's one write path (figures, search index).
 */
function seed(characterId: CharacterId): void {
  const db = new Database(path.join(session.data.dir, 'studio.sqlite'));
  const scene = db.prepare(
    `INSERT INTO scenes (id, character_id, item_id, ordinal, protective, limit_text, type, location, time, background,
       people, prompt_version, created_at)
     VALUES (?, ?, ?, 0, ?, ?, 'Lesson', ?, '1783', 'Neefe hears the boy play.', '["Neefe"]', 'builtin@1', ?)`,
  );
  const add = (i: number, turns: Turn[]) => {
    const id = `scene-${i}`;
    const protective = i % 10 === 9;
    scene.run(
      id,
      characterId,
      id,
      protective ? 1 : 0,
      protective ? 'The telephone' : null,
      `Bonn, room ${i}`,
      1_000 + i,
    );
    writeExperience(
      db,
      id,
      { background: '', turns, callId: null, promptVersion: 'builtin@1', problems: [] },
      1_000 + i,
    );
  };
  db.transaction(() => {
    for (let i = 0; i < SCENES; i++) {
      add(i, [
        { speaker: 'Neefe', kind: 'speaking', text: `Play scene ${i} again, slower.` },
        {
          speaker: i % 7 === 0 ? 'Mozart' : 'Beethoven',
          kind: 'speaking',
          text: i % 50 === 0 ? 'The Kapellmeister is asleep in the loft.' : 'I hear every dragging note.',
        },
      ]);
    }
    add(
      SCENES,
      Array.from({ length: LONG_TURNS }, (_, t) => ({
        speaker: t % 2 === 0 ? 'Neefe' : 'Beethoven',
        kind: 'speaking' as const,
        text: `Line ${t + 1} of the longest lesson.`,
      })),
    );
  })();
  db.close();
}

/**
 * What is wrong with the list's rows on screen: a row whose content does not fit its box (a line
 * clipped or pushed out), or that is not the height its lines make. Rows are placed from their
 * scene's lines (row-height.ts), never measured, so each must be exactly that tall.
 */
async function rowMisfits(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.scene-row')].flatMap((row) => {
      const name = row.querySelector('.scene-number')?.textContent ?? '?';
      const box = row.getBoundingClientRect();
      const item = row.querySelector<HTMLElement>('.scene-item')!;
      const inner = item.getBoundingClientRect().bottom - parseFloat(getComputedStyle(item).paddingBottom) - 1;
      const lines = [...row.querySelectorAll<HTMLElement>('.scene-summary > *')];
      const out = lines.flatMap((line) => {
        const at = line.getBoundingClientRect();
        if (at.bottom > inner + 0.5) return [`row ${name}: ${line.className} ends below the row's text`];
        if (line.scrollHeight > line.clientHeight + 1) return [`row ${name}: ${line.className} is cut`];
        return [];
      });
      // frame + title + where, and the optional lines present (see ROW_LINES).
      const heights: Record<string, number> = { 'scene-people': 19, 'scene-snippet': 38, 'scene-review': 21 };
      const expected = 59 + lines.reduce((n, l) => n + (heights[l.className] ?? 0), 0);
      if (Math.abs(box.height - expected) > 0.5) out.push(`row ${name}: ${box.height}px, its lines need ${expected}px`);
      return out;
    }),
  );
}

describe('dataset browser in a browser', () => {
  it('scrolls, searches with marks, filters with counts, moves by keyboard and edits a 10,000-turn scene', async () => {
    const { page, serve, shot } = session;
    await page.goto(serve.url);
    const character = await pageInvoke<{ id: CharacterId }>(page, 'characters/create', {
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      era: '',
      notes: '',
    });
    seed(character.id);
    // Rated and tagged: its row has the review line too (and the search's snippet, below).
    await pageInvoke(page, 'review/set', {
      characterId: character.id,
      ids: ['scene-1', 'scene-50'],
      rating: 4,
      addTags: ['keep', 'slow'],
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Dataset' }).click();
    const count = page.getByTestId('scene-count');
    await expect.poll(() => count.textContent()).toBe(`${SCENES + 1} scenes`);
    const rows = page.getByTestId('scene-item');
    const list = page.getByTestId('scene-list');
    await rows.first().waitFor();
    // Virtualized: only the rows in view (and a few either side) are in the DOM.
    expect(await rows.count()).toBeLessThan(40);
    await shot('browser-00-list-1024');
    // Every row's place is known before it is shown: scrolling through the loaded rows never
    // resizes the list (no row measured and moved after it appears), and each row's lines fit it.
    const scrollHeight = () => list.evaluate((el) => el.scrollHeight);
    const loadedHeight = await scrollHeight();
    for (const top of [700, 1_400, 2_100, 700, 0]) {
      await list.evaluate((el, y) => el.scrollTo(0, y), top);
      await page.getByLabel(`Select scene ${Math.floor(top / 78) + 2}`, { exact: true }).waitFor();
      expect(await scrollHeight()).toBe(loadedHeight);
      expect(await rowMisfits(page)).toEqual([]);
    }

    // Scrolling to the end loads the following keyset pages until the last scene.
    await expect
      .poll(async () => {
        await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
        return page.getByLabel(`Select scene ${SCENES + 1}`, { exact: true }).count();
      })
      .toBe(1);
    expect(await rows.count()).toBeLessThan(40);

    // Search: the count follows, and each row shows where the words are, marked.
    const search = page.getByLabel('Search scenes');
    await search.fill('kapellmeister');
    await expect.poll(() => count.textContent()).toBe('8 scenes');
    const snippets = page.getByTestId('scene-snippet');
    await expect.poll(() => snippets.count()).toBe(8);
    expect(await snippets.first().locator('mark').allTextContents()).toEqual(['Kapellmeister']);
    expect(await rowMisfits(page)).toEqual([]);
    await shot('browser-01-search');

    // j/k and the arrows move the selection; the reader marks the words; Enter opens the editor.
    await rows.first().click();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.locator('.scene-item[aria-current="true"] .scene-number').textContent()).toBe('2');
    const detail = page.getByRole('article', { name: 'Scene detail' });
    await expect.poll(() => detail.locator('mark').allTextContents()).toEqual(['Kapellmeister']);
    await expect.poll(() => detail.textContent()).toContain('Bonn, room 50');
    await page.keyboard.press('Enter');
    const editor = page.getByRole('dialog', { name: 'Scene editor' });
    await expect
      .poll(() => editor.getByTestId('turn-marks').locator('mark').allTextContents())
      .toEqual(['Kapellmeister']);
    await editor.getByText('is in 1 turn').waitFor();
    await shot('browser-02-editor-marks');
    await editor.getByRole('button', { name: 'Close' }).click();
    // A word the scene has only outside its turns (its location): the editor says so, not "in 0 turns".
    await search.fill('room');
    await expect.poll(() => snippets.first().locator('mark').allTextContents()).toEqual(['room']);
    await rows.first().click();
    await page.keyboard.press('Enter');
    await editor.getByText('No turn contains “room”; the scene matched it elsewhere.').waitFor();
    await editor.getByRole('button', { name: 'Close' }).click();

    // What a person types is words, never FTS syntax: no error, just what matches.
    for (const text of ['"unbalanced', 'NEAR( * : -', 'AND OR']) {
      await search.fill(text);
      await expect.poll(() => count.textContent()).toMatch(/^\d+ scenes?$/);
      expect(await page.locator('.scene-column .form-error').count()).toBe(0);
    }
    await search.fill('');

    // Filters with counts (folded under their toggle): kind, then a speaker under it.
    await page.getByRole('button', { name: /^Filters/ }).click();
    await page.getByRole('radio', { name: 'Protective' }).click();
    await expect.poll(() => count.textContent()).toBe('40 scenes');
    await page.locator('.more-filters summary').click();
    const speaker = page.getByLabel('Speaker');
    await expect.poll(() => speaker.locator('option', { hasText: 'Mozart' }).textContent()).toBe('Mozart (6)');
    await speaker.selectOption('Mozart');
    await expect.poll(() => count.textContent()).toBe('6 scenes');
    await shot('browser-03-filters');
    await page.getByRole('button', { name: 'clear' }).click();
    await page.getByRole('radio', { name: 'All', exact: true }).click();
    await expect.poll(() => count.textContent()).toBe(`${SCENES + 1} scenes`);

    // The 10,000-turn scene, first by length: open it by keyboard and edit a turn near its end.
    await page.getByLabel('Sort').selectOption('turns');
    await expect.poll(() => rows.first().textContent()).toContain(`${SCENES}`);
    await rows.first().click();
    await page.keyboard.press('Enter');
    await editor.getByLabel('Turn 1 text').waitFor();
    expect(await editor.locator('textarea[aria-label$=" text"]').count()).toBeLessThan(60);
    const turns = editor.locator('.editor-turns');
    const near = editor.getByLabel(`Turn ${LONG_TURNS - 1} text`);
    await expect
      .poll(async () => {
        await turns.evaluate((el) => el.scrollTo(0, el.scrollHeight));
        return near.count();
      })
      .toBe(1);
    await near.fill('Line 9999, played at last as written.');
    await near.press('Control+s');
    await editor.getByRole('status').filter({ hasText: 'Saved as revision' }).waitFor();
    const saved = await pageInvoke<{ doc: SceneDoc }>(page, 'scenes/open', { id: `scene-${SCENES}` });
    expect(saved.doc.turns).toHaveLength(LONG_TURNS);
    expect(saved.doc.turns[LONG_TURNS - 2]!.text).toBe('Line 9999, played at last as written.');
    expect(saved.doc.turns[LONG_TURNS - 1]!.text).toBe(`Line ${LONG_TURNS} of the longest lesson.`);
    await shot('browser-04-long-scene');
    await editor.getByRole('button', { name: 'Close' }).click();

    // A wide window shows the same list with more room.
    await page.setViewportSize({ width: 1600, height: 1000 });
    await rows.first().waitFor();
    await shot('browser-05-wide');
  }, 120_000);
});
