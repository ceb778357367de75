import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeProviderDraft } from '../support/drafts';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { pageInvoke, useServePage } from '../support/serve-page';

/**
 * The Chat tab in Chromium against `serve`, at the smallest supported window (1024×700), with the
 * fake LLM server as a baseline provider (the endpoint runtime): streaming, Stop, Regenerate and
 * browsing alternatives, Shift+Enter, edit, branch, the thoughts toggle, a correction sent to the
 * dataset, and a reload that shows it all as it was.
 */

const session = useServePage('cs-e2e-chat-', { width: 1024, height: 700 });
const { shot } = session;
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

const STORY = Array.from({ length: 120 }, (_, i) => `note${i}`).join(' ');
/** Never settles: a reply held on it ends only when the page stops it. */
const untilStopped = (): Promise<void> => new Promise<void>(() => undefined);
let server: FakeLlmServer;
let replies = 0;
/** Lets the first reply finish; until then it is held after two words, so "writing" is certainly seen. */
let releaseFirst: () => void;
beforeEach(async () => {
  replies = 0;
  const firstReleased = new Promise<void>((resolve) => (releaseFirst = resolve));
  let storyTold = false;
  server = await startFakeLlmServer({
    chunkDelayMs: 25,
    responder: (req) => {
      const last = req.messages.at(-1)?.content ?? '';
      replies++;
      if (last.includes('story')) {
        // The first telling waits after ten words for the Stop it is there to test; a regenerated one runs through.
        const hold = storyTold ? undefined : { afterChunks: 10, until: untilStopped };
        storyTold = true;
        return { text: STORY, reasoning: 'A long one, then.', hold };
      }
      return {
        text: `Answer ${replies}: you said “${last}”.`,
        reasoning: `Why does he ask “${last}”?`,
        ...(replies === 1 && { hold: { afterChunks: 2, until: () => firstReleased } }),
      };
    },
  });
});
afterEach(async () => {
  await server.close();
});

