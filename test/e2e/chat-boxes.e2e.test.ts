import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationView } from '../../common/contract';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { beethovenWithFakeProvider, pageInvoke, useServePage } from '../support/serve-page';

/**
 * The chat's text boxes in Chromium: the message box and the edit box grow with what is typed,
 * long lines that wrap included, up to a height and then scroll.
 */

const session = useServePage('cs-e2e-chat-boxes-', { width: 1024, height: 700 });
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlmServer();
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
    const { character, provider } = await beethovenWithFakeProvider(page, server.baseURL);
    const made = await api<ConversationView>('chat/create', {
      characterId: character.id,
      target: { kind: 'baseline', providerId: provider.id, model: 'fake-model' },
      runtime: 'endpoint',
      setting: { location: 'Vienna', status: '' },
    });
    await api('chat/send', { conversationId: made.conversation.id, text: 'Good evening' });
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
});
