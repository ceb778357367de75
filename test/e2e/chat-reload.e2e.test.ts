import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../main/core/studio-store';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { startServe } from '../support/serve';
import { baselineConversation, useServePage } from '../support/serve-page';

/**
 * A reply in the middle of being written, in Chromium against `serve`: a reload shows all it had
 * said and goes on from there, nothing twice; a studio killed under it leaves what it had said,
 * marked as cut off by the studio closing, with Retry. Light and dark.
 */

const session = useServePage('cs-e2e-chat-reload-', { width: 1024, height: 700 });

const STORY = Array.from({ length: 60 }, (_, i) => `note${i}`).join(' ');
/** The first ten words: where the story waits until the test lets it go on. */
const TEN = STORY.split(' ').slice(0, 10).join(' ') + ' ';
let server: FakeLlmServer;
let release: () => void;
beforeEach(async () => {
  const released = new Promise<void>((resolve) => (release = resolve));
  server = await startFakeLlmServer({
    chunkDelayMs: 10,
    responder: (req) =>
      req.messages.at(-1)?.content?.includes('story')
        ? { text: STORY, hold: { afterChunks: 10, until: () => released } }
        : { text: 'Good evening.' },
  });
});
afterEach(async () => {
  release();
  await server.close();
});

/** Opens the Chat tab on the conversation and asks for the story; resolves once ten words are in. */
async function tellStory(): Promise<void> {
  const { page } = session;
  await page.goto(session.serve.url);
  await baselineConversation(page, server.baseURL, ['Good evening.']);
  await page.reload();
  await page.getByRole('tab', { name: 'Chat' }).click();
  const composer = page.getByLabel('Message to Beethoven');
  await composer.fill('Tell me a story.');
  await composer.press('Enter');
  await expect.poll(() => page.getByTestId('message-character').last().innerText()).toContain('note9');
}

describe('a reply being written', () => {
  it('shows all it had said after a reload, and goes on from there', async () => {
    const { page } = session;
    await tellStory();
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    const reply = page.getByTestId('message-character').last();
    // Everything said before the reload, at once, still being written.
    await expect.poll(() => reply.locator('.bubble-text').innerText()).toBe(TEN.trim());
    await reply.getByLabel('writing').waitFor();
    await page.getByRole('button', { name: '■ Stop' }).waitFor();
    await session.shot('chat-reload-mid-reply');
    release();
    await reply.getByLabel('writing').waitFor({ state: 'detached' });
    // The whole story once: nothing shown twice, nothing skipped.
    expect(await reply.locator('.bubble-text').innerText()).toBe(STORY);
  });

  it('keeps what it had said when the studio is killed under it, marked cut off, with Retry', async () => {
    const { page } = session;
    await tellStory();
    // Stored as it goes (within a second): what a crash leaves behind.
    const db = new Database(path.join(session.data.dir, DATABASE_FILE), { readonly: true });
    try {
      await expect
        .poll(() => db.prepare(`SELECT text FROM chat_messages WHERE state = 'streaming'`).pluck().get())
        .toBe(TEN);
    } finally {
      db.close();
    }
    const killed = new Promise((resolve) => session.serve.child.once('exit', resolve));
    session.serve.child.kill('SIGKILL');
    await killed;
    session.serve = await startServe(session.data.dir);
    for (const theme of ['light', 'dark'] as const) {
      await page.goto(session.serve.url);
      if (theme === 'dark') await page.getByRole('button', { name: 'Switch to the dark theme' }).click();
      await page.getByRole('tab', { name: 'Chat' }).click();
      const reply = page.getByTestId('message-character').last();
      await expect.poll(() => reply.locator('.bubble-text').innerText()).toBe(TEN.trim());
      expect(await reply.getByRole('alert').innerText()).toMatch(
        /^Cut off: The studio closed while this reply was being written; what it had written is kept\./,
      );
      expect(await reply.locator('.bubble-head').innerText()).toContain('cut off');
      await session.shot(`chat-reload-killed-${theme}`);
    }
    await page.getByRole('button', { name: 'Switch to the light theme' }).click();
    // Retry writes it again, as another alternative; the cut one stays.
    release();
    await page.getByTestId('message-character').last().getByRole('button', { name: 'Retry' }).click();
    const again = page.getByTestId('message-character').last();
    await expect.poll(() => again.getByTestId('alternative-index').innerText()).toBe('2 / 2');
    await expect.poll(() => again.locator('.bubble-text').innerText()).toBe(STORY);
  });
});
