import type { Page } from 'playwright-core';
import type { CharacterId } from '../../common/contract';
import { describe, expect, it } from 'vitest';
import { clippedSelects } from '../support/browser';
import { startFakeLlmServer } from '../support/fake-llm-server';
import { pageInvoke, useServePage } from '../support/serve-page';

// Forms at the smallest window the studio supports (1024×700): fields side by side line up,
// whether they are text inputs or selects, and a label says "(optional)" on its own line.

const session = useServePage('cs-e2e-form-layout-', { width: 1024, height: 700 });

async function createBeethoven(page: Page): Promise<CharacterId> {
  const { id } = await pageInvoke<{ id: CharacterId }>(page, 'characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '1770–1827',
    notes: '',
  });
  await page.reload();
  return id;
}

describe('the Judge form', () => {
  it('lines up its provider, model, interviews and retries fields', async () => {
    const { page, serve, shot } = session;
    await page.goto(serve.url);
    await createBeethoven(page);
    await page.getByRole('tab', { name: 'Evaluate' }).click();
    await page.getByRole('button', { name: 'Judge', exact: true }).click();
    const row = page.locator('.eval-judge .judge-fields');
    await row.locator('select').first().waitFor();
    // Each field's label top and control top, bottom and height, in CSS pixels.
    const fields = await row.evaluate((el) =>
      [...el.querySelectorAll(':scope > .field')].map((field) => {
        const label = field.firstElementChild!.getBoundingClientRect();
        const control = field.querySelector('input, select')!.getBoundingClientRect();
        return { label: label.top, top: control.top, bottom: control.bottom };
      }),
    );
    expect(fields.length).toBe(5);
    for (const f of fields) {
      expect(Math.abs(f.label - fields[0]!.label)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(f.top - fields[0]!.top)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(f.bottom - fields[0]!.bottom)).toBeLessThanOrEqual(0.5);
    }
    await shot('eval-layout-01-judge-1024');
  }, 60_000);
});

describe('the profile dialogs', () => {
  it('keep "(optional)" on the line of the label it qualifies', async () => {
    const { page, serve, shot } = session;
    await page.goto(serve.url);
    await createBeethoven(page);
    for (const [button, dialog] of [
      ['+ Add profile', 'Add a profile'],
      ['From Wikipedia…', 'A profile from Wikipedia'],
    ] as const) {
      await page.getByRole('button', { name: button }).click();
      const form = page.getByRole('dialog', { name: dialog });
      const optional = form.locator('label', { hasText: 'Title' }).locator('.optional');
      await optional.waitFor();
      // The label's first line holds both the word and the note (a 21 px line of text).
      const [word, note] = await optional.evaluate((el) => {
        const range = document.createRange();
        range.selectNodeContents(el.parentElement!.firstChild!);
        return [range.getBoundingClientRect().top, el.getBoundingClientRect().top];
      });
      expect(Math.abs(note - word)).toBeLessThan(4);
      await shot(`form-layout-02-${dialog.toLowerCase().replace(/\W+/g, '-')}`);
      await page.keyboard.press('Escape');
      await form.waitFor({ state: 'detached' });
    }
  }, 60_000);
});

describe('the Settings dialog', () => {
  it('shows the provider just added, not the section the tall form left the scroll on', async () => {
    const { page, serve, shot } = session;
    const llm = await startFakeLlmServer({ apiKey: null, models: ['fake-model'] });
    try {
      await page.goto(serve.url);
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      const settings = page.getByRole('dialog', { name: 'Settings' });
      await settings.getByRole('button', { name: '+ Add provider' }).click();
      const form = settings.getByRole('form', { name: 'New provider' });
      await form.getByLabel('Preset').selectOption({ label: 'Custom (OpenAI-compatible)' });
      await form.getByLabel(/^Base URL/).fill(llm.baseURL);
      await form.getByLabel(/^Model/).fill('fake-model');
      await form.getByLabel(/^Name/).fill('Fake GPT');
      // At 1024×700 the form is taller than the dialog: its button is reached by scrolling down.
      await form.getByRole('button', { name: 'Add provider' }).click();
      const card = settings.getByRole('listitem', { name: 'Provider Fake GPT' });
      await card.waitFor();
      // The dialog's body scrolls below its title: what shows of the providers lies within the body's box.
      const body = (await settings.locator('.settings').boundingBox())!;
      const view = { top: body.y, bottom: body.y + body.height };
      await expect
        .poll(async () => {
          const at = (await card.boundingBox())!;
          return at.y >= view.top - 0.5 && at.y + at.height <= view.bottom + 0.5;
        })
        .toBe(true);
      const heading = (await settings.getByRole('heading', { name: 'Providers' }).boundingBox())!;
      expect(heading.y).toBeGreaterThanOrEqual(view.top - 0.5);
      await shot('form-layout-03-provider-added');
    } finally {
      await llm.close();
    }
  }, 60_000);
});

describe('the question set editor', () => {
  it('shows the whole name of the set beside or above its version, and each question across the editor', async () => {
    const { page, serve, shot } = session;
    await page.goto(serve.url);
    const characterId = await createBeethoven(page);
    await pageInvoke(page, 'eval/questions/create', {
      characterId,
      name: 'Questions from the Bonn years',
      questions: [{ topicId: 'topic-2', text: 'What do you think of your father?', mode: 'single' }],
    });
    await page.getByRole('tab', { name: 'Evaluate' }).click();
    const name = page.getByLabel('Set name');
    await expect.poll(() => name.inputValue()).toBe('Questions from the Bonn years');
    expect(await name.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    // The question reads across the editor: its topic, kind and buttons go under it when the editor
    // is narrow (they left it a letter wide, one letter a line, at 1024 px).
    const question = page.getByLabel('Question 1', { exact: true });
    const editor = (await page.locator('.eval-set-editor').boundingBox())!;
    expect((await question.boundingBox())!.width).toBeGreaterThan(editor.width * 0.6);
    expect((await question.boundingBox())!.height).toBeLessThan(60);
    expect(await page.getByLabel('Topic of question 1').isVisible()).toBe(true);
    // Its menus show their whole choice: the topic, the kind and the version with its date (the
    // topic read "Interpersonal relationsh", the version lost its date).
    expect(await page.getByLabel('Topic of question 1').inputValue()).toBe('topic-2');
    expect(await clippedSelects(page, '.eval-set-editor')).toEqual([]);
    // Its count in the list of sets is said right: "1 question".
    expect(await page.getByRole('button', { name: /^Questions from the Bonn years/ }).innerText()).toMatch(
      /\b1 question\b(?!s)/,
    );
    await shot('form-layout-04-question-set');
  }, 60_000);
});
