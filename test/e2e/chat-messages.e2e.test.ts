import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { baselineConversation, pageInvoke, useServePage } from '../support/serve-page';

/**
 * A chat message as the user reads and takes it, in Chromium against `serve`: its Markdown shown
 * (role-play *actions*, bold, code, paragraphs, lists; HTML as text), copied with the keyboard to
 * the real clipboard as it is stored, light and dark.
 */

const session = useServePage('cs-e2e-chat-messages-', { width: 1024, height: 700 }, undefined, {
  permissions: ['clipboard-read', 'clipboard-write'],
});
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

const REPLY = [
  '*He looks up from the piano and closes the lid.* **Sit down**, please; the guns have not stopped since noon.',
  '',
  'Three things keep me here:',
  '- the `quartet` in E minor,',
  '- 5*3 candles a night, and',
  '- the window. <b>Not bold</b> <img src=x onerror="alert(1)">',
  '',
  '> *Freude, schöner Götterfunken*',
].join('\n');

let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlmServer({
    responder: () => ({ text: REPLY, reasoning: 'Another *visitor*, at this hour.' }),
  });
});
afterEach(async () => {
  await server.close();
});

describe('a chat message', () => {
  it('shows its Markdown, keeps HTML as text, and copies what is stored from the keyboard', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    await baselineConversation(page, server.baseURL, ['Good evening, *bows*. Are you **well**?']);
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    const reply = page.getByTestId('message-character');
    await reply.waitFor();

    const text = reply.locator('.bubble-text');
    expect(await text.locator('em').first().innerText()).toBe('He looks up from the piano and closes the lid.');
    expect(await text.locator('strong').innerText()).toBe('Sit down');
    // Two paragraphs (a blank line apart), the list and the quote.
    expect(await text.evaluate((el) => [...el.children].map((c) => c.tagName))).toEqual(['P', 'P', 'UL', 'BLOCKQUOTE']);
    expect(await text.locator('li').allInnerTexts()).toEqual([
      'the quartet in E minor,',
      '5*3 candles a night, and',
      'the window. <b>Not bold</b> <img src=x onerror="alert(1)">',
    ]);
    expect(await text.locator('li code').innerText()).toBe('quartet');
    expect(await text.locator('blockquote em').innerText()).toBe('Freude, schöner Götterfunken');
    expect(await page.locator('.chat-messages b, .chat-messages img').count()).toBe(0);
    expect(await reply.getByTestId('thoughts').locator('em').innerText()).toBe('visitor');
    const mine = page.getByTestId('message-user');
    expect(await mine.locator('em').innerText()).toBe('bows');
    expect(await mine.locator('strong').innerText()).toBe('well');

    for (const theme of ['light', 'dark'] as const) {
      await api('appearance/set', { theme });
      await page.reload();
      await page.getByRole('tab', { name: 'Chat' }).click();
      await reply.waitFor();
      await session.shot(`chat-messages-markdown-${theme}`);
    }
    await api('appearance/set', { theme: 'light' });

    // Copy is in the keyboard's path: Tab from the message box backwards reaches it.
    const composer = page.getByLabel('Message to Beethoven');
    await composer.focus();
    const copy = reply.getByRole('button', { name: 'Copy the reply' });
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Shift+Tab');
      reached = await copy.evaluate((b) => b === document.activeElement);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await reply.getByRole('button', { name: 'Copy the reply: copied' }).getByText('Copied').waitFor();
    await session.shot('chat-messages-copied');
    // The text as stored, its Markdown and all.
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(REPLY);
    // "Copied" is brief: the button says Copy again.
    await copy.getByText('Copy', { exact: true }).waitFor();

    // The user's own message, by mouse.
    await mine.hover();
    await mine.getByRole('button', { name: 'Copy your message' }).click();
    await expect
      .poll(() => page.evaluate(() => navigator.clipboard.readText()))
      .toBe('Good evening, *bows*. Are you **well**?');
  });
});
