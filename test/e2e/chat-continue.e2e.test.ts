import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeChatRequest, type FakeLlmServer } from '../support/fake-llm-server';
import { baselineConversation, useServePage } from '../support/serve-page';

/**
 * Continue on the chat screen, in Chromium against `serve`: a reply stopped by the user, or cut off
 * by a server that dropped it, goes on from its last word in the same message (no alternative
 * beside it), against the fake LLM server acting as a server that continues a final assistant
 * message (llama.cpp server, Ollama).
 */

const session = useServePage('cs-e2e-chat-continue-', { width: 1024, height: 700 });

const STORY = Array.from({ length: 24 }, (_, i) => `note${i}`).join(' ');

function prefill(req: FakeChatRequest) {
  const last = req.messages.at(-1)!;
  return last.role === 'assistant' ? { text: STORY.slice(last.content.length) } : { text: STORY };
}

let server: FakeLlmServer;
/** Resolves once the server holds the first reply mid-stream (until the studio stops it). */
let held: Promise<void>;
beforeEach(async () => {
  let hold!: () => void;
  held = new Promise((resolve) => (hold = resolve));
  let stories = 0;
  server = await startFakeLlmServer({
    chunkDelayMs: 5,
    responder: (req) =>
      // The first story is held after five notes, until Stop; the rest are answered whole.
      req.messages.at(-1)?.role === 'user' && stories++ === 0
        ? { text: STORY, hold: { afterChunks: 5, until: () => (hold(), new Promise<void>(() => undefined)) } }
        : prefill(req),
  });
});
afterEach(async () => {
  await server.close();
});

describe('Continue', () => {
  it('goes on from a stopped reply, and from one cut off, in the same message', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    await baselineConversation(page, server.baseURL, []);
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    const composer = page.getByLabel('Message to Beethoven');
    await composer.fill('Tell me a story.');
    await composer.press('Enter');
    await held;
    await page.getByRole('button', { name: '■ Stop' }).click();
    const reply = page.getByTestId('message-character');
    await reply.getByText('stopped', { exact: true }).waitFor();
    const stoppedText = await reply.locator('.bubble-text').innerText();
    expect(STORY.startsWith(stoppedText) && stoppedText.length < STORY.length).toBe(true);
    await reply.hover();
    await session.shot('chat-continue-stopped');

    await reply.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => reply.locator('.bubble-text').innerText()).toBe(STORY);
    await reply.getByLabel('writing').waitFor({ state: 'detached' });
    // One message, grown in place: no alternatives, no "stopped", no Continue any more.
    expect(await reply.count()).toBe(1);
    expect(await reply.getByTestId('alternative-index').count()).toBe(0);
    expect(await reply.getByText('stopped', { exact: true }).count()).toBe(0);
    expect(await reply.getByRole('button', { name: 'Continue' }).count()).toBe(0);

    // A reply the server drops is cut off: Retry and Continue side by side; Continue finishes it.
    server.enqueueFaults({ kind: 'drop', afterChunks: 4 });
    await composer.fill('Another one.');
    await composer.press('Enter');
    const second = page.getByTestId('message-character').last();
    await second.getByText('cut off', { exact: true }).waitFor();
    await second.getByRole('button', { name: 'Retry' }).waitFor();
    await session.shot('chat-continue-cut');
    expect(await second.locator('.bubble-text').innerText()).toBe('note0 note1 note2 note3');
    await second.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => second.locator('.bubble-text').innerText()).toBe(STORY);
    await second.getByLabel('writing').waitFor({ state: 'detached' });
    expect(await second.getByText('cut off', { exact: true }).count()).toBe(0);
    expect(await page.getByTestId('message-character').count()).toBe(2);
    // The earlier reply is no longer the last: it offers no Continue.
    expect(await page.getByRole('button', { name: 'Continue' }).count()).toBe(0);
  });
});
