import { revisionNumbering } from '../../../common/scene-doc/revision-numbers';
import { heldCall, type HeldCall } from '../../support/gate';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, ProviderId, SceneId } from '../../../common/contract';
import { startFakeLlmServer, type FakeChatRequest, type FakeLlmServer } from '../../support/fake-llm-server';
import { studioResponder } from '../../support/studio-responder';
import { call, callError, generatedBeethoven, makeStudio } from '../../support/studio';

// Regeneration with a written instruction on a real studio (real SQLite, the real generic job
// engine and LLM gateway, the fake LLM server speaking the OpenAI protocol): the whole experience
// and one turn become new revisions with a recorded call; a scene edited while the call is out keeps
// the edit and gets the rewrite as a proposal; cancel leaves the scene untouched; a failing answer
// fails the item with its reason and a retry succeeds; bulk over a filter is one job.

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let characterId: CharacterId;
let providerId: ProviderId;

/** A held rewrite: the next rewrite request says it arrived, then waits to be released. */
/** The rewrite held at the server, when a test holds one. */
let gate: HeldCall | null = null;
let rewriteAnswer: (req: FakeChatRequest) => string = angryAnswer;

function lastUser(req: FakeChatRequest): string {
  return req.messages.filter((m) => m.role === 'user').at(-1)!.content;
}

function angryAnswer(req: FakeChatRequest): string {
  const instruction = /instruction: "([^"]+)"/.exec(lastUser(req))?.[1] ?? '?';
  if (/Rewrite only turn/.test(lastUser(req)))
    return JSON.stringify({ speaker: 'Beethoven', kind: 'speaking', text: `Enough! (${instruction})` });
  return JSON.stringify({
    background: `Rewritten: ${instruction}.`,
    turns: [
      { speaker: 'Neefe', kind: 'speaking', text: 'Ludwig, the fugue.' },
      { speaker: 'Beethoven', kind: 'speaking', text: `Leave me alone! (${instruction})` },
    ],
  });
}

function holdRewrites(): HeldCall {
  gate = heldCall();
  return gate;
}

beforeAll(async () => {
  env = makeStudio();
  const generate = studioResponder();
  server = await startFakeLlmServer({
    responder: async (req) => {
      if (!/Rewrite (this whole interaction|only turn)/.test(lastUser(req))) return generate(req);
      if (gate) {
        gate.arrive();
        await gate.released;
      }
      return rewriteAnswer(req);
    },
  });
  characterId = await generatedBeethoven(env.studio, server.baseURL, 6);
  providerId = (await call(env.studio, 'providers/list', undefined as never))[0]!.id;
}, 60_000);
afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
  await server?.close();
});
beforeEach(() => {
  gate = null;
  rewriteAnswer = angryAnswer;
});

async function someScene(skip = 0): Promise<SceneId> {
  const list = await call(env.studio, 'scenes/list', { characterId, limit: 50, protective: false });
  return list.scenes.filter((s) => s.hasExperience)[skip]!.id;
}

