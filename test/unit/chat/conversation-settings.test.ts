import { describe, expect, it } from 'vitest';
import type { SceneId } from '../../../common/contract';
import { DEFAULT_CHAT_SAMPLING } from '../../../main/core/runtimes/chat-runtime';
import { call, callError } from '../../support/studio';
import { chatBench } from './chat-fixture';

/**
 * The settings of an existing conversation (`chat/update`, issue #11 point 4): who answers, through
 * which runtime, with which sampling, in which scene. A change applies to the next reply; the
 * replies already written keep recording what produced them.
 */
const bench = chatBench({ models: ['fake-model', 'other-model'] });

async function aScene(characterId = bench.characterId): Promise<SceneId> {
  const { id } = await call(bench.studio, 'scenes/create', {
    characterId,
    doc: {
      type: 'visit',
      location: 'Heiligenstadt',
      time: 'October 1802',
      background: 'He writes to his brothers.',
      people: [],
      experienceBackground: 'Alone, he writes the testament.',
      turns: [{ speaker: 'Beethoven', kind: 'speaking', text: 'O you men who think me hostile.' }],
    },
  });
  return id;
}

/** A dataset scene where `other` speaks first, then Beethoven answers. */
async function aSceneWith(other: string): Promise<SceneId> {
  const { id } = await call(bench.studio, 'scenes/create', {
    characterId: bench.characterId,
    doc: {
      type: 'lesson',
      location: 'Bonn',
      time: '1783',
      background: 'An organ lesson.',
      people: [other],
      experienceBackground: '',
      turns: [
        { speaker: other, kind: 'speaking', text: 'Again, slower.' },
        { speaker: 'Beethoven', kind: 'speaking', text: 'Yes, Herr Neefe.' },
      ],
    },
  });
  return id;
}

