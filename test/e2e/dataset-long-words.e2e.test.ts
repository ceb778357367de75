import { describe, expect, it } from 'vitest';
import type { CharacterId } from '../../common/contract';
import { pageInvoke, useServePage } from '../support/serve-page';

// Text without spaces (a pasted URL in a turn, a long name among the People) used to run out of
// the reading pane at 1024×700; it wraps inside it now.

const session = useServePage('cs-e2e-dataset-long-words-', { width: 1024, height: 700 });

const URL = `https://example.org/archive/${'beethoven-letters-'.repeat(22)}end`;
const PERSON = `Neefe${'-the-court-organist'.repeat(5)}`;

describe('the Dataset tab reading a scene with long words', () => {
  it('keeps a 420-character URL and a 100-character name inside the reading pane', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    const character = await pageInvoke<{ id: CharacterId }>(page, 'characters/create', {
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      era: '1770–1827',
      notes: '',
    });
    await pageInvoke(page, 'scenes/create', {
      characterId: character.id,
      doc: {
        type: 'Lesson',
        location: 'Bonn',
        time: '1783',
        background: 'Neefe shows the boy a letter.',
        people: [PERSON],
        experienceBackground: '',
        turns: [
          { speaker: PERSON, kind: 'speaking', text: `Read this: ${URL}` },
          { speaker: 'Beethoven', kind: 'speaking', text: 'I will.' },
        ],
      },
    });
    await page.reload();
    await page.getByRole('tab', { name: 'Dataset' }).click();
    await page.getByTestId('scene-item').first().click();
    const detail = page.locator('.scene-detail');
    await expect.poll(() => detail.textContent()).toContain(URL.slice(-40));
    const outside = await detail.evaluate((pane) => {
      const right = pane.getBoundingClientRect().right;
      return [...pane.querySelectorAll<HTMLElement>('p, li, div, span')]
        .filter((el) => el.getBoundingClientRect().right > right + 0.5)
        .map((el) => `${el.className || el.tagName}: ${(el.textContent ?? '').slice(0, 30)}`);
    });
    expect(outside).toEqual([]);
    expect(await detail.evaluate((pane) => pane.scrollWidth <= pane.clientWidth)).toBe(true);
  });
});
