import { describe, expect, it } from 'vitest';
import { fixture } from '../support/paths';
import { pageInvoke, useServePage } from '../support/serve-page';

const BEETHOVEN_CHUNKS = 59; // 60 blank-line blocks in the paper's file, minus the `# Name` title

const session = useServePage('cs-e2e-', { width: 1360, height: 860 });

describe('the studio in a browser against serve', () => {
  it('creates a character, imports the Beethoven profile, edits chunks, and keeps it all after a reload', async () => {
    const { page, serve } = session;
    await page.goto(serve.url);
    await expect.poll(() => page.getByRole('heading', { name: 'Character Studio' }).count()).toBe(1);
    // The app's icon is the tab's icon too.
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    const served = await page.evaluate(async (href) => (await fetch(href)).headers.get('content-type'), icon ?? '');
    expect(served).toMatch(/^image\/svg\+xml/);
    await session.shot('01-welcome');

    await page.getByRole('button', { name: 'Create your first character' }).click();
    await page.getByLabel('Full name').fill('Ludwig van Beethoven');
    expect(await page.getByLabel('Short name').inputValue()).toBe('Beethoven');
    await page.getByLabel('Era or dates').fill('1770–1827, Bonn and Vienna');
    await session.shot('02-new-character');
    await page.getByRole('button', { name: 'Create character' }).click();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await session.shot('03-character-empty');

    await page.getByRole('button', { name: '+ Add profile' }).click();
    await page.getByLabel('Profile file').setInputFiles(fixture('wiki_Beethoven.txt'));
    await page.getByText('wiki_Beethoven.txt').waitFor();
    await session.shot('04-import-dialog');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 3 }).waitFor();
    await expect.poll(() => page.getByTestId('chunk').count()).toBe(BEETHOVEN_CHUNKS);
    await expect.poll(() => page.getByText('Life and career · Family and early life').count()).toBe(1);
    await session.shot('05-profile-chunks');

    // Split the first chunk in two at a cursor position, then merge it back.
    const first = page.getByTestId('chunk').first();
    await first.hover();
    await first.getByRole('button', { name: 'Edit' }).click();
    const editor = page.getByLabel('Chunk 1 text');
    await editor.evaluate((el: HTMLTextAreaElement) =>
      el.setSelectionRange(el.value.indexOf('Beethoven remains'), el.value.indexOf('Beethoven remains')),
    );
    await session.shot('06-chunk-editing');
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
    const { page, serve } = session;
    await page.goto(serve.url);
    for (const name of ['Ada Lovelace', 'ada lovelace']) {
      await page.getByRole('button', { name: '+ New character' }).click();
      await page.getByLabel('Full name').fill(name);
      await page.getByRole('button', { name: 'Create character' }).click();
    }
    await page.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    await session.shot('07-duplicate-name');
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: '+ Add profile' }).click();
    await page.getByLabel('Profile file').setInputFiles({
      name: 'portrait.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13, 1, 2, 3]),
    });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'looks like a binary file' }).waitFor();
    await session.shot('08-binary-file');
    expect(await page.getByRole('button', { name: /Ada Lovelace/ }).count()).toBe(1);
  });

  it('shows what another door changed before its event stream opened', async () => {
    const { page, serve } = session;
    // The page's event stream is held back until a character has been created through the API:
    // its 'characters/changed' is sent to no one. When the stream opens, the page reads again.
    let requested!: () => void;
    const streamRequested = new Promise<void>((resolve) => (requested = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/events', async (route) => {
      requested();
      await released;
      await route.continue();
    });
    const listed = page.waitForResponse((response) => response.url().endsWith('/api/invoke/characters%2Flist'));
    await page.goto(serve.url);
    await listed;
    await streamRequested;
    await pageInvoke(page, 'characters/create', { fullName: 'Clara Schumann', shortName: 'Clara', era: '', notes: '' });
    expect(await page.getByRole('button', { name: /Clara Schumann/ }).count()).toBe(0);
    release();
    await page.getByRole('button', { name: /Clara Schumann/ }).waitFor();
    await page.unroute('**/api/events');
  });

  it('refuses the page without the token', async () => {
    const { page, serve } = session;
    const response = await page.goto(serve.origin + '/');
    expect(response?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('access token');
  });
});
