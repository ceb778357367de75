import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser';
import { fixture, tempDir, testOutputDir } from '../support/paths';
import { startServe, type ServeHandle } from '../support/serve';

const shots = path.join(testOutputDir, 'screenshots');
const BEETHOVEN_CHUNKS = 59; // 60 blank-line blocks in the paper's file, minus the `# Name` title

let browser: Browser;
let data: { dir: string; cleanup: () => void };
let serve: ServeHandle;
let page: Page;

async function shot(name: string) {
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });
}

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  data = tempDir('cs-e2e-');
  serve = await startServe(data.dir);
  page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  page.on('pageerror', (error) => {
    throw error;
  });
});
afterEach(async () => {
  await page?.close();
  await serve?.stop();
  data?.cleanup();
});

describe('the studio in a browser against serve', () => {
  it('creates a character, imports the Beethoven profile, edits chunks, and keeps it all after a reload', async () => {
    await page.goto(serve.url);
    await expect.poll(() => page.getByRole('heading', { name: 'Character Studio' }).count()).toBe(1);
    await shot('01-welcome');

    await page.getByRole('button', { name: 'Create your first character' }).click();
    await page.getByLabel('Full name').fill('Ludwig van Beethoven');
    expect(await page.getByLabel('Short name').inputValue()).toBe('Beethoven');
    await page.getByLabel('Era or dates').fill('1770–1827, Bonn and Vienna');
    await shot('02-new-character');
    await page.getByRole('button', { name: 'Create character' }).click();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await shot('03-character-empty');

    await page.getByRole('button', { name: '+ Add profile' }).click();
    await page.getByLabel('Profile file').setInputFiles(fixture('wiki_Beethoven.txt'));
    await page.getByText('wiki_Beethoven.txt').waitFor();
    await shot('04-import-dialog');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 3 }).waitFor();
    await expect.poll(() => page.getByTestId('chunk').count()).toBe(BEETHOVEN_CHUNKS);
    await expect.poll(() => page.getByText('Life and career · Family and early life').count()).toBe(1);
    await shot('05-profile-chunks');

    // Split the first chunk in two at a cursor position, then merge it back.
    const first = page.getByTestId('chunk').first();
    await first.hover();
    await first.getByRole('button', { name: 'Edit' }).click();
    const editor = page.getByLabel('Chunk 1 text');
    await editor.evaluate((el: HTMLTextAreaElement) =>
      el.setSelectionRange(el.value.indexOf('Beethoven remains'), el.value.indexOf('Beethoven remains')),
    );
    await shot('06-chunk-editing');
    await page.getByRole('button', { name: 'Split at cursor' }).click();
    await expect.poll(() => page.getByTestId('chunk').count()).toBe(BEETHOVEN_CHUNKS + 1);
    await expect
      .poll(() => page.getByTestId('chunk').nth(1).locator('.chunk-text').innerText())
      .toMatch(/^Beethoven remains/);
    expect(await page.getByTestId('chunk').first().innerText()).not.toContain('Beethoven remains');
    await page.getByTestId('chunk').first().hover();
    await page.getByTestId('chunk').first().getByRole('button', { name: 'Merge ↓' }).click();
    await expect.poll(() => page.getByTestId('chunk').count()).toBe(BEETHOVEN_CHUNKS);

    await page.reload();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await expect.poll(() => page.getByTestId('chunk').count()).toBe(BEETHOVEN_CHUNKS);
    expect(await page.getByTestId('chunk').first().innerText()).toContain(
      'Beethoven remains one of the most admired composers',
    );
  });

  it('says clearly what is wrong with a duplicate name and a binary file, and loses nothing', async () => {
    await page.goto(serve.url);
    for (const name of ['Ada Lovelace', 'ada lovelace']) {
      await page.getByRole('button', { name: '+ New character' }).click();
      await page.getByLabel('Full name').fill(name);
      await page.getByRole('button', { name: 'Create character' }).click();
    }
    await page.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    await shot('07-duplicate-name');
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: '+ Add profile' }).click();
    await page.getByLabel('Profile file').setInputFiles({
      name: 'portrait.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13, 1, 2, 3]),
    });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'looks like a binary file' }).waitFor();
    await shot('08-binary-file');
    expect(await page.getByRole('button', { name: /Ada Lovelace/ }).count()).toBe(1);
  });

  it('refuses the page without the token', async () => {
    const response = await page.goto(serve.origin + '/');
    expect(response?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('access token');
  });
});
