import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, QuestionSetDetail } from '../../../common/contract';
import { startFakeLlmServer, type FakeChatRequest, type FakeLlmServer } from '../../support/fake-llm-server';
import { fixture } from '../../support/paths';
import { beethovenWithFakeProvider, call, callError, makeStudio } from '../../support/studio';

// Question sets on a real studio (real SQLite, the real gateway, the fake OpenAI-compatible server):
// the paper's two question files import as they are, a file of another shape is refused naming the
// file and the entry (and nothing is saved), edits make versions and older ones stay readable,
// generation is one recorded call per topic and mode plus the five shared anachronism probes.

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let characterId: CharacterId;
let providerId: Awaited<ReturnType<typeof beethovenWithFakeProvider>>['providerId'];

const SINGLE = 'generated_agent_interview_Beethoven.json';
const MULTI = 'generated_agent_interview_for_multiturn_Beethoven.json';

function byTopic(detail: QuestionSetDetail): Record<string, number> {
  const out: Record<string, number> = {};
  for (const q of detail.questions) out[q.topicId] = (out[q.topicId] ?? 0) + 1;
  return out;
}

/** Answers a question-writing call with `n` numbered questions naming the topic and mode it was asked. */
function questionWriter(req: FakeChatRequest): string {
  const user = req.messages.at(-1)!.content;
  const n = Number(/holding exactly (\d+) strings/.exec(user)?.[1] ?? 0);
  const goals = /Write \d+ goals/.test(user);
  const topic = /about (their life|the people in their life|what they valued)/.exec(user)?.[1] ?? '?';
  const list = Array.from({ length: n }, (_, i) => `${goals ? 'Goal' : 'Question'} ${i + 1} on ${topic}?`);
  return `Here they are:\n\`\`\`json\n${JSON.stringify({ questions: list })}\n\`\`\``;
}

beforeAll(async () => {
  env = makeStudio();
  server = await startFakeLlmServer({ responder: questionWriter });
  ({ characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL));
}, 60_000);
afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
  await server?.close();
});

describe('importing the paper question files', () => {
  it('reads the single-turn file as it is: 82 questions, counts per topic, the 5 anachronism probes', async () => {
    const detail = await call(env.studio, 'eval/questions/import', {
      characterId,
      fileName: SINGLE,
      content: fs.readFileSync(fixture(SINGLE), 'utf8'),
    });
    const raw = JSON.parse(fs.readFileSync(fixture(SINGLE), 'utf8')) as { topic_id: string; question: string }[];
    expect(detail.questions).toHaveLength(raw.length);
    expect(detail.questions.every((q) => q.mode === 'single')).toBe(true);
    const expected: Record<string, number> = {};
    for (const r of raw) expected[r.topic_id] = (expected[r.topic_id] ?? 0) + 1;
    expect(byTopic(detail)).toEqual(expected);
    expect(byTopic(detail)['topic-4']).toBe(5);
    expect(detail.questions.map((q) => q.text)).toEqual(raw.map((r) => r.question.trim()));
    expect(detail.set).toMatchObject({ origin: 'imported', source: SINGLE, currentVersion: 1 });
    expect(detail.set.counts).toMatchObject({ single: raw.length, multi: 0 });
  });

  it('reads the multi-turn file as goals (mode from the file name)', async () => {
    const detail = await call(env.studio, 'eval/questions/import', {
      characterId,
      fileName: MULTI,
      content: fs.readFileSync(fixture(MULTI), 'utf8'),
    });
    const raw = JSON.parse(fs.readFileSync(fixture(MULTI), 'utf8')) as { topic_id: string }[];
    expect(detail.questions).toHaveLength(raw.length);
    expect(detail.questions.every((q) => q.mode === 'multi')).toBe(true);
    expect(byTopic(detail)['topic-4']).toBeUndefined();
    expect(Object.values(byTopic(detail)).reduce((a, b) => a + b, 0)).toBe(raw.length);
  });

  it('refuses a file of another shape naming the file and the entry, and saves nothing', async () => {
    const before = (await call(env.studio, 'eval/questions/list', { characterId })).length;
    const entries = [
      { topic_id: 'topic-1', topic: 'x', question: 'Where were you born?' },
      { topic_id: 'topic-1', topic: 'x', question: 'Who taught you?' },
      { topic_id: 'topic-2', topic: 'x', prompt: 'What of your father?' },
    ];
    const error = await callError(env.studio, 'eval/questions/import', {
      characterId,
      fileName: 'mine.json',
      content: JSON.stringify(entries),
    });
    expect(error.code).toBe('unsupported_file');
    expect(error.message).toContain('mine.json, entry 3');
    expect(error.message).toContain('"question"');
    const notJson = await callError(env.studio, 'eval/questions/import', {
      characterId,
      fileName: 'notes.json',
      content: 'Where were you born?\nWho taught you?',
    });
    expect(notJson.message).toMatch(/^notes\.json is not JSON/);
    const object = await callError(env.studio, 'eval/questions/import', {
      characterId,
      fileName: 'obj.json',
      content: JSON.stringify({ questions: entries }),
    });
    expect(object.message).toContain('obj.json holds a JSON object, not a list');
    expect(await call(env.studio, 'eval/questions/list', { characterId })).toHaveLength(before);
  });
});

