import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTrainingStage, type TrainingStage } from '../support/training-stage';
import { lessonDoc as doc } from '../unit/trainer/fixtures';

/**
 * The training preview in Chromium against `serve` at 1024×700, with the real trainer in .venv and
 * the tiny local model: a scene from the Dataset tab's detail in the chat format, then from the
 * editor (shown at once, as asked in the detail) in the paper's format with a max length that cuts it.
 */

let stage: TrainingStage;
beforeAll(async () => {
  stage = await openTrainingStage('preview', { viewport: { width: 1024, height: 700 } });
}, 120_000);
afterAll(async () => {
  await stage?.close();
});

const shot = (name: string) => stage.page.screenshot({ path: `test-output/screenshots/${name}.png` });

describe('the training preview', { timeout: 240_000 }, () => {
  it('shows a scene token by token in both formats, with the trained tokens and the cut', async () => {
    const { page, invoke } = stage;
    const character = await invoke('characters/create', {
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      era: '',
      notes: '',
    });
    await invoke('scenes/create', { characterId: character.id, doc });
    await page.goto(stage.serve.url);
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Dataset' }).click();
    await page.getByTestId('scene-item').first().click();
    const detail = page.getByRole('article', { name: 'Scene detail' });
    await detail.getByRole('button', { name: 'Training preview' }).click();

    // Chat format, from the detail: the character's turns carry loss, Neefe's do not.
    const panel = detail.getByRole('region', { name: 'Training preview' });
    await panel.getByLabel('Base model').fill(stage.model);
    await panel.getByLabel('Format').selectOption('chat');
    await panel.getByLabel('Max length', { exact: true }).fill('512');
    await panel.getByRole('button', { name: 'Show' }).click();
    const counts = panel.getByLabel('Preview counts');
    await counts.waitFor({ timeout: 120_000 });
    expect(await counts.innerText()).toMatch(/\d+ tokens · \d+ trained · fits in 512/);
    const trained = await panel.locator('.preview-tokens .tok.trained').allInnerTexts();
    expect(trained.join('')).toContain('Good·morning,·Herr·Neefe.↵I·have·brought·the·variations.');
    expect(trained.join('')).not.toContain('Neefe:');
    const context = await panel.locator('.preview-tokens .tok:not(.trained)').allInnerTexts();
    expect(context.join('')).toContain('Neefe:·Play·it·again,·slower·this·time.');
    await expect.poll(() => panel.getByRole('separator').count()).toBe(0);
    await panel.getByLabel('Tokens').scrollIntoViewIfNeeded();
    await shot('training-preview-01-detail-chat');

    // The paper's format with a max length that cuts it, from the editor (the settings carry over).
    await page.getByTestId('scene-item').first().dblclick();
    const editor = page.getByRole('dialog', { name: 'Scene editor' });
    await editor.getByRole('button', { name: 'Training preview' }).click();
    const inEditor = editor.getByRole('region', { name: 'Training preview' });
    await expect.poll(() => inEditor.getByLabel('Base model').inputValue()).toBe(stage.model);
    // Shown once for this character, the preview shows at once wherever it opens next, as it was asked.
    await expect
      .poll(() => inEditor.getByLabel('Preview counts').innerText(), { timeout: 120_000 })
      .toMatch(/fits in 512 · revision 1 · chat/);
    await inEditor.getByLabel('Format').selectOption('character-llm');
    await inEditor.getByLabel('Max length', { exact: true }).fill('140');
    await inEditor.getByRole('button', { name: 'Show' }).click();
    const cut = inEditor.getByRole('separator', { name: 'cut here by max length 140' });
    await cut.waitFor({ timeout: 120_000 });
    expect(await inEditor.getByLabel('Preview counts').innerText()).toMatch(
      /cut at 140: \d+ tokens are not trained on/,
    );
    const paperTrained = (await inEditor.locator('.preview-tokens .tok.trained').allInnerTexts()).join('');
    expect(paperTrained).toMatch(/^Neefe·\(speaking\):/); // the paper trains on every turn after the prompt
    expect(await inEditor.locator('.preview-tokens .tok.beyond').count()).toBeGreaterThan(0);
    await cut.scrollIntoViewIfNeeded();
    await shot('training-preview-02-editor-character-llm-cut');

    // The whole scene: it ends with the EOS the format appends, trained.
    await inEditor.getByLabel('Max length', { exact: true }).fill('2048');
    await inEditor.getByRole('button', { name: 'Show' }).click();
    await expect
      .poll(() => inEditor.getByLabel('Preview counts').innerText(), { timeout: 120_000 })
      .toMatch(/fits in 2,048/);
    const last = inEditor.locator('.preview-tokens .tok').last();
    expect(await last.innerText()).toBe('</s>');
    expect((await last.getAttribute('class'))?.split(' ')).toEqual(expect.arrayContaining(['trained', 'added']));
    await shot('training-preview-03-editor-full');

    // An unsaved edit is not in the preview, and the panel says so.
    await editor.getByRole('button', { name: 'Training preview' }).click();
    await editor.getByLabel('Location').fill('Bonn, the organ loft');
    await editor.getByRole('button', { name: 'Training preview' }).click();
    await inEditor.getByRole('status').filter({ hasText: 'Unsaved edits are not in the preview' }).waitFor();
  });
});
