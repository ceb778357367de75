import { describe, expect, it } from 'vitest';
import { pageInvoke, useServePage } from '../support/serve-page';

/**
 * Acting on the open scene in Chromium against `serve`, at the smallest supported window
 * (1024×700), on the sample character's ten scenes: Duplicate and Delete from the reading pane and
 * from the editor (the list reads on at the next scene), and closing the editor with unsaved edits.
 */

const session = useServePage('cs-e2e-scene-actions-', { width: 1024, height: 700 });
const { shot } = session;

const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

async function openSampleDataset(): Promise<void> {
  const page = session.page;
  await page.goto(session.serve.url);
  await api('samples/load', { id: 'mary-anning' });
  await page.reload();
  await page.getByRole('heading', { name: 'Mary Anning', level: 1 }).waitFor();
  await page.getByRole('tab', { name: 'Dataset' }).click();
  await expect.poll(() => page.getByTestId('scene-item').count()).toBe(10);
}

describe('the open scene’s actions', () => {
  it('duplicates a scene into the editor and deletes scenes from the reading pane and the editor', async () => {
    const page = session.page;
    await openSampleDataset();
    const rows = page.getByTestId('scene-item');
    const pane = page.getByRole('article', { name: 'Scene detail' });
    const editor = page.getByRole('dialog', { name: 'Scene editor' });
    const count = page.getByTestId('scene-count');

    // Duplicate from the pane: the copy opens in the editor, says what it is, and is in the list.
    await rows.nth(1).click();
    await pane.getByRole('heading', { name: 'Trade' }).waitFor();
    await pane.getByRole('button', { name: 'More actions' }).click();
    await shot('scene-actions-00-menu');
    await pane.getByRole('menuitem', { name: 'Duplicate' }).click();
    await editor.getByRole('status').filter({ hasText: 'A copy of “Trade”' }).waitFor();
    expect(await editor.getByLabel('Type', { exact: true }).inputValue()).toBe('Trade');
    await expect.poll(() => count.innerText()).toBe('11 scenes');
    // A variant: the copy's place changes; the original keeps its own.
    await editor.getByLabel('Location').fill('Bridge Street, in the rain');
    await editor.getByLabel('Location').press('Control+s');
    await editor.getByRole('status').filter({ hasText: 'Saved as revision 2.' }).waitFor();
    await editor.getByRole('button', { name: 'Close' }).click();
    await pane.getByText('Bridge Street, in the rain').waitFor();
    await expect.poll(() => rows.nth(10).getAttribute('aria-current')).toBe('true');
    expect(await rows.nth(1).innerText()).toContain("The Annings' curiosity table, Bridge Street");

    // Delete from the pane: the question names the scene; Cancel keeps it, Delete scene deletes it.
    await rows.nth(2).click();
    await pane.getByRole('heading', { name: 'Hardship' }).waitFor();
    await pane.getByRole('button', { name: 'More actions' }).click();
    await pane.getByRole('menuitem', { name: 'Delete…' }).click();
    const question = page.getByRole('dialog', { name: 'Delete this scene?' });
    await question.getByText('“Hardship” (The Anning shop, Lyme Regis)').waitFor();
    await shot('scene-actions-01-delete-question');
    await question.getByRole('button', { name: 'Cancel' }).click();
    await question.waitFor({ state: 'detached' });
    expect(await count.innerText()).toBe('11 scenes');
    await pane.getByRole('button', { name: 'More actions' }).click();
    await pane.getByRole('menuitem', { name: 'Delete…' }).click();
    await question.getByRole('button', { name: 'Delete scene' }).click();
    await expect.poll(() => count.innerText()).toBe('10 scenes');
    // The scene after it is read in its place.
    await pane.getByRole('heading', { name: 'Discovery' }).waitFor();
    await pane.getByText('The cliffs at Lyme Regis, at low tide').waitFor();
    expect(await rows.nth(2).getAttribute('aria-current')).toBe('true');
    expect(await page.getByRole('list', { name: 'Scenes found' }).innerText()).not.toContain('Hardship');

    // Delete from the editor, with an edit not saved: the question says it goes too.
    await rows.nth(2).dblclick();
    await editor.getByLabel('Time').fill('1812, low tide');
    await editor.getByRole('button', { name: 'More actions' }).click();
    await editor.getByRole('menuitem', { name: 'Delete…' }).click();
    await question.getByText('The edits you have not saved in the editor go with it.').waitFor();
    await question.getByRole('button', { name: 'Delete scene' }).click();
    await editor.waitFor({ state: 'detached' });
    await expect.poll(() => count.innerText()).toBe('9 scenes');
    await pane.getByRole('heading', { name: 'Recognition' }).waitFor();
    await expect.poll(() => page.getByLabel('Dataset totals').innerText()).toMatch(/^Scenes\s+9\s/);
    await shot('scene-actions-02-after-delete');
  });

  it('asks before Esc or Close drops unsaved edits, and leaves Esc in the question to the question', async () => {
    const page = session.page;
    await openSampleDataset();
    const editor = page.getByRole('dialog', { name: 'Scene editor' });
    await page.getByTestId('scene-item').first().dblclick();
    await editor.getByLabel('Time').fill('Winter 1811');
    await editor.getByLabel('Time').press('Escape');
    const question = page.getByRole('dialog', { name: 'Close with unsaved edits?' });
    await question.getByText('has edits you have not saved').waitFor();
    await shot('scene-actions-03-unsaved-question');
    // Esc in the question is Keep editing, never the editor's Close.
    await page.keyboard.press('Escape');
    await question.waitFor({ state: 'detached' });
    expect(await editor.getByLabel('Time').inputValue()).toBe('Winter 1811');

    await editor.getByRole('button', { name: 'Close' }).click();
    await question.getByRole('button', { name: 'Save and close' }).click();
    await editor.waitFor({ state: 'detached' });
    await page
      .getByRole('article', { name: 'Scene detail' })
      .getByText('The beach below Black Ven, Lyme Regis · Winter 1811', { exact: true })
      .waitFor();

    await page.getByTestId('scene-item').first().dblclick();
    await editor.getByLabel('Time').fill('1812');
    await editor.getByRole('button', { name: 'Close' }).click();
    await question.getByRole('button', { name: 'Discard edits' }).click();
    await editor.waitFor({ state: 'detached' });
    const [scene] = (
      await api<{ scenes: { id: string }[] }>('scenes/list', {
        characterId: (await api<{ id: string }[]>('characters/list', {}))[0]!.id,
        limit: 1,
      })
    ).scenes;
    expect((await api<{ doc: { time: string } }>('scenes/open', { id: scene!.id })).doc.time).toBe('Winter 1811');
  });
});
