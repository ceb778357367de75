import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationView, SceneId } from '../../common/contract';
import { fakeProviderDraft } from '../support/drafts';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { pageInvoke, useServePage } from '../support/serve-page';

/**
 * The settings of an open conversation in Chromium against `serve` (1280×800), with the fake LLM
 * server as two baseline models: change the model, the sampling and the scene (typed, then from a
 * dataset scene); the next reply is made with them, and each reply's details say what made it.
 */

const session = useServePage('cs-e2e-chat-settings-', { width: 1280, height: 800 });
const { shot } = session;
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlmServer({
    models: ['fake-model', 'other-model'],
    responder: (req) => ({ text: `${req.model} answers “${req.messages.at(-1)?.content ?? ''}”.` }),
  });
});
afterEach(async () => {
  await server.close();
});

describe('conversation settings', () => {
  it('change the model, sampling and scene for the next reply; each reply says what made it', async () => {
    const page = session.page;
    await page.goto(session.serve.url);
    const { id: characterId } = await api<{ id: string }>('characters/create', {
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      era: '',
      notes: '',
    });
    const provider = await api<{ id: string }>('providers/create', fakeProviderDraft(server.baseURL, 'Fake'));
    // A paid endpoint's price for the second model only: its replies' calls are costed.
    await api('prices/set', { model: 'other-model', promptPerMillion: 1000, completionPerMillion: 1000 });
    const { id: sceneId } = await api<{ id: SceneId }>('scenes/create', {
      characterId,
      doc: {
        type: 'letter',
        location: 'Heiligenstadt',
        time: 'October 1802',
        background: 'He writes to his brothers.',
        people: [],
        experienceBackground: 'Alone, he writes the testament.',
        turns: [{ speaker: 'Beethoven', kind: 'speaking', text: 'O you men.' }],
      },
    });
    const made = await api<ConversationView>('chat/create', {
      characterId,
      target: { kind: 'baseline', providerId: provider.id, model: 'fake-model' },
      runtime: 'endpoint',
      setting: { location: 'Vienna, 1809', status: 'Cannons outside.' },
      title: 'An evening',
    });
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    const composer = page.getByLabel('Message to Beethoven');
    const characters = page.getByTestId('message-character');
    const setup = page.getByTestId('conversation-setup');
    await expect
      .poll(() => setup.innerText())
      .toContain('baseline fake-model · Vienna, 1809 · temperature 0.2 · top-p 0.95');

    await composer.fill('Good evening.');
    await composer.press('Enter');
    await expect.poll(() => characters.first().innerText()).toContain('fake-model answers');

    // The settings: another model, warmer sampling with a seed, a new place.
    await page.getByRole('button', { name: 'Conversation settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Conversation settings' });
    expect(await dialog.getByLabel('Model').inputValue()).toBe('fake-model');
    expect(await dialog.getByLabel('Temperature').inputValue()).toBe('0.2');
    expect(await dialog.getByLabel('Location and time').inputValue()).toBe('Vienna, 1809');
    await dialog.getByLabel('Model').fill('other-model');
    await dialog.getByLabel('Temperature').fill('3');
    await dialog.getByText('A number from 0').waitFor();
    expect(await dialog.getByRole('button', { name: 'Save for the next replies' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Temperature').fill('0.7');
    await dialog.getByLabel('Max tokens').fill('64');
    await dialog.getByLabel('Seed').fill('5');
    await dialog.getByLabel('Never end on its own').check();
    await dialog.getByLabel('Location and time').fill('Baden, summer 1823');
    expect(await dialog.getByLabel('You speak as').inputValue()).toBe('');
    await dialog.getByLabel('You speak as').fill('Ries');
    await shot('chat-settings-01-dialog');
    await dialog.getByRole('button', { name: 'Save for the next replies' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect
      .poll(() => setup.innerText())
      .toContain(
        'baseline other-model · Baden, summer 1823 · temperature 0.7 · top-p 0.95 · ≤ 64 tokens · seed 5 · never ends',
      );

    await composer.fill('How is the water?');
    await composer.press('Enter');
    await expect.poll(() => characters.nth(1).innerText()).toContain('other-model answers');
    // The user's messages: the first as the paper's interviewer, the next as the name given.
    const mine = page.getByTestId('message-user');
    expect(await mine.first().locator('.bubble-speaker').innerText()).toBe('You');
    expect(await mine.nth(1).locator('.bubble-speaker').innerText()).toBe('You, as Ries');
    const request = server.requests.filter((r) => r.chat).at(-1)!.chat!;
    expect(request).toMatchObject({ model: 'other-model', temperature: 0.7, max_tokens: 64, seed: 5 });
    expect(request.body).toMatchObject({ ignore_eos: true });
    expect(request.messages[0]!.content).toMatch(/\n\nLocation: Baden, summer 1823\nStatus: Cannons outside\.$/);

    // Each reply's details: what made it, the first one unchanged.
    await characters.first().hover();
    await characters.first().getByRole('button', { name: 'Details' }).click();
    await characters.nth(1).hover();
    await characters.nth(1).getByRole('button', { name: 'Details' }).click();
    const details = page.getByRole('list', { name: 'How this reply was made' });
    await expect.poll(() => details.count()).toBe(2);
    expect(await details.first().innerText()).toContain('Model: fake-model');
    expect(await details.first().innerText()).toContain('temperature 0.2');
    expect(await details.nth(1).innerText()).toContain('Model: other-model');
    expect(await details.nth(1).innerText()).toContain('seed 5 · never ends');
    // The reply's call: tokens and time; its cost where the model has a price.
    await expect.poll(() => details.first().innerText()).toMatch(/\nCall: \d+ in · \d+ out · \d+\.\d\d s$/);
    await expect
      .poll(() => details.nth(1).innerText())
      .toMatch(/\nCall: \d+ in · \d+ out · \d+\.\d\d s · cost \$[\d.]+$/);
    await shot('chat-settings-02-details');

    // The scene from a dataset scene: its place and status; the conversation stays.
    await page.getByRole('button', { name: 'Conversation settings' }).click();
    expect(await dialog.getByLabel('Never end on its own').isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Take it from a dataset scene' }).click();
    const picker = dialog.getByLabel('Dataset scene');
    await expect.poll(() => picker.locator('option').count()).toBe(2);
    await picker.selectOption(sceneId);
    await dialog.getByRole('button', { name: 'Save for the next replies' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => setup.innerText()).toContain('Heiligenstadt, October 1802');
    await expect.poll(() => page.locator('.chat-scene').innerText()).toBe('Alone, he writes the testament.');
    expect(await characters.count()).toBe(2);

    // A reload keeps the settings.
    await page.reload();
    await page.getByRole('tab', { name: 'Chat' }).click();
    await expect.poll(() => setup.innerText()).toContain('temperature 0.7');
    const view = await api<ConversationView>('chat/get', { id: made.conversation.id });
    expect(view.conversation.sampling).toEqual({
      temperature: 0.7,
      topP: 0.95,
      maxTokens: 64,
      seed: 5,
      ignoreEos: true,
    });
  });
});
