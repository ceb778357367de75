import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { SceneId } from '../../../common/contract';
import { DATABASE_FILE } from '../../../main/core/studio';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { itemCountsOf, scopeOf, stageCountsOf } from '../../../main/store/job-figures';
import type { JobRow } from '../../../main/store/jobs-repo';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { recountedRow } from '../../support/job-recount';
import { studioResponder } from '../../support/studio-responder';
import {
  beethovenWithFakeProvider,
  call,
  generationSettings,
  type makeStudio,
  studioForEachTest,
} from '../../support/studio';

// A job's progress figures are on its row, written in the transaction of each item, so another
// connection (another door, another process) reads them mid-run, and a scene deleted beside a
// running job shows in its figures at once.

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;

studioForEachTest(
  (opened) => (env = opened),
  () => server?.close(),
);

const isExperienceAsk = (req: { response_format?: unknown }) =>
  JSON.stringify(req.response_format ?? '').includes('"experience"');

describe('a job’s row', () => {
  it('holds its progress figures mid-run, for another connection, and follows a scene deleted during the run', async () => {
    const answer = studioResponder();
    // The first two experiences are answered; the next two wait until released.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asks = 0;
    let bothHeld = (): void => undefined;
    const heldAsked = new Promise<void>((resolve) => (bothHeld = resolve));
    server = await startFakeLlmServer({
      responder: async (req) => {
        if (isExperienceAsk(req) && ++asks > 2) {
          if (asks === 4) bothHeld();
          await held;
        }
        return answer(req);
      },
    });
    const { characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL);
    // Another process's connection to the studio's database.
    const other = new Database(path.join(env.dir, DATABASE_FILE), { timeout: 5_000 });
    other.pragma('foreign_keys = ON');
    try {
      // Each commit is followed by an event (progress is throttled, a dataset change is not).
      const twoWritten = new Promise<void>((resolve) => {
        const off = env.studio.events.subscribe(() => {
          const row = env.studio.db.prepare("SELECT item_counts FROM jobs WHERE kind = 'generation'").get() as
            Pick<JobRow, 'item_counts'> | undefined;
          if (!row || stageCountsOf(row, 'experiences').done !== 2) return;
          off();
          resolve();
        });
      });
      const job = await call(env.studio, 'generation/start', {
        characterId,
        settings: generationSettings(providerId, { targetScenes: 4, scenesPerCall: 4, protectiveShare: 0 }),
      });
      await Promise.all([heldAsked, twoWritten]);

      // Mid-run, read by a connection of its own: the figures as a recount gives them.
      const row = other.prepare('SELECT * FROM jobs WHERE id = ?').get(job.id) as JobRow;
      expect(row.status).toBe('running');
      expect(stageCountsOf(row, 'scenes')).toMatchObject({ pending: 0, failed: 0 });
      expect(stageCountsOf(row, 'experiences')).toEqual({ pending: 2, done: 2, failed: 0 });
      expect(scopeOf(row)).toEqual({ scenes: 4, experiences: 2, protective: 0, protectiveExperiences: 0 });
      expect(figuresOf(row)).toEqual(figuresOf(recountedRow(env.studio.db, job.id)));

      // A scene with its experience deleted by another process while the job runs (the studio's doors
      // refuse it then, but the figures follow any write): the row and the view follow at once.
      const written = env.studio.db
        .prepare('SELECT scene_id FROM experiences e JOIN scenes s ON s.id = e.scene_id WHERE s.job_id = ? LIMIT 1')
        .pluck()
        .get(job.id) as SceneId;
      other.prepare('DELETE FROM scenes WHERE id = ?').run(written);
      const after = other.prepare('SELECT * FROM jobs WHERE id = ?').get(job.id) as JobRow;
      expect(scopeOf(after)).toEqual({ scenes: 3, experiences: 1, protective: 0, protectiveExperiences: 0 });
      const shown = await call(env.studio, 'jobs/get', { id: job.id });
      expect(shown.status).toBe('running');
      expect(shown.stages.find((s) => s.stage === 'scenes')).toMatchObject({ done: 3, total: 4 });
      expect(shown.stages.find((s) => s.stage === 'experiences')).toMatchObject({ done: 1 });
      expect(figuresOf(after)).toEqual(figuresOf(recountedRow(env.studio.db, job.id)));

      release();
      expect((await env.studio.generation.whenIdle(job.id)).status).toBe('succeeded');
      const final = other.prepare('SELECT * FROM jobs WHERE id = ?').get(job.id) as JobRow;
      expect(figuresOf(final)).toEqual(figuresOf(recountedRow(env.studio.db, job.id)));
      expect(stageCountsOf(final, 'experiences')).toEqual({ pending: 0, done: 4, failed: 0 });
    } finally {
      release();
      other.close();
    }
  }, 30_000);
});

describe('a job’s scope', () => {
  it('follows an experience deleted, written again, rewritten and its scene made protective, as a recount does', async () => {
    server = await startFakeLlmServer({ responder: studioResponder() });
    const { characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL);
    const started = await call(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 3, scenesPerCall: 3, protectiveShare: 0 }),
    });
    expect((await env.studio.generation.whenIdle(started.id)).status).toBe('succeeded');
    const db = env.studio.db;
    const dataset = new DatasetRepo(db);
    const row = () => db.prepare('SELECT * FROM jobs WHERE id = ?').get(started.id) as JobRow;
    const agrees = () => expect(figuresOf(row())).toEqual(figuresOf(recountedRow(db, started.id)));
    const sceneId = db.prepare('SELECT scene_id FROM experiences LIMIT 1').pluck().get() as SceneId;
    const experience = dataset.scene(sceneId)!.experience!;
    expect(scopeOf(row())).toEqual({ scenes: 3, experiences: 3, protective: 0, protectiveExperiences: 0 });

    db.prepare('DELETE FROM experiences WHERE scene_id = ?').run(sceneId);
    expect(scopeOf(row())).toMatchObject({ scenes: 3, experiences: 2 });
    agrees();
    dataset.insertExperience(sceneId, experience, Date.now());
    expect(scopeOf(row())).toMatchObject({ scenes: 3, experiences: 3 });
    agrees();
    // Written again over the one it has: still one experience.
    dataset.insertExperience(sceneId, { ...experience, background: 'Rewritten.' }, Date.now());
    expect(scopeOf(row())).toMatchObject({ experiences: 3 });
    agrees();
    db.prepare('UPDATE scenes SET protective = 1 WHERE id = ?').run(sceneId);
    expect(scopeOf(row())).toEqual({ scenes: 2, experiences: 2, protective: 1, protectiveExperiences: 1 });
    agrees();
    db.prepare('DELETE FROM experiences WHERE scene_id = ?').run(sceneId);
    expect(scopeOf(row())).toEqual({ scenes: 2, experiences: 2, protective: 1, protectiveExperiences: 0 });
    agrees();
  });
});

const figuresOf = (row: JobRow) => ({ items: itemCountsOf(row), scope: scopeOf(row) });
