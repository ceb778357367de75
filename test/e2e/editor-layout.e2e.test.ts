import { describe, expect, it } from 'vitest';
import { pageInvoke, useServePage } from '../support/serve-page';

// The scene editor at the smallest window the studio supports (1024×700) and at 1360×860, with its
// History open beside the turns: every turn, and the backgrounds, are read whole in their boxes (the
// rows guessed from a turn's length hid its end once History narrowed the column; a background's
// fixed four lines cut the fifth in half), and an imported scene's long file path wraps
// inside its revision's card instead of running past it.

const session = useServePage('cs-e2e-editor-layout-', { width: 1024, height: 700 });

describe('the scene editor with its History', () => {
  it('shows every turn and background whole and keeps each revision inside its card, at both sizes', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    const [sample] = await pageInvoke<{ id: string }[]>(page, 'samples/list', {});
    await pageInvoke(page, 'samples/load', { id: sample!.id });
    for (const [width, height] of [
      [1024, 700],
      [1360, 860],
    ] as const) {
      await page.setViewportSize({ width, height });
      await page.reload();
      await page.getByRole('tab', { name: 'Dataset' }).click();
      await page.getByTestId('scene-item').first().dblclick();
      const editor = page.getByRole('dialog', { name: 'Scene editor' });
      await editor.getByLabel('Turn 1 text').waitFor();
      await editor.getByRole('button', { name: 'History' }).click();
      const history = editor.getByRole('region', { name: 'History' });
      await history.locator('.revision').first().waitFor();
      await session.shot(`editor-layout-history-${width}`);
      const where = `${width}×${height}`;

      const hidden = await editor
        .locator('.edit-turn textarea, .editor-field textarea')
        .evaluateAll((boxes) =>
          boxes.filter((b) => b.scrollHeight > b.clientHeight + 1).map((b) => (b as HTMLTextAreaElement).value),
        );
      expect(hidden, where).toEqual([]);
      const spilling = await history
        .locator('.revision')
        .evaluateAll((cards) =>
          cards.filter((card) => card.scrollWidth > card.clientWidth + 1).map((card) => card.textContent),
        );
      expect(spilling, where).toEqual([]);
      await editor.getByRole('button', { name: 'Close' }).click();
      await editor.waitFor({ state: 'detached' });
    }
  });
});