describe('regenerate with an instruction', () => {
  it('rewrites the whole experience as a new llm revision with its recorded call', async () => {
    const id = await someScene(0);
    const before = await call(env.studio, 'scenes/open', { id });
    const job = await call(env.studio, 'scenes/regenerate', {
      characterId,
      ids: [id],
      instruction: '  make him   angrier ',
      providerId,
    });
    expect(job.kind).toBe('regenerate');
    expect(job.settings).toMatchObject({ instruction: 'make him angrier', turn: null, providerId });
    const done = await env.studio.jobs.whenIdle(job.id);
    expect(done.status).toBe('succeeded');
    expect(done).toMatchObject({ done: 1, total: 1, failed: 0 });

    const after = await call(env.studio, 'scenes/open', { id });
    expect(after.revision).toBe(before.revision + 1);
    expect(after.doc.turns.at(-1)!.text).toBe('Leave me alone! (make him angrier)');
    expect(after.doc.experienceBackground).toBe('Rewritten: make him angrier.');
    // The scene fields are the writer's, untouched.
    expect(after.doc.location).toBe(before.doc.location);

    const revisions = await call(env.studio, 'scenes/revisions', { id });
    const last = revisions.at(-1)!;
    expect(last).toMatchObject({ revision: after.revision, author: 'llm', instruction: 'make him angrier' });
    expect(last.promptVersion).toMatch(/^builtin@\d+\+regenerate@1$/);
    // The generated original is kept as the revision before, so undo and diff have it.
    expect(revisions.at(-2)!.author).toBe('generated');
    const diff = await call(env.studio, 'scenes/diff', { id, from: before.revision, to: 'current' });
    expect(diff.sections.find((s) => s.label !== 'Type' && s.changed)).toBeDefined();

    // The call is on record: the paper's experience prompt, the scene as it stood, the instruction.
    const attempts = await call(env.studio, 'calls/get', { id: last.callId! });
    expect(attempts[0]!.jobId).toBe(job.id);
    const roles = attempts[0]!.messages.map((m) => m.role);
    expect(roles.slice(-3)).toEqual(['user', 'assistant', 'user']);
    expect(attempts[0]!.messages.at(-2)!.content).toContain(before.doc.turns[0]!.text.slice(0, 20));
    expect(attempts[0]!.messages.at(-1)!.content).toContain('make him angrier');
    expect(attempts[0]!.response).toContain('Leave me alone!');
    // The scene's provenance (what the Dataset tab's provenance dialog opens) is that call now.
    const scene = await call(env.studio, 'scenes/get', { id });
    expect(scene.experience).toMatchObject({ callId: last.callId, promptVersion: last.promptVersion });
  });

  it('rewrites one turn only, between its neighbours', async () => {
    const id = await someScene(1);
    const before = await call(env.studio, 'scenes/open', { id });
    const job = await call(env.studio, 'scenes/regenerate', {
      characterId,
      ids: [id],
      instruction: 'he has not met Goethe yet',
      turn: 1,
    });
    // No provider named: the character's last job's provider.
    expect(job.settings.providerId).toBe(providerId);
    expect((await env.studio.jobs.whenIdle(job.id)).status).toBe('succeeded');
    const after = await call(env.studio, 'scenes/open', { id });
    expect(after.revision).toBe(before.revision + 1);
    expect(after.doc.turns[1]).toEqual({
      speaker: 'Beethoven',
      kind: 'speaking',
      text: 'Enough! (he has not met Goethe yet)',
    });
    expect(after.doc.turns.filter((_, i) => i !== 1)).toEqual(before.doc.turns.filter((_, i) => i !== 1));
    const request = server.requests
      .map((r) => r.chat)
      .filter((c) => c && /Rewrite only turn 2/.test(lastUser(c)))
      .at(-1)!;
    expect(lastUser(request)).toContain(`It comes after: ${before.doc.turns[0]!.speaker}`);
    expect(lastUser(request)).toContain(`It comes before: ${before.doc.turns[2]!.speaker}`);
    expect((request.response_format as { json_schema: { name: string } }).json_schema.name).toBe('turn');
  });

  it('keeps an edit saved while the call is out, and the rewrite as a proposal to adopt', async () => {
    const id = await someScene(2);
    const before = await call(env.studio, 'scenes/open', { id });
    const held = holdRewrites();
    const job = await call(env.studio, 'scenes/regenerate', { characterId, ids: [id], instruction: 'angrier' });
    await held.entered;
    // The writer saves while the regeneration is out: the save wins, nothing is refused.
    const edited = { ...before.doc, location: 'The Kärntnertor theatre' };
    const saved = await call(env.studio, 'scenes/save', { id, baseRevision: before.revision, doc: edited });
    held.release();
    const done = await env.studio.jobs.whenIdle(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.notedItems).toBe(1);
    expect(done.message).toMatch(/kept as proposals in History, nothing was overwritten/);

    const now = await call(env.studio, 'scenes/open', { id });
    expect(now.revision).toBe(saved.revision);
    expect(now.doc.location).toBe('The Kärntnertor theatre');
    const [proposal] = await call(env.studio, 'scenes/proposals', { id });
    expect(proposal).toMatchObject({ baseRevision: before.revision, instruction: 'angrier', adoptedAs: null });
    const compared = await call(env.studio, 'scenes/diff', { id, from: 'current', to: { proposal: proposal!.id } });
    expect(compared.sections.some((s) => s.changed)).toBe(true);

    // Adopting it names the revision the writer sees; a stale one is refused, nothing lost.
    const stale = await callError(env.studio, 'scenes/adopt', { id, proposalId: proposal!.id, baseRevision: 1 });
    expect(stale.code).toBe('conflict');
    const adopted = await call(env.studio, 'scenes/adopt', {
      id,
      proposalId: proposal!.id,
      baseRevision: now.revision,
    });
    expect(adopted.revision).toBe(now.revision + 1);
    expect(adopted.doc.turns.at(-1)!.text).toBe('Leave me alone! (angrier)');
    // The edit that made it a proposal stays: a regeneration writes the experience only.
    expect(adopted.doc.location).toBe('The Kärntnertor theatre');
    expect((await call(env.studio, 'scenes/revisions', { id })).at(-1)).toMatchObject({
      author: 'llm',
      callId: proposal!.callId,
    });
    expect((await call(env.studio, 'scenes/proposals', { id }))[0]!.adoptedAs).toBe(adopted.revision);
  });

  it('refuses a save based on the revision a regeneration replaced, with a clear conflict', async () => {
    const id = await someScene(3);
    const before = await call(env.studio, 'scenes/open', { id });
    const job = await call(env.studio, 'scenes/regenerate', { characterId, ids: [id], instruction: 'calmer' });
    await env.studio.jobs.whenIdle(job.id);
    const error = await callError(env.studio, 'scenes/save', {
      id,
      baseRevision: before.revision,
      doc: { ...before.doc, time: 'Winter' },
    });
    expect(error.code).toBe('conflict');
    expect(error.message).toMatch(/changed since you opened it.*Nothing was overwritten/);
    // In the numbers the editor and the History show, not the stored ones (a generated scene's
    // experience moved its counter on once).
    const shown = revisionNumbering(await call(env.studio, 'scenes/revisions', { id }));
    expect(error.message).toContain(`(revision ${shown(before.revision)}, now ${shown(before.revision + 1)})`);
    expect([shown(before.revision), shown(before.revision + 1)]).toEqual([before.revision - 1, before.revision]);
  });

  it('leaves the scene untouched when the job is cancelled while the call is out', async () => {
    const id = await someScene(4);
    const before = await call(env.studio, 'scenes/open', { id });
    const held = holdRewrites();
    const job = await call(env.studio, 'scenes/regenerate', { characterId, ids: [id], instruction: 'sadder' });
    await held.entered;
    await call(env.studio, 'jobs/cancel', { id: job.id });
    held.release();
    const done = await env.studio.jobs.whenIdle(job.id);
    expect(done.status).toBe('cancelled');
    const after = await call(env.studio, 'scenes/open', { id });
    expect(after.revision).toBe(before.revision);
    expect(after.doc).toEqual(before.doc);
    expect(await call(env.studio, 'scenes/proposals', { id })).toEqual([]);
  });

  it('fails the item with the reason when the answers cannot be read, and a retry succeeds', async () => {
    const id = await someScene(5);
    const before = await call(env.studio, 'scenes/open', { id });
    rewriteAnswer = () => 'I would rather not.';
    const job = await call(env.studio, 'scenes/regenerate', { characterId, ids: [id], instruction: 'wittier' });
    const failed = await env.studio.jobs.whenIdle(job.id);
    expect(failed.status).toBe('failed');
    expect(failed.recentFailures[0]!.reason).toMatch(/could not be read/);
    expect((await call(env.studio, 'scenes/open', { id })).revision).toBe(before.revision);

    rewriteAnswer = angryAnswer;
    await call(env.studio, 'jobs/retry', { id: job.id });
    expect((await env.studio.jobs.whenIdle(job.id)).status).toBe('succeeded');
    expect((await call(env.studio, 'scenes/open', { id })).revision).toBe(before.revision + 1);
  });

  it('rewrites every scene of a filter as one job, one item per scene', async () => {
    await call(env.studio, 'review/set', {
      characterId,
      ids: [await someScene(0), await someScene(1)],
      addTags: ['loud'],
    });
    const job = await call(env.studio, 'scenes/regenerate', {
      characterId,
      filter: { tag: 'loud' },
      instruction: 'quieter',
    });
    expect(job.total).toBe(2);
    const done = await env.studio.jobs.whenIdle(job.id);
    expect(done).toMatchObject({ status: 'succeeded', done: 2 });
    for (const id of [await someScene(0), await someScene(1)])
      expect((await call(env.studio, 'scenes/revisions', { id })).at(-1)!.instruction).toBe('quieter');
    // The job shows among the character's jobs, beside the generation run.
    expect((await call(env.studio, 'jobs/list', { characterId })).map((j) => j.kind)).toContain('generation');
  });

  it('rewrites a turn and the experience of an imported scene (it has no profile chunk) from the profile', async () => {
    const file = [
      {
        setting: ['Bonn, 1782. The organ loft is cold.'],
        dialogue: [
          { role: 'Neefe', action: '(speaking)', content: 'Play it again.' },
          { role: 'Beethoven', action: '(speaking)', content: 'Yes, Herr Neefe.' },
        ],
        location: 'The court chapel',
        source: 'seed_dialogue_imported',
      },
    ];
    await call(env.studio, 'dataset/import', {
      characterId,
      fileBase64: Buffer.from(JSON.stringify(file)).toString('base64'),
      fileName: 'generated_agent_dialogue_Beethoven.json',
    });
    const imported = env.studio.db
      .prepare("SELECT id, chunk_id AS chunkId FROM scenes WHERE origin = 'import' AND location = 'The court chapel'")
      .get() as { id: SceneId; chunkId: string | null };
    expect(imported.chunkId).toBeNull();
    const id = imported.id;

    const turn = await call(env.studio, 'scenes/regenerate', { characterId, ids: [id], instruction: 'curt', turn: 1 });
    const turnDone = await env.studio.jobs.whenIdle(turn.id);
    expect(turnDone.recentFailures).toEqual([]);
    expect(turnDone.status).toBe('succeeded');
    expect((await call(env.studio, 'scenes/open', { id })).doc.turns[1]!.text).toBe('Enough! (curt)');

    const whole = await call(env.studio, 'scenes/regenerate', { characterId, ids: [id], instruction: 'louder' });
    expect((await env.studio.jobs.whenIdle(whole.id)).status).toBe('succeeded');
    expect((await call(env.studio, 'scenes/open', { id })).doc.experienceBackground).toBe('Rewritten: louder.');
    // The experience prompt was written from the character's profile, as for a scene written by hand.
    const excerpt = (await call(env.studio, 'profiles/list', { characterId }))[0]!;
    const request = server.requests
      .map((r) => r.chat)
      .filter((c) => c && /Rewrite this whole interaction/.test(lastUser(c)))
      .at(-1)!;
    expect(request.messages.map((m) => m.content).join('\n')).toContain(
      excerpt.chunks[0]!.text.split(/\s+/).slice(0, 12).join(' '),
    );
  });

  it('refuses bad requests with what to do', async () => {
    const id = await someScene(0);
    const empty = await callError(env.studio, 'scenes/regenerate', { characterId, ids: [id], instruction: '   ' });
    expect(empty).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/instruction is empty/) });
    const two = await callError(env.studio, 'scenes/regenerate', {
      characterId,
      ids: [id, await someScene(1)],
      instruction: 'x',
      turn: 0,
    });
    expect(two.message).toMatch(/name exactly one scene/);
    const far = await callError(env.studio, 'scenes/regenerate', {
      characterId,
      ids: [id],
      instruction: 'x',
      turn: 999,
    });
    expect(far.message).toMatch(/There is no turn 1000: the scene has turns 1 to \d+/);
    const none = await callError(env.studio, 'scenes/regenerate', {
      characterId,
      filter: { tag: 'no-such-tag' },
      instruction: 'x',
    });
    expect(none).toMatchObject({ code: 'not_found', message: expect.stringMatching(/No scene matches/) });
  });
});
