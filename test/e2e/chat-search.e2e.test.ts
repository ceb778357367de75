import type { Locator, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { baselineConversation, pageInvoke, useServePage } from '../support/serve-page';

/**
 * Chat search takes the user to the message it found, in Chromium against `serve`: choosing a hit
 * opens its conversation with that message scrolled into view, focused and marked for a moment,
 * on the branch that holds it even when another branch is shown. Light and dark.
 */

const session = useServePage('cs-e2e-chat-search-', { width: 1024, height: 700 });
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

interface View {
  conversation: { id: string; characterId: string; target: object };
  path: { message: { id: string; role: string; text: string } }[];
}
interface Hit {
  conversation: { id: string };
  messageId: string | null;
  place: { position: number; onPath: boolean } | null;
}

const QUESTIONS = Array.from({ length: 12 }, (_, i) =>
  i === 2 ? 'Which symphony is yours?' : i === 5 ? 'Tell me about Heiligenstadt.' : `Question ${i + 1}: and then?`,
);

let server: FakeLlmServer;
let symphonies = 0;
beforeEach(async () => {
  symphonies = 0;
  server = await startFakeLlmServer({
    responder: (req) => {
      const last = req.messages.at(-1)?.content ?? '';
      // The first answer names it; a regenerated one does not, so only the first branch holds it.
      if (last.includes('symphony'))
        return { text: symphonies++ === 0 ? 'The Eroica, once for Napoleon.' : 'I will not speak of it.' };
      return { text: `I answer: ${last.replace('Heiligenstadt', 'that village')}` };
    },
  });
});
afterEach(async () => {
  await server.close();
});

/** Whether `row` lies wholly inside the visible part of the message list. */
async function inView(page: Page, row: Locator): Promise<boolean> {
  const [box, list] = await Promise.all([row.boundingBox(), page.locator('.chat-messages').boundingBox()]);
  return !!box && !!list && box.y >= list.y - 1 && box.y + box.height <= list.y + list.height + 1;
}

async function search(page: Page, words: string): Promise<void> {
  await page.getByLabel('Search conversations').fill(words);
}

describe('chat search', () => {
  it('opens the conversation at the message found, on its own branch, and marks it for a moment', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    const { conversationId } = await baselineConversation(page, server.baseURL, QUESTIONS, undefined, 'Long talk');
    const long = await api<View>('chat/get', { id: conversationId });
    // A later conversation: the one the tab opens on.
    const other = await api<View>('chat/create', {
      characterId: long.conversation.characterId,
      target: long.conversation.target,
      runtime: 'endpoint',
      title: 'Short talk',
    });
    await api('chat/send', { conversationId: other.conversation.id, text: 'Hello' });
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    await page.getByRole('heading', { name: 'Short talk', level: 2 }).waitFor();

    // A message on the path shown, in the middle of a conversation longer than the window.
    await search(page, 'Heiligenstadt');
    const [hit] = await api<Hit[]>('chat/list', { characterId: long.conversation.characterId, query: 'Heiligenstadt' });
    expect(hit).toMatchObject({ conversation: { id: conversationId }, place: { position: 11, onPath: true } });
    await page.getByRole('button', { name: /^Long talk/ }).click();
    await page.getByRole('heading', { name: 'Long talk', level: 2 }).waitFor();
    const row = page.locator(`[data-message-id="${hit!.messageId}"]`);
    await expect.poll(() => row.getAttribute('class')).toContain('found');
    expect(await row.innerText()).toContain('Tell me about Heiligenstadt.');
    expect(await inView(page, row)).toBe(true);
    expect(await row.evaluate((el) => el === document.activeElement)).toBe(true);
    // The list scrolled, not the page: the character's name is still at the top.
    const name = page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 });
    expect((await name.boundingBox())!.y).toBeGreaterThan(0);
    // Not the bottom of the conversation: the view stays where the message is.
    expect(
      await page.locator('.chat-messages').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight),
    ).toBeGreaterThan(200);
    await session.shot('chat-search-found-light');
    // Marked for a moment only.
    await expect.poll(() => row.getAttribute('class')).not.toContain('found');
    expect(await inView(page, row)).toBe(true);

    // The symphony's answer regenerated: its first answer, and all that followed it, go on another branch.
    const asked = long.path.find((s) => s.message.text === 'Which symphony is yours?')!;
    await api('chat/reply', { conversationId, parentId: asked.message.id });
    const characters = page.getByTestId('message-character');
    await expect.poll(() => characters.count()).toBe(3);
    expect(await characters.nth(2).innerText()).toContain('I will not speak of it.');

    // Dark, after a reload: a hit on the hidden branch shows that branch, then the message.
    await api('appearance/set', { theme: 'dark' });
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    await page.getByRole('heading', { name: 'Long talk', level: 2 }).waitFor();
    await search(page, 'Eroica');
    const [hidden] = await api<Hit[]>('chat/list', { characterId: long.conversation.characterId, query: 'Eroica' });
    expect(hidden!.place).toEqual({ position: 6, onPath: false });
    await page.getByRole('button', { name: /^Long talk/ }).click();
    const found = page.locator(`[data-message-id="${hidden!.messageId}"]`);
    await expect.poll(() => found.getAttribute('class')).toContain('found');
    expect(await found.innerText()).toContain('The Eroica, once for Napoleon.');
    expect(await inView(page, found)).toBe(true);
    // The branch that holds it, to its end; its alternative says which of two it is.
    expect(await characters.count()).toBe(12);
    expect(await found.getByTestId('alternative-index').innerText()).toBe('1 / 2');
    await session.shot('chat-search-found-dark');
    await api('appearance/set', { theme: 'light' });
  });

  it('shows titles and snippets as read, without Markdown marks; numbers as typed', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    await baselineConversation(page, server.baseURL, ['*bows* Are you **well**, 5*3*2 times?']);
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    const item = page.locator('.chat-item-title');
    await expect.poll(() => item.innerText()).toBe('bows Are you well, 5*3*2 times?');
    await page.getByRole('heading', { name: 'bows Are you well, 5*3*2 times?', level: 2 }).waitFor();
    await search(page, 'well');
    const snippet = page.locator('.chat-item-preview');
    await snippet.locator('mark').first().waitFor();
    expect(await snippet.innerText()).toMatch(/^[^*]*bows Are you well, 5\*3\*2 times\?/);
    expect(await snippet.locator('mark').first().innerText()).toBe('well');
    await session.shot('chat-search-plain-snippet');
  });
});
