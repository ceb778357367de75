import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { baselineConversation, pageInvoke, useServePage } from '../support/serve-page';

/**
 * Choosing between a reply's alternatives in Chromium against `serve`: the count of ‹ 2 / 3 › opens
 * the list of all of them, each by its first words on one line, and choosing one shows it, as the
 * arrows do; under the user's own message too, light and dark.
 */

const session = useServePage('cs-e2e-chat-alternatives-', { width: 1024, height: 700 });
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

// The first reply: long, over several lines, with Markdown; the list shows its start only.
const LONG = [
  '*He lifts the lid of the piano and looks at the keys for a long time.* **Sit down**, please;',
  'the guns have not stopped since noon, and I hear them in the floor and in the strings.',
  '',
  'THE-LAST-LINE-ONLY-THE-WHOLE-REPLY-HAS.',
].join('\n');

let server: FakeLlmServer;
let replies: string[] = [];
beforeEach(async () => {
  replies = [LONG, 'Short and sweet: play it again.', 'Welcome, my friend.'];
  server = await startFakeLlmServer({ responder: () => ({ text: replies.shift() ?? 'Enough.' }) });
});
afterEach(async () => {
  await server.close();
});

describe("a reply's alternatives", () => {
  it('are listed by their first words, and choosing one shows it', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    const { conversationId } = await baselineConversation(page, server.baseURL, ['Will you play for me?']);
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    const reply = page.getByTestId('message-character');
    await reply.getByText('Sit down').waitFor();

    await reply.getByRole('button', { name: 'Regenerate' }).click();
    await reply.getByText('Short and sweet: play it again.').waitFor();
    await expect.poll(() => reply.getByTestId('alternative-index').innerText()).toBe('2 / 2');

    // The count opens the list: each alternative by its first words, on one line, the shown one marked.
    const count = reply.getByRole('button', { name: /2 \/ 2/ });
    await count.click();
    const list = page.getByRole('menu', { name: 'Alternatives of this reply' });
    const entries = list.getByRole('menuitemradio');
    await expect.poll(() => entries.count()).toBe(2);
    const first = await entries.nth(0).innerText();
    expect(first).toMatch(/^1\s+He lifts the lid of the piano and looks at the keys for a long time\. Sit/);
    expect(first).toMatch(/…$/);
    expect(first).not.toContain('THE-LAST-LINE');
    expect(first).not.toContain('\n\n');
    expect(await entries.nth(1).innerText()).toMatch(/^2\s+Short and sweet: play it again\.\s+shown$/);
    expect(await entries.nth(1).getAttribute('aria-checked')).toBe('true');
    // One line each: the preview does not wrap.
    const heights = await entries.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().height));
    expect(Math.abs(heights[0]! - heights[1]!)).toBeLessThan(2);
    await session.shot('chat-alternatives-list-light');

    // Choosing the first shows it, as ‹ does.
    await entries.nth(0).click();
    await reply.getByText('THE-LAST-LINE-ONLY-THE-WHOLE-REPLY-HAS.').waitFor();
    await expect.poll(() => reply.getByTestId('alternative-index').innerText()).toBe('1 / 2');
    expect(await list.count()).toBe(0);
    const view = await api<{ path: { message: { text: string } }[] }>('chat/get', { id: conversationId });
    expect(view.path.at(-1)!.message.text).toBe(LONG);

    // From the keyboard: the list opens on the one shown, ↓ moves, Escape closes it.
    await count.or(reply.getByRole('button', { name: /1 \/ 2/ })).click();
    await expect.poll(() => entries.nth(0).evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => entries.nth(1).evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => list.count()).toBe(0);

    // The user's own message rewritten: its alternatives open under it, on the right, in the dark too.
    await api('appearance/set', { theme: 'dark' });
    const question = page.getByTestId('message-user');
    await question.hover();
    await question.getByRole('button', { name: 'Edit' }).click();
    await question.getByLabel('Edit the message').fill('Would you play the *Emperor* for me, tonight?');
    await question.getByRole('button', { name: 'Save and ask again' }).click();
    await reply.getByText('Welcome, my friend.').waitFor();
    await question.getByRole('button', { name: /2 \/ 2/ }).click();
    const mine = page.getByRole('menu', { name: 'Alternatives of your message' });
    expect(await mine.getByRole('menuitemradio').allInnerTexts()).toEqual([
      expect.stringMatching(/^1\s+Will you play for me\?$/),
      expect.stringMatching(/^2\s+Would you play the Emperor for me, tonight\?\s+edited by you\s+shown$/),
    ]);
    // Inside the conversation: not cut off at its right edge.
    const box = (await mine.boundingBox())!;
    const pane = (await page.locator('.chat-messages').boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(pane.x);
    expect(box.x + box.width).toBeLessThanOrEqual(pane.x + pane.width);
    await session.shot('chat-alternatives-list-mine-dark');
    await api('appearance/set', { theme: 'light' });
  });
});
