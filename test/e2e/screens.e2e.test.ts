import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startFakeLlmServer } from '../support/fake-llm-server';
import { fixture, repoRoot } from '../support/paths';
import { startServe } from '../support/serve';
import { pageInvoke, useServePage } from '../support/serve-page';
import { studioResponder } from '../support/studio-responder';

/** What a new user meets on the screens: selection after create, the provider form, small windows. */

const session = useServePage('cs-e2e-screens-');
const { shot } = session;

async function createCharacter(fullName: string) {
  await session.page.getByRole('button', { name: '+ New character' }).click();
  await session.page.getByLabel('Full name').fill(fullName);
  await session.page.getByRole('button', { name: 'Create character' }).click();
}

/** Calls the studio as the page does (see pageInvoke). */
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

describe('a new character opens', () => {
  it('selects and shows each newly created character, and the next import lands on it', async () => {
    await session.page.goto(session.serve.url);
    await session.page.getByRole('button', { name: '+ New character' }).waitFor();
    for (const name of ['Ada Lovelace', 'Charles Babbage', 'Mary Somerville']) {
      await createCharacter(name);
      await session.page.getByRole('heading', { name, level: 1 }).waitFor();
      // It stays selected once the list has caught up with the new character.
      await expect
        .poll(() => session.page.locator('.character-item[aria-current="page"] .name').innerText())
        .toBe(name);
      expect(await session.page.getByRole('heading', { level: 1 }).innerText()).toBe(name);
    }
    await expect.poll(() => session.page.locator('.character-item').count()).toBe(3);

    await session.page.getByRole('button', { name: '+ Add profile' }).click();
    await session.page
      .getByLabel('Or paste text')
      .fill('Mary Somerville wrote On the Connexion of the Physical Sciences.');
    await session.page.getByRole('button', { name: 'Import', exact: true }).click();
    await session.page.getByTestId('chunk').first().waitFor();
    const characters = await api<{ fullName: string; chunkCount: number }[]>('characters/list', {});
    expect(characters.find((c) => c.fullName === 'Mary Somerville')?.chunkCount).toBe(1);
    expect(characters.filter((c) => c.chunkCount > 0)).toHaveLength(1);
    await shot('screens-01-new-character-selected');
  });
});

describe('the provider form', () => {
  it('tests the draft before saving, fills the model list to pick from, and says where the key goes', async () => {
    const llm = await startFakeLlmServer({ apiKey: 'test-key', models: ['qwen2.5-7b', 'llama3.1:8b'] });
    try {
      await session.page.goto(session.serve.url);
      await session.page.getByRole('button', { name: 'Settings', exact: true }).click();
      const settings = session.page.getByRole('dialog', { name: 'Settings' });
      await settings.getByRole('button', { name: '+ Add provider' }).click();
      const form = settings.getByRole('form', { name: 'New provider' });
      await form.getByLabel('Preset').selectOption({ label: 'Custom (OpenAI-compatible)' });
      await form.getByLabel(/^Base URL/).fill(llm.baseURL);
      // A failed check says its reason once, on the step that failed.
      await form.getByLabel(/^API key/).fill('wrong-key');
      await form.getByRole('button', { name: 'Test connection' }).click();
      const failed = form.getByRole('status', { name: 'Connection check' });
      await failed.locator('.check-summary', { hasText: 'The connection test failed at “list-models”' }).waitFor();
      expect((await failed.innerText()).match(/rejected the API key/g)).toHaveLength(1);
      await form.getByLabel(/^API key/).fill('test-key');
      // serve keeps keys in a private file, not a keychain; the hint says which file.
      await form.getByText(`stored unencrypted in ${session.data.dir}/secrets.json`).waitFor();
      expect(await form.getByLabel(/^Model/).inputValue()).toBe('');

      await form.getByRole('button', { name: 'Test connection' }).click();
      const check = form.getByRole('status', { name: 'Connection check' });
      await check.waitFor();
      expect(await check.getAttribute('class')).toContain('ok');
      expect(
        await form
          .locator('datalist#provider-models option')
          .evaluateAll((os) => os.map((o) => o.getAttribute('value'))),
      ).toEqual(['qwen2.5-7b', 'llama3.1:8b']);
      // Nothing was saved by the test, and no completion was asked for without a model.
      expect(await api<unknown[]>('providers/list', {})).toEqual([]);
      expect(llm.requests.filter((r) => r.chat !== null)).toHaveLength(0);

      await check.getByRole('button', { name: 'llama3.1:8b', exact: true }).click();
      expect(await form.getByLabel(/^Model/).inputValue()).toBe('llama3.1:8b');
      await form.getByRole('button', { name: 'Test connection' }).click();
      await check.locator('.check-summary', { hasText: "'llama3.1:8b' answered" }).waitFor();
      await shot('screens-02-provider-draft-tested');

      await form.getByLabel(/^Name/).fill('Local Llama');
      await form.getByRole('button', { name: 'Add provider' }).click();
      await settings.getByRole('listitem', { name: 'Provider Local Llama' }).waitFor();
      expect(await api<{ model: string; hasApiKey: boolean }[]>('providers/list', {})).toMatchObject([
        { model: 'llama3.1:8b', hasApiKey: true },
      ]);
    } finally {
      await llm.close();
    }
  });
});

