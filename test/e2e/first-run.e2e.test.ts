import { describe, expect, it } from 'vitest';
import { startFakeLlmServer } from '../support/fake-llm-server';
import { writeDocx } from '../support/manuscripts';
import { pageInvoke, useServePage } from '../support/serve-page';

/**
 * The first run (issue 13, point 5) in Chromium against `serve`: the welcome page sets up a model
 * with its connection test, loads the sample character in one click, every tab of it opens, in
 * both themes (the header switch, kept across a reload), and a .docx manuscript imports through
 * the profile dialog (point 4's screen face). Screenshots: test-output/screenshots/first-run-*.png.
 */
const session = useServePage('cs-e2e-first-run-');
const { shot } = session;
const theme = () => session.page.evaluate(() => document.documentElement.dataset.theme);

describe('the first run', () => {
  it('connects a model, loads the sample, opens every tab in both themes, and imports a .docx', async () => {
    const llm = await startFakeLlmServer({ apiKey: null, models: ['tiny-instruct'] });
    try {
      const { page } = session;
      await page.emulateMedia({ colorScheme: 'light' });
      await page.goto(session.serve.url);
      const welcome = page.locator('.welcome');
      await welcome.getByRole('heading', { name: 'Look around with a sample' }).waitFor();
      await expect.poll(theme).toBe('light');
      await shot('first-run-01-welcome-light');

      // The system's preference is followed until a choice is made.
      await page.emulateMedia({ colorScheme: 'dark' });
      await expect.poll(theme).toBe('dark');
      await page.emulateMedia({ colorScheme: 'light' });
      await expect.poll(theme).toBe('light');

      // A model, tested before it is saved.
      await welcome.getByRole('button', { name: 'Set up a model' }).click();
      const form = welcome.getByRole('form', { name: 'New provider' });
      // It opens below the fold and comes into view by itself, its top in the window's upper half.
      await expect
        .poll(() => form.evaluate((el) => Math.round(el.getBoundingClientRect().top / (window.innerHeight / 2))))
        .toBe(0);
      await form.getByLabel('Preset').selectOption({ label: 'Custom (OpenAI-compatible)' });
      await form.getByLabel(/^Base URL/).fill(llm.baseURL);
      await form.getByLabel(/^Model/).fill('tiny-instruct');
      await form.getByRole('button', { name: 'Test connection' }).click();
      await form
        .getByRole('status', { name: 'Connection check' })
        .locator('.check-summary', { hasText: "'tiny-instruct' answered" })
        .waitFor();
      await shot('first-run-02-model-tested');
      await form.getByLabel(/^Name/).fill('Local test model');
      await form.getByRole('button', { name: 'Add provider' }).click();
      await welcome.getByText('Ready to generate with').waitFor();

      // The header switch: dark, kept by the studio across a reload.
      await page.getByRole('button', { name: 'Switch to the dark theme' }).click();
      await expect.poll(theme).toBe('dark');
      await page.reload();
      await welcome.getByRole('heading', { name: 'Look around with a sample' }).waitFor();
      await expect.poll(theme).toBe('dark');
      expect(await pageInvoke(page, 'appearance/get', {})).toEqual({ theme: 'dark' });
      await shot('first-run-03-welcome-dark');

      await welcome.getByRole('button', { name: 'Load the sample character' }).click();
      await page.getByRole('heading', { name: 'Mary Anning', level: 1 }).waitFor();
      await page.getByText(/^Sample character shipped with Character Studio/).waitFor();
      await page.getByTestId('chunk').first().waitFor();

      for (const mode of ['dark', 'light'] as const) {
        if (mode === 'light') {
          await page.getByRole('button', { name: 'Switch to the light theme' }).click();
          await expect.poll(theme).toBe('light');
        }
        for (const [index, tab] of ['Profile', 'Generate', 'Dataset', 'Train', 'Chat'].entries()) {
          await page.getByRole('tab', { name: tab }).click();
          await expect.poll(() => page.getByRole('tab', { name: tab }).getAttribute('aria-selected')).toBe('true');
          if (tab === 'Dataset')
            await page
              .getByText(/Black Ven/)
              .first()
              .waitFor();
          await shot(`first-run-${4 + index}-${tab.toLowerCase()}-${mode}`);
        }
        await page.getByRole('button', { name: 'Settings', exact: true }).click();
        const settings = page.getByRole('dialog', { name: 'Settings' });
        await settings.getByRole('radiogroup', { name: 'Theme' }).waitFor();
        await shot(`first-run-09-settings-${mode}`);
        await settings.getByRole('button', { name: 'Close' }).first().click();
      }

      // Settings › Appearance back to the system's choice.
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      // A controlled radio: it shows checked once the studio has stored the choice and said so.
      await page.getByRole('radio', { name: 'System' }).click();
      await expect.poll(() => pageInvoke(page, 'appearance/get', {})).toEqual({ theme: 'system' });
      await expect.poll(() => page.getByRole('radio', { name: 'System' }).isChecked()).toBe(true);
      await page.keyboard.press('Escape');

      // A manuscript through the profile dialog.
      await page.getByRole('tab', { name: 'Profile' }).click();
      await page.getByRole('button', { name: '+ Add profile' }).click();
      await page.getByLabel('Profile file').setInputFiles({
        name: 'letters.docx',
        mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        buffer: writeDocx([
          { text: 'Letters from Lyme', style: 'Title' },
          { text: 'To Miss Philpot', style: 'Heading1' },
          { text: 'The tide was low and the cliff gave up a fine ammonite today.' },
        ]),
      });
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      await page.getByText(/Imported “Letters from Lyme”: 1 chunk,/).waitFor();
      await shot('first-run-10-docx-imported');
    } finally {
      await llm.close();
    }
  });
});
