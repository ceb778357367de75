import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, ProviderId, SceneId, SceneSummary } from '../../../common/contract';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { studioResponder } from '../../support/studio-responder';
import { call, callError, generatedBeethoven, makeStudio } from '../../support/studio';
import { tinyTrainingConfig, venvPython } from '../trainer/fixtures';

// Review on a real studio (real SQLite, the real pipeline through the fake LLM server): statuses,
// ratings and tags in bulk with undo, the counts per filter, what reaches the trainer, and the
// scenes still waiting for their experience.

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let characterId: CharacterId;
let providerId: ProviderId;

beforeAll(async () => {
  env = makeStudio();
  server = await startFakeLlmServer({ responder: studioResponder() });
  characterId = await generatedBeethoven(env.studio, server.baseURL, 8);
  providerId = (await call(env.studio, 'providers/list', undefined as never))[0]!.id;
}, 60_000);
afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
  await server?.close();
});

async function all(filter: Record<string, unknown> = {}): Promise<SceneSummary[]> {
  return (await call(env.studio, 'scenes/list', { characterId, limit: 500, ...filter })).scenes;
}

describe('review', () => {
  it('accepts, rejects, rates and tags in bulk, counts per filter, and undoes each action in turn', async () => {
    const scenes = await all({ protective: false });
    expect(scenes.length).toBeGreaterThanOrEqual(8);
    expect(scenes.every((s) => s.review.status === 'unreviewed' && s.review.rating === null)).toBe(true);
    const [a, b, c, d] = scenes.map((s) => s.id) as [SceneId, SceneId, SceneId, SceneId];

    const accepted = await call(env.studio, 'review/set', { characterId, ids: [a, b], status: 'accepted', rating: 4 });
    expect(accepted.scenes).toBe(2);
    expect(accepted.summary).toBe('Accepted, rated 4 · 2 scenes');
    await call(env.studio, 'review/set', {
      characterId,
      ids: [c],
      status: 'rejected',
      addTags: [' anachronism ', 'dull'],
    });
    // Tagging every accepted scene through the filter: one statement over the filter's scenes.
    await call(env.studio, 'review/set', { characterId, filter: { status: 'accepted' }, addTags: ['keeper'] });

    const total = (await all()).length;
    const counts = await call(env.studio, 'review/counts', { characterId });
    expect(counts.status).toEqual({ unreviewed: total - 3, accepted: 2, rejected: 1 });
    expect(counts.ratings).toEqual({ '1': 0, '2': 0, '3': 0, '4': 2, '5': 0, none: total - 2 });
    expect(counts.tags).toEqual([
      { tag: 'keeper', count: 2 },
      { tag: 'anachronism', count: 1 },
      { tag: 'dull', count: 1 },
    ]);
    // A facet is counted under the rest of the filter: with status "accepted" chosen, the status
    // counts still show every status, the tag counts only the accepted scenes'.
    const underAccepted = await call(env.studio, 'review/counts', { characterId, filter: { status: 'accepted' } });
    expect(underAccepted.total).toBe(2);
    expect(underAccepted.status.rejected).toBe(1);
    expect(underAccepted.tags).toEqual([{ tag: 'keeper', count: 2 }]);

    expect((await all({ status: 'accepted' })).map((s) => s.id)).toEqual([a, b]);
    expect((await all({ rating: 4 })).map((s) => s.id)).toEqual([a, b]);
    expect((await all({ rating: null })).length).toBe(total - 2);
    expect((await all({ tag: 'dull' })).map((s) => s.id)).toEqual([c]);
    const rejected = (await all({ status: 'rejected' }))[0]!;
    expect(rejected.review).toMatchObject({ status: 'rejected', rating: null, tags: ['anachronism', 'dull'] });
    expect((await call(env.studio, 'scenes/get', { id: c })).review.tags).toEqual(['anachronism', 'dull']);

    // Removing a tag from a selection where some scenes lack it, then undoing: only those that had it get it back.
    await call(env.studio, 'review/set', { characterId, ids: [a, c, d], removeTags: ['keeper', 'dull'] });
    expect((await all({ tag: 'keeper' })).map((s) => s.id)).toEqual([b]);
    const undone = await call(env.studio, 'review/undo', { characterId });
    expect(undone.summary).toBe('Untagged "keeper", "dull" · 3 scenes');
    expect((await all({ tag: 'keeper' })).map((s) => s.id)).toEqual([a, b]);
    expect((await all({ tag: 'dull' })).map((s) => s.id)).toEqual([c]);
    expect((await all({ tag: 'keeper' })).some((s) => s.id === d)).toBe(false);

    // Undo walks back: the filter's tagging, then the rejection, then the acceptance.
    await call(env.studio, 'review/undo', { characterId });
    expect((await all({ tag: 'keeper' })).length).toBe(0);
    await call(env.studio, 'review/undo', { characterId });
    expect((await call(env.studio, 'scenes/get', { id: c })).review).toEqual({
      status: 'unreviewed',
      rating: null,
      tags: [],
      reviewedAt: null,
    });
    await call(env.studio, 'review/undo', { characterId });
    expect((await all()).every((s) => s.review.status === 'unreviewed' && s.review.rating === null)).toBe(true);
    expect(await call(env.studio, 'review/last', { characterId })).toBeNull();
    expect(await callError(env.studio, 'review/undo', { characterId })).toEqual({
      code: 'not_found',
      message: 'There is no review action left to undo.',
    });
  });

  it('says what is wrong with a bad review request and changes nothing', async () => {
    const [a] = (await all()).map((s) => s.id);
    const before = await all();
    expect((await callError(env.studio, 'review/set', { characterId, ids: [a], rating: 6 })).message).toMatch(
      /rating is from 1 to 5/,
    );
    expect((await callError(env.studio, 'review/set', { characterId, status: 'accepted' })).message).toBe(
      'Name the scenes (ids) or give a filter, not both and not neither.',
    );
    expect((await callError(env.studio, 'review/set', { characterId, ids: [a] })).message).toMatch(
      /Say what to change/,
    );
    expect((await callError(env.studio, 'review/set', { characterId, ids: [a], addTags: ['  '] })).code).toBe(
      'invalid_argument',
    );
    expect(
      await callError(env.studio, 'review/set', { characterId, filter: { tag: 'no such tag' }, status: 'accepted' }),
    ).toEqual({ code: 'not_found', message: 'No scene matches this filter, so nothing was changed.' });
    expect(await all()).toEqual(before);
  });

  it('hands the trainer accepted and unreviewed scenes, never rejected ones', async () => {
    const scenes = (await all()).filter((s) => s.hasExperience);
    const [accepted, rejected1, rejected2] = scenes.map((s) => s.id) as [SceneId, SceneId, SceneId];
    await call(env.studio, 'review/set', { characterId, ids: [accepted], status: 'accepted' });
    await call(env.studio, 'review/set', { characterId, ids: [rejected1, rejected2], status: 'rejected' });

    // A base model folder that passes the studio's check but holds no real model: the trainer
    // stops at loading it. The dataset file is written before it starts, and is all this test reads.
    const model = path.join(env.dir, 'model');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'config.json'), '{}');
    fs.writeFileSync(path.join(model, 'model.safetensors'), '');
    const config = { ...tinyTrainingConfig(model, 'local'), python: venvPython };
    const estimate = await call(env.studio, 'training/estimate', { characterId, config });
    expect(estimate.examples).toBe(scenes.length - 2);
    const run = await call(env.studio, 'training/start', { characterId, config });
    await env.studio.training.whenIdle(run.id);
    const ids = fs
      .readFileSync(path.join(run.runDir, 'dataset.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids).toHaveLength(scenes.length - 2);
    expect(ids).toContain(accepted);
    expect(ids).not.toContain(rejected1);
    expect(ids).not.toContain(rejected2);
    await call(env.studio, 'review/undo', { characterId });
    await call(env.studio, 'review/undo', { characterId });
  });

  it('shows scenes waiting for their experience, completes them with one job, and deletes them', async () => {
    // Two scenes lose their experience (as after a run cancelled between its stages).
    const [w1, w2] = (await all({ protective: false })).map((s) => s.id) as [SceneId, SceneId];
    env.studio.db.prepare('DELETE FROM experiences WHERE scene_id IN (?, ?)').run(w1, w2);
    expect((await all({ waiting: true })).map((s) => s.id)).toEqual([w1, w2]);
    expect((await call(env.studio, 'review/counts', { characterId })).waiting).toBe(2);
    // A rejected scene is not waiting: it never gets an experience.
    await call(env.studio, 'review/set', { characterId, ids: [w2], status: 'rejected' });
    expect((await call(env.studio, 'review/counts', { characterId })).waiting).toBe(1);

    const scenesBefore = (await all()).length;
    const remembered = await call(env.studio, 'generation/defaults', { characterId });
    const job = await call(env.studio, 'scenes/complete', { characterId, providerId });
    const finished = await env.studio.generation.whenIdle(job.id);
    expect(finished.status, finished.message ?? '').toBe('succeeded');
    expect((await all()).length).toBe(scenesBefore); // no scene added
    expect((await call(env.studio, 'scenes/get', { id: w1 })).experience).not.toBeNull();
    expect((await call(env.studio, 'scenes/get', { id: w2 })).experience).toBeNull();
    expect(await call(env.studio, 'generation/defaults', { characterId })).toEqual(remembered);
    expect((await callError(env.studio, 'scenes/complete', { characterId, providerId })).message).toBe(
      'No scene of Beethoven is waiting for its experience.',
    );

    expect(await call(env.studio, 'scenes/delete', { characterId, ids: [w2] })).toEqual({ deleted: 1 });
    expect((await all()).length).toBe(scenesBefore - 1);
    expect(await callError(env.studio, 'scenes/delete', { characterId, ids: [w2] })).toEqual({
      code: 'not_found',
      message: 'None of those scenes exists any more.',
    });
  });
});