describe('small windows', () => {
  it('shows a selected scene within a 1024×700 window', async () => {
    // A character with generated scenes, made by the CLI (the real pipeline) before serve opens the folder.
    await session.serve.stop();
    const llm = await startFakeLlmServer({ apiKey: 'test-key', responder: studioResponder() });
    try {
      await cli('characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven');
      await cli('profiles', 'import', 'Beethoven', fixture('wiki_Beethoven.txt'));
      await cli(
        'providers',
        'add',
        '--name',
        'Fake',
        '--base-url',
        llm.baseURL,
        '--model',
        'fake-model',
        '--api-key',
        'test-key',
      );
      await cli('generate', 'Beethoven', '--provider', 'Fake', '--target', '24', '--per-call', '4');
    } finally {
      await llm.close();
    }
    session.serve = await startServe(session.data.dir);

    await session.page.setViewportSize({ width: 1024, height: 700 });
    await session.page.goto(session.serve.url);
    await session.page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await session.page.getByRole('tab', { name: 'Dataset' }).click();
    const items = session.page.getByTestId('scene-item');
    await expect.poll(() => items.count()).toBeGreaterThanOrEqual(5);

    // A scene far down the list, brought into view as a person would scroll to it (the list is
    // virtualized: its rows exist once scrolled near).
    const list = session.page.getByTestId('scene-list');
    const farTick = session.page.getByLabel('Select scene 16', { exact: true });
    await expect
      .poll(async () => {
        await list.evaluate((el) => el.scrollBy(0, 150));
        return farTick.count();
      })
      .toBe(1);
    const far = session.page.locator('.scene-row', { has: farTick }).getByTestId('scene-item');
    // Into view within the list only, as the wheel over the list does (the list contains its
    // scrolling; scrollIntoView would scroll the page behind it too).
    await far.evaluate((row) => {
      const scroller = row.closest('[data-testid="scene-list"]')!;
      const box = row.getBoundingClientRect();
      const view = scroller.getBoundingClientRect();
      if (box.bottom > view.bottom) scroller.scrollTop += box.bottom - view.bottom + 8;
      if (box.top < view.top) scroller.scrollTop -= view.top - box.top + 8;
    });
    await far.click();

    const detail = session.page.getByRole('article', { name: 'Scene detail' });
    await detail.getByRole('heading', { level: 3 }).waitFor();
    await shot('screens-03-dataset-1024x700');
    await expect.poll(() => inViewport(detail.getByRole('heading', { level: 3 }))).toBe(true);
    // The list stays where the person left it: the picked scene is still on screen beside its detail.
    expect(await inViewport(far)).toBe(true);
    await shot('screens-03-dataset-1024x700');

    // Narrower still, the scene follows the list; picking one scrolls to it.
    await session.page.setViewportSize({ width: 820, height: 700 });
    // Pinned by its number: the virtualized list re-renders its rows as it scrolls.
    const number = await items.nth(3).locator('.scene-number').innerText();
    const near = session.page
      .locator('.scene-row', { has: session.page.getByLabel(`Select scene ${number}`, { exact: true }) })
      .getByTestId('scene-item');
    await near.scrollIntoViewIfNeeded();
    const title = (await near.locator('.scene-type').innerText()).trim();
    await near.click();
    await expect.poll(() => detail.getByRole('heading', { level: 3 }).innerText()).toContain(title);
    await expect.poll(() => inViewport(detail.getByRole('heading', { level: 3 }))).toBe(true);
    await expect.poll(() => inViewport(detail.locator('.scene-background').first())).toBe(true);
    await shot('screens-04-dataset-820x700');
  });
});

/** Runs the built CLI on this test's data folder; rejects with its stderr when it fails. */
async function cli(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(repoRoot, 'bin', 'character-studio.cjs'), ...args, '--data-dir', session.data.dir],
    { env: { ...process.env, CHARACTER_STUDIO_HOME: '' } },
  );
  return stdout;
}

/** Whether the element's box lies wholly inside the window. */
async function inViewport(locator: Locator): Promise<boolean> {
  const box = await locator.boundingBox();
  const size = session.page.viewportSize();
  if (!box || !size) return false;
  return box.y >= 0 && box.x >= 0 && box.y + box.height <= size.height && box.x + box.width <= size.width;
}