describe('the settings of a conversation', () => {
  it('new conversations take the paper’s sampling, or what they were created with', async () => {
    const { conversation } = await bench.open();
    expect(conversation.sampling).toEqual(DEFAULT_CHAT_SAMPLING);
    const made = await call(bench.studio, 'chat/create', {
      characterId: bench.characterId,
      target: { kind: 'baseline', providerId: bench.providerId, model: 'fake-model' },
      runtime: 'endpoint',
      sampling: { temperature: 0.9, seed: 7 },
    });
    expect(made.conversation.sampling).toEqual({ ...DEFAULT_CHAT_SAMPLING, temperature: 0.9, seed: 7 });
    // Conversations stored before the setting existed read the column's default: the same settings.
    const column = bench.studio.db
      .prepare("SELECT dflt_value FROM pragma_table_info('conversations') WHERE name = 'sampling'")
      .pluck()
      .get() as string;
    expect(JSON.parse(column.slice(1, -1))).toEqual(DEFAULT_CHAT_SAMPLING);
  });

  it('changes the model, sampling and scene for the next reply; earlier replies keep what made them', async () => {
    const { conversation } = await bench.open();
    const id = conversation.id;
    const first = await call(bench.studio, 'chat/send', { conversationId: id, text: 'Good evening' });

    const sampling = { temperature: 0.7, topP: 0.8, maxTokens: 64, seed: 11 };
    const view = await call(bench.studio, 'chat/update', {
      id,
      target: { kind: 'baseline', providerId: bench.providerId, model: 'other-model' },
      sampling,
      setting: { location: '  Baden, summer 1823 ', status: 'Taking the cure.' },
    });
    expect(view.conversation).toMatchObject({
      target: { model: 'other-model' },
      sampling,
      setting: { location: 'Baden, summer 1823', status: 'Taking the cure.' },
    });

    const second = await call(bench.studio, 'chat/send', { conversationId: id, text: 'How is the water?' });
    const request = bench.server.requests.filter((r) => r.chat).at(-1)!.chat!;
    expect(request).toMatchObject({ model: 'other-model', temperature: 0.7, top_p: 0.8, max_tokens: 64, seed: 11 });
    expect(request.messages[0]!.content).toMatch(/\n\nLocation: Baden, summer 1823\nStatus: Taking the cure\.$/);
    expect(second.producer).toMatchObject({ model: 'other-model', sampling });
    // A reply's own override still applies to that reply only.
    const third = await call(bench.studio, 'chat/reply', {
      conversationId: id,
      parentId: second.parentId!,
      sampling: { maxTokens: 5 },
    });
    expect(third.producer!.sampling).toEqual({ ...sampling, maxTokens: 5 });

    // The first reply still says what produced it; a reload shows the new settings.
    const reloaded = await call(bench.studio, 'chat/get', { id });
    expect(reloaded.path[1]!.message.id).toBe(first.id);
    expect(reloaded.path[1]!.message.producer).toMatchObject({ model: 'fake-model', sampling: DEFAULT_CHAT_SAMPLING });
    expect(reloaded.conversation.sampling).toEqual(sampling);

    // Replaced whole: without a seed, replies sample at random again.
    const unseeded = await call(bench.studio, 'chat/update', { id, sampling: { ...sampling, seed: undefined } });
    expect(unseeded.conversation.sampling).toEqual({ temperature: 0.7, topP: 0.8, maxTokens: 64 });
  });

  it('"never end on its own" is kept with the sampling, sent as ignore_eos and recorded with the reply', async () => {
    const { conversation } = await bench.open();
    const id = conversation.id;
    const sampling = { temperature: 1, topP: 0.95, maxTokens: 32_768, seed: 3, ignoreEos: true };
    const view = await call(bench.studio, 'chat/update', { id, sampling });
    expect(view.conversation.sampling).toEqual(sampling);
    const reply = await call(bench.studio, 'chat/send', { conversationId: id, text: 'Play on.' });
    const request = bench.server.requests.filter((r) => r.chat).at(-1)!.chat!;
    expect(request.body).toMatchObject({ ignore_eos: true, max_tokens: 32_768, seed: 3 });
    expect(reply.producer!.sampling).toEqual(sampling);
    // The call's record says so too (Settings › LLM calls).
    const params = bench.studio.db.prepare('SELECT params FROM llm_calls ORDER BY rowid DESC LIMIT 1').pluck().get();
    expect(JSON.parse(params as string)).toMatchObject({ ignoreEos: true, maxTokens: 32_768 });
    // One reply may end on its own again; the conversation's setting stays.
    await call(bench.studio, 'chat/reply', {
      conversationId: id,
      parentId: reply.parentId!,
      sampling: { ignoreEos: false },
    });
    expect(bench.server.requests.filter((r) => r.chat).at(-1)!.chat!.body).not.toHaveProperty('ignore_eos');
    expect((await call(bench.studio, 'chat/get', { id })).conversation.sampling).toEqual(sampling);
    // Past the limit: refused with the limit, nothing changed.
    const long = await callError(bench.studio, 'chat/update', { id, sampling: { ...sampling, maxTokens: 40_000 } });
    expect(long.code).toBe('invalid_argument');
    expect((await call(bench.studio, 'chat/get', { id })).conversation.sampling).toEqual(sampling);
  });

  it('takes the scene from a dataset scene, keeping the history', async () => {
    const { conversation } = await bench.open();
    await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Hello' });
    const sceneId = await aScene();
    const view = await call(bench.studio, 'chat/update', { id: conversation.id, settingFromSceneId: sceneId });
    expect(view.conversation.setting).toEqual({
      location: 'Heiligenstadt, October 1802',
      status: 'Alone, he writes the testament.',
    });
    expect(view.path).toHaveLength(2);
  });

  it('speaks as the name the user gives, from the next message on; a scene’s other person, else “Man”', async () => {
    const { conversation } = await bench.open();
    const id = conversation.id;
    expect(conversation.userName).toBe('');
    const asMan = await call(bench.studio, 'chat/send', { conversationId: id, text: 'Good evening' });
    const renamed = await call(bench.studio, 'chat/update', { id, userName: '  A collector \n from London ' });
    expect(renamed.conversation.userName).toBe('A collector from London');
    const asCollector = await call(bench.studio, 'chat/send', { conversationId: id, text: 'May I see the sketches?' });
    const speakers = async () =>
      (await call(bench.studio, 'chat/get', { id })).path
        .filter((s) => s.message.role === 'user')
        .map((s) => s.message.speaker);
    expect(await speakers()).toEqual(['Man', 'A collector from London']);
    // Other settings leave the name alone; an empty one goes back to the paper's interviewer.
    await call(bench.studio, 'chat/update', { id, setting: { location: 'Baden', status: 'Summer.' } });
    expect((await call(bench.studio, 'chat/get', { id })).conversation.userName).toBe('A collector from London');
    await call(bench.studio, 'chat/update', { id, userName: '' });
    await call(bench.studio, 'chat/send', { conversationId: id, text: 'Goodbye' });
    expect(await speakers()).toEqual(['Man', 'A collector from London', 'Man']);
    expect([asMan.parentId, asCollector.parentId].every(Boolean)).toBe(true);

    // From a dataset scene: its other person goes on speaking, unless a name is given.
    const sceneId = await aSceneWith('Neefe');
    const fromScene = await call(bench.studio, 'chat/create', {
      characterId: bench.characterId,
      target: { kind: 'baseline', providerId: bench.providerId, model: 'fake-model' },
      runtime: 'endpoint',
      sceneId,
    });
    expect(fromScene.conversation.userName).toBe('Neefe');
    const named = await call(bench.studio, 'chat/create', {
      characterId: bench.characterId,
      target: { kind: 'baseline', providerId: bench.providerId, model: 'fake-model' },
      runtime: 'endpoint',
      sceneId,
      userName: 'Ries',
    });
    await call(bench.studio, 'chat/send', { conversationId: named.conversation.id, text: 'Master?' });
    const path = (await call(bench.studio, 'chat/get', { id: named.conversation.id })).path;
    expect(path.filter((s) => s.message.role === 'user').map((s) => s.message.speaker)).toEqual(['Neefe', 'Ries']);
    const long = await callError(bench.studio, 'chat/update', { id, userName: 'x'.repeat(201) });
    expect(long.code).toBe('invalid_argument');
  });

  it('refuses what cannot answer or does not fit, with a reason, and changes nothing', async () => {
    const { conversation } = await bench.open();
    const id = conversation.id;
    const before = (await call(bench.studio, 'chat/get', { id })).conversation;

    const embedded = await callError(bench.studio, 'chat/update', { id, runtime: 'embedded' });
    expect(embedded).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/endpoint runtime/) });

    const both = await callError(bench.studio, 'chat/update', {
      id,
      setting: { location: 'x', status: 'y' },
      settingFromSceneId: await aScene(),
    });
    expect(both.message).toMatch(/not both/);

    const mozart = await call(bench.studio, 'characters/create', {
      fullName: 'Wolfgang Amadeus Mozart',
      shortName: 'Mozart',
      era: '',
      notes: '',
    });
    const foreign = await callError(bench.studio, 'chat/update', {
      id,
      settingFromSceneId: await aScene(mozart.id),
    });
    expect(foreign).toMatchObject({ code: 'not_found', message: expect.stringMatching(/not one of Beethoven's/) });

    const hot = await callError(bench.studio, 'chat/update', {
      id,
      sampling: { temperature: 5, topP: 0.9, maxTokens: 10 },
    });
    expect(hot.code).toBe('invalid_argument');
    const partial = await callError(bench.studio, 'chat/update', { id, sampling: { temperature: 0.5 } });
    expect(partial.code).toBe('invalid_argument');

    const gone = await callError(bench.studio, 'chat/update', {
      id,
      target: { kind: 'baseline', providerId: 'nope' as never, model: 'x' },
    });
    expect(gone.code).toBe('not_found');

    expect((await call(bench.studio, 'chat/get', { id })).conversation).toEqual(before);
  });
});