describe('editing a set', () => {
  it('each save is a new version; older versions stay readable; a stale save is refused', async () => {
    const made = await call(env.studio, 'eval/questions/create', {
      characterId,
      name: 'Hand set',
      questions: [
        { topicId: 'topic-1', text: 'Where were you born?', mode: 'single' },
        { topicId: 'topic-2', text: 'Who was your first teacher?', mode: 'single' },
        { topicId: 'topic-3', text: 'What do you value most?', mode: 'single' },
      ],
    });
    const [born, teacher, value] = made.questions;
    const saved = await call(env.studio, 'eval/questions/save', {
      setId: made.set.id,
      baseVersion: 1,
      questions: [
        { key: value!.key, topicId: 'topic-3', text: 'What do you value most in a friend?', mode: 'single' },
        { key: born!.key, topicId: 'topic-1', text: 'Where were you born?', mode: 'single' },
        { topicId: 'topic-1', text: 'Find out how he lost his hearing.', mode: 'multi' },
      ],
    });
    expect(saved.version).toBe(2);
    expect(saved.questions.map((q) => q.text)).toEqual([
      'What do you value most in a friend?',
      'Where were you born?',
      'Find out how he lost his hearing.',
    ]);
    expect(saved.questions[0]!.key).toBe(value!.key);
    expect(saved.set.versions.at(-1)!.note).toBe('added 1, edited 1, deleted 1, reordered');
    const old = await call(env.studio, 'eval/questions/get', { setId: made.set.id, version: 1 });
    expect(old.questions.map((q) => q.text)).toEqual([born!.text, teacher!.text, value!.text]);
    const stale = await callError(env.studio, 'eval/questions/save', {
      setId: made.set.id,
      baseVersion: 1,
      questions: [],
    });
    expect(stale.code).toBe('conflict');
    const empty = await callError(env.studio, 'eval/questions/save', {
      setId: made.set.id,
      baseVersion: 2,
      questions: [{ topicId: 'topic-1', text: '   ', mode: 'single' }],
    });
    expect(empty.message).toBe('Question 1 is empty: write it or delete it.');
    expect((await call(env.studio, 'eval/questions/get', { setId: made.set.id })).version).toBe(2);
  });
});

describe('generating a set from the profile', () => {
  it('asks one recorded call per topic and mode and adds the five shared probes', async () => {
    const before = server.requests.length;
    const detail = await call(env.studio, 'eval/questions/generate', {
      characterId,
      providerId,
      perTopic: 4,
      goalsPerTopic: 2,
      name: 'Generated',
    });
    const calls = server.requests.slice(before).filter((r) => r.chat);
    expect(calls).toHaveLength(6);
    expect(calls.every((r) => r.chat!.messages.at(-1)!.content.includes('Ludwig van Beethoven'))).toBe(true);
    expect(detail.set.origin).toBe('generated');
    expect(detail.set.source).toContain('questions@1');
    expect(detail.set.callIds).toHaveLength(6);
    expect(detail.set.counts).toEqual({
      single: 3 * 4 + 5,
      multi: 3 * 2,
      byTopic: { 'topic-1': 6, 'topic-2': 6, 'topic-3': 6, 'topic-4': 5 },
    });
    // Questions by topic, the five probes, then the goals.
    expect(detail.questions.map((q) => `${q.topicId}:${q.mode}`)).toEqual([
      ...['topic-1', 'topic-2', 'topic-3'].flatMap((t) => Array.from({ length: 4 }, () => `${t}:single`)),
      ...Array.from({ length: 5 }, () => 'topic-4:single'),
      ...['topic-1', 'topic-2', 'topic-3'].flatMap((t) => [`${t}:multi`, `${t}:multi`]),
    ]);
    const recorded = await call(env.studio, 'calls/get', { id: detail.set.callIds[0]! });
    expect(recorded.length).toBeGreaterThan(0);
  });

  it('an answer with no question fails the generation with its reason and saves no set', async () => {
    const before = (await call(env.studio, 'eval/questions/list', { characterId })).length;
    server.setResponder(() => 'I would rather not.');
    try {
      const error = await callError(env.studio, 'eval/questions/generate', { characterId, providerId, perTopic: 2 });
      expect(error.message).toMatch(/^Writing questions on .+ failed: .*held no question/);
    } finally {
      server.setResponder(questionWriter);
    }
    expect(await call(env.studio, 'eval/questions/list', { characterId })).toHaveLength(before);
  });
});
