import { describe, expect, it } from 'vitest';
import type { SceneDoc } from '../../common/contract';
import { pageInvoke, useServePage } from '../support/serve-page';

/**
 * The scene editor in Chromium against `serve`, at the smallest supported window (1024×700): a
 * scene written by hand, edited field and turn, undo/redo from the keyboard, split at the cursor,
 * saved as revisions, the word diff in History, a restore, and a conflict with a second window
 * (compared, and kept over the other window's revision, which stays in History).
 */

const session = useServePage('cs-e2e-editor-', { width: 1024, height: 700 });
const { shot } = session;

/** Calls the studio as the page does (see pageInvoke). */
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

describe('the scene editor', () => {
  it('writes a scene by hand, edits it with undo/redo, diffs and restores revisions, and resolves a stale save', async () => {
    const page = session.page;
    await page.goto(session.serve.url);
    await api('characters/create', { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven', era: '', notes: '' });
    await page.reload();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Dataset' }).click();

    // A scene from nothing, without any LLM.
    await page.getByRole('button', { name: 'Write a scene by hand' }).click();
    const editor = page.getByRole('dialog', { name: 'Scene editor' });
    await editor.getByLabel('Type', { exact: true }).fill('Lesson');
    await editor.getByLabel('Location').fill('Bonn, the court chapel');
    await editor.getByLabel('Time').fill('1783');
    await editor.getByLabel('People').fill('Neefe');
    await editor.getByLabel('Background', { exact: true }).fill('Neefe teaches the boy the fugues of Bach.');
    await editor.getByRole('button', { name: '+ Add a turn' }).click();
    await editor.getByLabel('Turn 1 speaker').fill('Neefe');
    await editor.getByLabel('Turn 1 text').fill('Play it again, slower this time.');
    await editor.getByLabel('Turn 1 text').press('Alt+Enter');
    await editor.getByLabel('Turn 2 speaker').fill('Beethoven');
    await editor.getByLabel('Turn 2 kind').selectOption('thinking');
    await editor.getByLabel('Turn 2 text').fill('He hears every dragging note.');
    await editor.getByLabel('Turn 2 text').press('Control+s');
    await editor.getByRole('status').filter({ hasText: 'Saved as revision 1.' }).waitFor();
    await editor.getByRole('button', { name: 'Close' }).click();
    const items = page.getByTestId('scene-item');
    await expect.poll(() => items.count()).toBe(1);
    await items.first().click();
    await page.getByRole('article', { name: 'Scene detail' }).getByRole('button', { name: 'Edit' }).waitFor();
    await shot('editor-00-dataset-with-hand-written-scene');

    // Edit it: a field and a turn; undo and redo from the keyboard.
    await items.first().dblclick();
    await expect.poll(() => editor.getByLabel('Turn 1 text').inputValue()).toBe('Play it again, slower this time.');
    await expect.poll(() => editor.locator('.editor-revision').innerText()).toBe('revision 1');
    await editor.getByLabel('Location').fill('Bonn, the organ loft');
    const turn1 = editor.getByLabel('Turn 1 text');
    await turn1.click();
    await turn1.press('End');
    await turn1.pressSequentially(' Now!');
    expect(await turn1.inputValue()).toBe('Play it again, slower this time. Now!');
    await turn1.press('Control+z'); // the typing is one step
    expect(await turn1.inputValue()).toBe('Play it again, slower this time.');
    await turn1.press('Control+z');
    expect(await editor.getByLabel('Location').inputValue()).toBe('Bonn, the court chapel');
    await turn1.press('Control+Shift+z');
    await turn1.press('Control+Shift+z');
    expect(await editor.getByLabel('Location').inputValue()).toBe('Bonn, the organ loft');
    expect(await turn1.inputValue()).toBe('Play it again, slower this time. Now!');

    // Split at the cursor, then move the new turn up with the keyboard.
    await turn1.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(15, 15));
    await turn1.press('Control+Enter');
    expect(await editor.getByLabel('Turn 1 text').inputValue()).toBe('Play it again,');
    expect(await editor.getByLabel('Turn 2 text').inputValue()).toBe('slower this time. Now!');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Turn 2 text');
    await editor.getByLabel('Turn 2 text').press('Alt+ArrowUp');
    expect(await editor.getByLabel('Turn 1 text').inputValue()).toBe('slower this time. Now!');
    await editor.getByLabel('Turn 1 text').press('Alt+ArrowDown');
    expect(await editor.getByLabel('Turn 3 text').inputValue()).toBe('He hears every dragging note.');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByRole('status').filter({ hasText: 'Saved as revision 2.' }).waitFor();
    await shot('editor-01-edited-1024x700');

    // History: the word diff against the first revision, then a restore as a new revision.
    await editor.getByRole('button', { name: 'History' }).click();
    const history = editor.getByRole('region', { name: 'History' });
    await history.getByText('Changes from #1 to the current #2').waitFor();
    await expect.poll(() => history.locator('ins').allInnerTexts()).toContain('organ loft');
    expect((await history.locator('del').allInnerTexts()).map((t) => t.trim())).toContain('court chapel');
    expect((await history.locator('ins').allInnerTexts()).join(' ')).toContain('Now!');
    await shot('editor-02-history-diff-1024x700');
    await history.getByRole('button', { name: 'Restore #1' }).click();
    await expect.poll(() => editor.locator('.editor-revision').innerText()).toBe('revision 3');
    expect(await editor.getByLabel('Location').inputValue()).toBe('Bonn, the court chapel');
    expect(await editor.getByLabel('Turn 1 text').inputValue()).toBe('Play it again, slower this time.');
    await history.getByText('(restores #1)').waitFor();

    // A second window saves first: this window's save is refused, its edits kept until it reloads.
    const [summary] = (
      await api<{ scenes: { id: string }[] }>('scenes/list', {
        characterId: (await api<{ id: string }[]>('characters/list', {}))[0]!.id,
        limit: 10,
      })
    ).scenes;
    const other = await api<{ doc: SceneDoc; revision: number }>('scenes/open', { id: summary!.id });
    await api('scenes/save', {
      id: summary!.id,
      baseRevision: other.revision,
      doc: { ...other.doc, time: 'Winter 1783' },
    });
    await editor.getByLabel('Time').fill('1784');
    await editor.getByRole('button', { name: 'Save' }).click();
    const conflict = editor.getByRole('region', { name: 'Save conflict' });
    await conflict
      .getByRole('alert')
      .getByText(/this scene changed while you were editing it/)
      .waitFor();
    expect(await editor.getByLabel('Time').inputValue()).toBe('1784');
    // What the other window changed, then mine kept over it: theirs stays in the history.
    await conflict.getByRole('radio', { name: 'Their changes' }).click();
    await expect.poll(async () => (await conflict.locator('ins').allInnerTexts()).join('')).toContain('Winter');
    await shot('editor-03-conflict-1024x700');
    await conflict.getByRole('button', { name: 'Keep mine' }).click();
    await editor
      .getByRole('status')
      .filter({ hasText: 'Saved as revision 5. Theirs stays in History as revision 4.' })
      .waitFor();
    expect(await editor.getByLabel('Time').inputValue()).toBe('1784');
    await history.getByRole('button', { name: /^#4 Edited by hand/ }).click();
    await history.getByText('Changes from #4 to the current #5').waitFor();
    await expect.poll(() => history.locator('del').allInnerTexts()).toContain('Winter 1783');
  });
});
