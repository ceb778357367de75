import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, LlmCall, Scene, SceneId } from '../../../common/contract';
import { Studio } from '../../../main/core/studio';
import { runCliIn } from '../../support/cli';
import { generationSettings } from '../../support/drafts';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';
import { studioResponder } from '../../support/studio-responder';
import { addFakeProvider, beethovenWithProfile, call } from '../../support/studio';

// `scenes provenance`: the Dataset tab's Provenance dialog at the command line. The scenes are made
// by a real generation job against the fake OpenAI-compatible server, so the calls shown are the
// ones the gateway put on record, compared here with what the server was sent and answered.

const tmp = tempDir('cs-provenance-cli-');
let server: FakeLlmServer;
let normal: Scene;
let protective: Scene;
let hand: SceneId;
let characterId: CharacterId;
/** Each chat request the fake server answered: the messages it was sent and the text it answered. */
const exchanges: { messages: { role: string; content: string }[]; answer: string }[] = [];

const cli = (args: string[]) => runCliIn(tmp.dir, args);

beforeAll(async () => {
  const respond = studioResponder();
  server = await startFakeLlmServer({
    responder: (req) => {
      const reply = respond(req);
      exchanges.push({ messages: req.messages, answer: typeof reply === 'string' ? reply : reply.text });
      return reply;
    },
  });
  const studio = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test' });
  try {
    characterId = await beethovenWithProfile(studio);
    const providerId = await addFakeProvider(studio, server.baseURL);
    const job = await call(studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 4, scenesPerCall: 4, protectiveShare: 0.2 }),
    });
    expect((await studio.generation.whenIdle(job.id)).status).toBe('succeeded');
    const { scenes } = await call(studio, 'scenes/list', { characterId, limit: 50 });
    normal = await call(studio, 'scenes/get', { id: scenes.find((s) => !s.protective)!.id });
    protective = await call(studio, 'scenes/get', { id: scenes.find((s) => s.protective)!.id });
    hand = (
      await call(studio, 'scenes/create', {
        characterId,
        doc: {
          type: 'Walk',
          location: 'Heiligenstadt',
          time: '1802',
          background: 'Beethoven walks alone.',
          people: [],
          experienceBackground: '',
          turns: [{ speaker: 'Beethoven', kind: 'thinking', text: 'Nothing.' }],
        },
      })
    ).id;
  } finally {
    studio.close();
  }
}, 120_000);
afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

/** What the fake server was sent and answered for the request whose user message contains `text`. */
function exchange(text: string): { messages: { role: string; content: string }[]; answer: string } {
  const found = exchanges.filter((e) => e.messages.some((m) => m.content.includes(text)));
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('character-studio scenes provenance', () => {
  it('shows the scene call and the experience call: prompt and answer exactly as sent and received', async () => {
    expect(normal.callId).not.toBeNull();
    expect(normal.experience?.callId).not.toBeNull();
    expect(normal.experience!.callId).not.toBe(normal.callId);
    const shown = await cli(['scenes', 'provenance', normal.id]);
    expect(shown.code, shown.err).toBe(0);
    const lines = shown.out.split('\n');
    expect(lines[0]).toBe(`${normal.type} · ${normal.location}`);
    expect(lines[1]).toMatch(/^Scene prompt builtin@\d+ · experience prompt builtin@\d+ · made /);
    const sceneAt = lines.indexOf(`== Scene call ${normal.callId} ==`);
    const experienceAt = lines.indexOf(`== Experience call ${normal.experience!.callId} ==`);
    expect(sceneAt).toBeGreaterThan(1);
    expect(experienceAt).toBeGreaterThan(sceneAt);
    const sceneSection = lines.slice(sceneAt, experienceAt).join('\n');
    const experienceSection = lines.slice(experienceAt).join('\n');
    expect(sceneSection).toMatch(/\nProvider: Fake · OpenAI-compatible \(custom\) · model fake-model · started /);
    expect(sceneSection).toMatch(/\nTokens: \d+ in · \d+ out · latency \d+\.\d\d s · cost — · finish stop\n/);
    expect(sceneSection).toContain('jsonSchema=scenes');
    // The experience's prompt names the scene; the server saw exactly that prompt and gave that answer.
    const sent = exchange(`Background: ${normal.background}`);
    for (const m of sent.messages) expect(experienceSection).toContain(`[${m.role}]\n${m.content}\n`);
    expect(experienceSection).toContain(`[response]\n${sent.answer}`);
    expect(experienceSection).not.toContain('[response]\n{\n');
    // --indent: the same answer, indented for reading.
    const indented = await cli(['scenes', 'provenance', normal.id, '--experience-call', '--indent']);
    expect(indented.out).not.toContain('== Scene call');
    expect(indented.out).toContain(`[response]\n${JSON.stringify(JSON.parse(sent.answer), null, 2)}`);
  });

  it('shows a protective scene’s one call once, and only the part asked for', async () => {
    expect(protective.callId).not.toBeNull();
    expect(protective.experience?.callId).toBe(protective.callId);
    const both = await cli(['scenes', 'provenance', protective.id]);
    expect(both.out).toContain(`== Scene and experience (one call) ${protective.callId} ==`);
    expect(both.out.match(/\[response\]/g)).toHaveLength(1);
    const scenePart = await cli(['scenes', 'provenance', protective.id, '--scene-call']);
    expect(scenePart.out).toContain(`== Scene call ${protective.callId} ==`);
    expect(scenePart.out).not.toContain('Experience call');
  });

  it('says when no call is on record, gives JSON as stored, and refuses both parts at once', async () => {
    const shown = await cli(['scenes', 'provenance', hand]);
    expect(shown.out).toContain('Written by hand · made ');
    expect(shown.out).toContain(
      '== Scene call ==\nNo LLM call is on record for this part: it was written or imported by hand.',
    );
    const json = JSON.parse((await cli(['scenes', 'provenance', normal.id, '--json'])).out) as {
      sceneId: string;
      sceneCalls: LlmCall[];
      experienceCalls: LlmCall[];
    };
    expect(json.sceneId).toBe(normal.id);
    expect(json.sceneCalls.map((c) => [c.id, c.status])).toEqual([[normal.callId, 'done']]);
    expect(json.experienceCalls.map((c) => c.id)).toEqual([normal.experience!.callId]);
    expect(json.experienceCalls[0]!.response).toBe(exchange(`Background: ${normal.background}`).answer);
    const bad = await cli(['scenes', 'provenance', normal.id, '--scene-call', '--experience-call']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Give --scene-call or --experience-call, not both.');
  });
});
