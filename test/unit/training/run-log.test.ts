import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, Events, TrainingConfig } from '../../../common/contract';
import { call, makeStudio } from '../../support/studio';
import { failingTrainScript, tinyTrainingConfig, trainerWrapper, venvPython } from '../trainer/fixtures';
import { openTrainingBench } from './bench';

/**
 * The trainer's log kept per run (migration 033): lines stored as they arrive, read back by a
 * studio opened afresh on the same data folder, capped to the first 200 and last 5,000 lines, and
 * stops and cancels of runs whose process has died. The real trainer on the tiny random Llama, and
 * an interpreter wrapper that prints a long log and a traceback, then fails as a broken run does.
 */
let bench: Awaited<ReturnType<typeof openTrainingBench>>;
let characterId: CharacterId;
let model: string;
/** Runs the trainer, except `character_trainer train`: 6,000 numbered lines, a traceback, exit 1. */
let flooding: string;

function config(python = venvPython): TrainingConfig {
  return { ...tinyTrainingConfig(model, 'local', { maxSteps: 2, maxLength: 192 }), python };
}

/** A second studio on the bench's data folder, as after a restart or from another process. */
function reopened<T>(use: (studio: ReturnType<typeof makeStudio>['studio']) => Promise<T>): Promise<T> {
  const other = makeStudio(bench.env.dir);
  return use(other.studio).finally(() => other.studio.close());
}

beforeAll(async () => {
  bench = await openTrainingBench(4);
  ({ characterId, model } = bench);
  flooding = trainerWrapper(
    path.join(bench.modelsDir, 'flooding-python'),
    failingTrainScript(6_000, 'RuntimeError: out of patience'),
  );
}, 120_000);
afterAll(async () => {
  await bench?.close();
});

describe("a run's trainer log", () => {
  it('is stored as it arrives, numbered as the live lines, and read back by a studio opened afresh', async () => {
    const { studio } = bench.env;
    const live: Events['training/logged'][] = [];
    const off = studio.events.subscribe((name, payload) => {
      if (name === 'training/logged') live.push(payload as Events['training/logged']);
    });
    const started = await call(studio, 'training/start', { characterId, config: config() });
    const run = await studio.training.whenIdle(started.id);
    off();
    expect(run.status, run.message ?? '').toBe('succeeded');
    expect(live.length).toBeGreaterThan(0);
    expect(live.map((l) => l.seq)).toEqual(live.map((_, i) => i + 1));

    const stored = await reopened((other) => call(other, 'training/log', { runId: run.id }));
    expect(stored).toEqual({
      runId: run.id,
      lines: live.map(({ seq, line }) => ({ seq, line })),
      total: live.length,
      leftOut: 0,
    });
    // After a line: what follows it; a limit alone: the last lines.
    const after = await call(studio, 'training/log', { runId: run.id, afterSeq: live.length - 2, limit: 1 });
    expect(after.lines).toEqual([{ seq: live.length - 1, line: live.at(-2)!.line }]);
    const tail = await call(studio, 'training/log', { runId: run.id, limit: 2 });
    expect(tail.lines.map((l) => l.seq)).toEqual([live.length - 1, live.length]);
  }, 180_000);

  it('of a failed run keeps the first 200 and last 5,000 lines, the traceback among them, and says how many were left out', async () => {
    const { studio } = bench.env;
    const started = await call(studio, 'training/start', { characterId, config: config(flooding) });
    const run = await studio.training.whenIdle(started.id);
    expect(run.status).toBe('failed');

    const log = await reopened((other) => call(other, 'training/log', { runId: run.id, limit: 10_000 }));
    // The interpreter check may warn first; the wrapper's 6,002 lines follow.
    const total = log.total;
    expect(total).toBeGreaterThanOrEqual(6_002);
    expect(log.leftOut).toBe(total - 5_200);
    expect(log.lines).toHaveLength(5_200);
    expect(log.lines[199]!.seq).toBe(200);
    expect(log.lines[200]!.seq).toBe(total - 4_999);
    expect(log.lines.slice(-2).map((l) => l.line)).toEqual([
      'Traceback (most recent call last):',
      'RuntimeError: out of patience',
    ]);
    expect(log.lines.map((l) => l.line)).toContain('line 1');

    // Deleted with the run.
    studio.db.prepare('DELETE FROM training_runs WHERE id = ?').run(run.id);
    expect(studio.db.prepare('SELECT count(*) FROM training_logs WHERE run_id = ?').pluck().get(run.id)).toBe(0);
  }, 120_000);
});

describe('a stop or cancel of a run whose process has died', () => {
  it('settles it at once: stopped becomes interrupted (resumable), cancelled is cancelled', async () => {
    const { studio } = bench.env;
    const insert = studio.db.prepare(
      `INSERT INTO training_runs (id, character_id, status, target, config, run_dir, created_at, updated_at, runner)
       VALUES (?, ?, 'running', 'local', ?, '/tmp/none', 0, 0, ?)`,
    );
    // A process that cannot exist on this machine.
    const dead = `4194303@${os.hostname()}`;
    insert.run('run-dead-stop', characterId, JSON.stringify(config()), dead);
    insert.run('run-dead-cancel', characterId, JSON.stringify(config()), dead);
    const stopped = await call(studio, 'training/stop', { id: 'run-dead-stop' as never });
    expect(stopped).toMatchObject({
      status: 'interrupted',
      message: `The process training this run (${dead}) has ended without saying so; nothing was left to stop. Resume the run to continue from its last checkpoint.`,
    });
    const cancelled = await call(studio, 'training/cancel', { id: 'run-dead-cancel' as never });
    expect(cancelled).toMatchObject({ status: 'cancelled', finishedAt: expect.any(Number) });
    studio.db.prepare(`DELETE FROM training_runs WHERE id IN ('run-dead-stop', 'run-dead-cancel')`).run();
  });
});
