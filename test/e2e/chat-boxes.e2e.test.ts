import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { baselineConversation, useServePage } from '../support/serve-page';

/**
 * The chat's text boxes in Chromium: the message box and the edit box grow with what is typed,
 * long lines that wrap included, up to a height and then scroll; the keys work alike in both.
 */

const session = useServePage('cs-e2e-chat-boxes-', { width: 1024, height: 700 });

const STORY = Array.from({ length: 120 }, (_, i) => `note${i}`).join(' ');
let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlmServer({
    chunkDelayMs: 10,
    responder: (req) => {
      const last = req.messages.at(-1)?.content ?? '';
      // A story is held after a few words until the page stops it.
      if (last.includes('story'))
        return { text: STORY, hold: { afterChunks: 5, until: () => new Promise<void>(() => undefined) } };
      return { text: `Echo: ${last}` };
    },
  });
});
afterEach(async () => {
  await server.close();
});

/** The box's height and whether it scrolls, as laid out. */
const boxOf = (el: HTMLTextAreaElement) => ({
  height: el.getBoundingClientRect().height,
  scrolls: el.scrollHeight > el.clientHeight + 1,
});

describe('the chat text boxes', () => {
  it('grow with the text, wrapped lines included, up to a height, then scroll', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    await baselineConversation(page, server.baseURL, ['Good evening']);
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    const composer = page.getByLabel('Message to Beethoven');
    await composer.waitFor();
    const empty = await composer.evaluate(boxOf);

    // One long line, no newline in it: it wraps, and the box grows to show it.
    const sentence = 'The guns have not stopped since noon and I keep pillows over my ears. ';
    await composer.fill(sentence.repeat(3));
    const wrapped = await composer.evaluate(boxOf);
    expect(wrapped.height).toBeGreaterThan(empty.height * 1.5);
    expect(wrapped.scrolls).toBe(false);
    // Far more text: the box stops at its height and scrolls.
    await composer.fill(sentence.repeat(40));
    const full = await composer.evaluate(boxOf);
    expect(full.height).toBeLessThanOrEqual(240);
    expect(full.scrolls).toBe(true);
    // Deleted again: it shrinks back.
    await composer.fill('');
    expect((await composer.evaluate(boxOf)).height).toBeCloseTo(empty.height, 0);

    // The edit box of a message grows the same way.
    const mine = page.getByTestId('message-user').first();
    await mine.hover();
    await mine.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByLabel('Edit the message');
    const opened = await edit.evaluate(boxOf);
    await edit.fill(sentence.repeat(6));
    const grown = await edit.evaluate(boxOf);
    expect(grown.height).toBeGreaterThan(opened.height * 1.5);
    expect(grown.scrolls).toBe(false);
  });

  it('stops a reply with Escape, saves an edit with Enter, shows its Save button, and scrolls Details into view', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    await baselineConversation(
      page,
      server.baseURL,
      Array.from({ length: 8 }, (_, i) => `Question ${i + 1}`),
    );
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    const composer = page.getByLabel('Message to Beethoven');
    const characters = page.getByTestId('message-character');
    await expect.poll(() => characters.count()).toBe(8);

    // Details of the last reply, at the bottom of the view: the list scrolls to show them.
    const lastReply = characters.last();
    await lastReply.hover();
    await lastReply.getByRole('button', { name: 'Details' }).click();
    const details = lastReply.getByRole('list', { name: 'How this reply was made' });
    await details.waitFor();
    const messages = page.getByRole('list', { name: 'Messages' });
    const listBox = (await messages.boundingBox())!;
    const detailsBox = (await details.boundingBox())!;
    expect(detailsBox.y + detailsBox.height).toBeLessThanOrEqual(listBox.y + listBox.height + 1);

    // Escape in the message box stops a reply being written; what came is kept.
    await composer.fill('Tell me a story.');
    await composer.press('Enter');
    await expect.poll(() => characters.last().innerText()).toContain('note3');
    await composer.press('Escape');
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await expect.poll(() => characters.last().innerText()).toContain('stopped');

    // Editing one's own message: the Save button stands out from the bubble, and Enter saves.
    const mine = page.getByTestId('message-user').last();
    await mine.hover();
    await mine.getByRole('button', { name: 'Edit' }).click();
    const saveButton = mine.getByRole('button', { name: 'Save and ask again' });
    const colours = await saveButton.evaluate((b) => ({
      button: getComputedStyle(b).backgroundColor,
      bubble: getComputedStyle(b.closest('.bubble')!).backgroundColor,
    }));
    expect(colours.button).not.toBe(colours.bubble);
    const edit = page.getByLabel('Edit the message');
    await edit.fill('Tell me something short');
    await edit.press('Shift+Enter');
    await edit.pressSequentially('instead.');
    expect(await edit.inputValue()).toBe('Tell me something short\ninstead.');
    await edit.press('Enter');
    await expect.poll(() => page.getByTestId('message-user').last().innerText()).toContain('instead.');
    await expect.poll(() => characters.last().innerText()).toContain('Echo: Tell me something short');
  });
});