describe('the Chat tab', () => {
  it('streams, stops, regenerates, edits, branches, hides thoughts, sends a correction and survives a reload', async () => {
    const page = session.page;
    await page.goto(session.serve.url);
    await api('characters/create', { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven', era: '', notes: '' });
    await api('providers/create', { ...fakeProviderDraft(server.baseURL, 'Fake baseline') });
    await page.reload();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Chat' }).click();

    // A new conversation: no trained run, so the baseline; the scene as in training.
    const form = page.getByRole('form', { name: 'New conversation' });
    await form.getByLabel('Location and time').fill('Vienna, a winter evening in 1809');
    await form.getByLabel('Status').fill('French guns outside; a visitor finds him at the piano.');
    await shot('chat-00-new-conversation');
    // At 1024×700 the whole form is in view, its Start button included, without scrolling the form
    // or the page (the chat's height left the button cut off at the form's bottom edge).
    const start = (await form.getByRole('button', { name: 'Start the conversation' }).boundingBox())!;
    const formBox = (await form.boundingBox())!;
    expect(start.y + start.height).toBeLessThanOrEqual(Math.min(700, formBox.y + formBox.height));
    expect(await form.evaluate((el) => el.scrollHeight <= el.clientHeight + 1)).toBe(true);
    // The baseline answers through its endpoint alone: said, not a choice of one.
    expect(await form.getByRole('radio').count()).toBe(0);
    expect(await form.getByTestId('runtime-only').innerText()).toMatch(/^Runtime\s+Endpoint/);
    await form.getByRole('button', { name: 'Start the conversation' }).click();
    const composer = page.getByLabel('Message to Beethoven');
    await composer.waitFor();
    await shot('chat-01-empty-conversation');

    // Shift+Enter breaks the line; Enter sends. The reply streams in, thoughts apart from speech.
    await composer.fill('Good evening.');
    await composer.press('Shift+Enter');
    await composer.pressSequentially('Are you well?');
    expect(await composer.inputValue()).toBe('Good evening.\nAre you well?');
    await composer.press('Enter');
    const characters = page.getByTestId('message-character');
    await page.getByLabel('writing').waitFor();
    await expect.poll(() => characters.first().innerText()).toContain('Answer 1');
    releaseFirst();
    await page.getByLabel('writing').waitFor({ state: 'detached' });
    expect(await characters.first().getByTestId('thoughts').innerText()).toContain('Why does he ask');
    expect(await page.getByTestId('message-user').first().innerText()).toContain('Good evening.\nAre you well?');

    // Stop in the middle of a long reply (held after ten words until stopped): what came is kept, marked stopped.
    await composer.fill('Tell me a story.');
    await composer.press('Enter');
    await expect.poll(() => characters.nth(1).innerText()).toContain('note3');
    // Away to another tab and back mid-reply: everything written so far is still there.
    await page.getByRole('tab', { name: 'Profile' }).click();
    await page.getByRole('tab', { name: 'Chat' }).click();
    await expect.poll(() => characters.nth(1).innerText()).toContain('note0 note1 note2 note3');
    await page.getByRole('button', { name: '■ Stop' }).click();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    const stopped = characters.nth(1);
    await expect.poll(() => stopped.innerText()).toContain('stopped');
    expect(await stopped.innerText()).not.toContain('note119');
    await shot('chat-02-stopped');

    // Regenerate: a new alternative; ← goes back to the stopped one.
    await stopped.hover();
    await page.getByRole('button', { name: 'Regenerate' }).nth(1).click();
    await expect.poll(() => page.getByTestId('alternative-index').innerText()).toBe('2 / 2');
    await page.getByLabel('writing').waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByRole('button', { name: 'Previous alternative' }).click();
    await expect.poll(() => page.getByTestId('alternative-index').innerText()).toBe('1 / 2');
    await expect.poll(() => characters.nth(1).innerText()).toContain('stopped');
    await page.getByRole('button', { name: 'Next alternative' }).click();
    await expect.poll(() => page.getByTestId('alternative-index').innerText()).toBe('2 / 2');

    // Edit the first reply: an alternative marked as the user's, which can go to the dataset.
    const first = characters.first();
    await first.hover();
    await first.getByRole('button', { name: 'Edit' }).click();
    await first.getByLabel('Edit the message').fill('Well enough, despite the cannons. Sit down.');
    await first.getByRole('button', { name: 'Save as an alternative' }).click();
    await expect.poll(() => characters.first().innerText()).toContain('edited by you');
    expect(await characters.count()).toBe(1); // the path now ends at the edit
    await characters.first().hover();
    await characters.first().getByRole('button', { name: 'Send to dataset' }).click();
    await expect.poll(() => characters.first().innerText()).toContain('in the dataset');
    // Its toast leaves the composer in sight (at 1024 × 700 it sat over the message box and Send).
    const toast = page.locator('.toast').filter({ hasText: 'Sent to the dataset' });
    const [toastBox, composerBox] = await Promise.all([
      toast.boundingBox(),
      page.locator('.chat-composer').boundingBox(),
    ]);
    expect(toastBox && composerBox && toastBox.y + toastBox.height <= composerBox.y).toBe(true);

    // The conversation goes on from the edited reply.
    await composer.fill('What are you composing?');
    await composer.press('Enter');
    await expect.poll(() => characters.nth(1).innerText()).toContain('What are you composing?');
    await page.getByLabel('writing').waitFor({ state: 'detached' });

    // Thoughts hide and show again.
    await page.getByLabel('Thoughts').uncheck();
    await expect.poll(() => page.getByTestId('thoughts').count()).toBe(0);
    await page.getByLabel('Thoughts').check();
    await expect.poll(() => page.getByTestId('thoughts').count()).toBeGreaterThan(0);
    await shot('chat-03-conversation');

    // The conversation's export, from the header's menu: the file as saved, with what was said.
    await page.getByRole('button', { name: 'Export the conversation' }).click();
    const [saved] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: 'Export as Markdown (.md)' }).click(),
    ]);
    expect(saved.suggestedFilename()).toMatch(/\.md$/);
    // Read as a stream: the run's Chromium is a server the file connects to, where a download has no local path.
    const markdown = await text(await saved.createReadStream());
    expect(markdown).toContain('What are you composing?');
    expect(markdown).toContain('Well enough, despite the cannons. Sit down.');

    // Branch from the edited reply, then send: two continuations of it to browse.
    await characters.first().hover();
    await characters.first().getByRole('button', { name: 'Branch' }).click();
    await expect.poll(() => characters.count()).toBe(1);
    await composer.fill('Another road: play for me.');
    await composer.press('Enter');
    await expect.poll(() => page.getByTestId('message-user').nth(1).innerText()).toContain('Another road');
    await page.getByLabel('writing').waitFor({ state: 'detached' });
    const branchStep = page.getByTestId('message-user').nth(1);
    await expect.poll(() => branchStep.getByTestId('alternative-index').innerText()).toBe('2 / 2');

    // The correction is a chat-correction scene of the dataset.
    await page.getByRole('tab', { name: 'Dataset' }).click();
    await expect.poll(() => page.getByTestId('scene-item').count()).toBe(1);
    await page.getByTestId('scene-item').first().click();
    await expect
      .poll(() => page.getByRole('article', { name: 'Scene detail' }).innerText())
      .toContain('Well enough, despite the cannons.');
    await shot('chat-04-correction-in-dataset');

    // A reload shows the conversation exactly as it was.
    const before = await page
      .getByRole('tab', { name: 'Chat' })
      .click()
      .then(() => characters.allInnerTexts());
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    await expect.poll(() => characters.allInnerTexts()).toEqual(before);
    await page.getByTestId('message-user').nth(1).hover();
    await page.getByTestId('message-user').nth(1).getByRole('button', { name: 'Previous alternative' }).click();
    await expect.poll(() => page.getByTestId('message-user').nth(1).innerText()).toContain('What are you composing?');
    await expect
      .poll(() => page.getByRole('complementary', { name: 'Conversations' }).innerText())
      .toContain('Good evening.');
    await page.setViewportSize({ width: 1440, height: 900 });
    await shot('chat-05-wide');

    // A new conversation from a scene of the dataset (the correction): its turns are the history.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await form.getByRole('button', { name: 'Start from a dataset scene' }).click();
    const scene = form.getByLabel('Dataset scene');
    await expect.poll(() => scene.locator('option').count()).toBe(2);
    await scene.selectOption({ index: 1 });
    await form.getByRole('button', { name: 'Start the conversation' }).click();
    await expect
      .poll(() => characters.allInnerTexts())
      .toEqual([expect.stringContaining('Well enough, despite the cannons.')]);
    expect(await page.getByTestId('message-user').first().innerText()).toContain('Good evening.');
    await expect.poll(() => page.getByRole('complementary', { name: 'Conversations' }).locator('li').count()).toBe(2);
  });
});
