import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { JobId } from '../../../common/contract';
import { JobRunner } from '../../../main/core/jobs/job-runner';
import { DATABASE_FILE } from '../../../main/core/studio-store';
import { openDatabase, type Db } from '../../../main/store/database';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { createBeethoven, makeStudio } from '../../support/studio';

// A run's timers (its heartbeat, its look for a stop another process asked for) on a real store,
// with a second connection holding the write lock the way another studio process would.

let env: ReturnType<typeof makeStudio>;
let db: Db;
let jobs: JobsRepo;
const jobId = 'job-beat' as JobId;
let now = 1_000;
let ended: () => void = () => {};

beforeEach(async () => {
  env = makeStudio();
  new JobsRepo(env.studio.db).insertJob({ id: jobId, characterId: await createBeethoven(env.studio), settings: {} }, 0);
  // The runner's own connection: closing it under the run is what one test does.
  db = openDatabase(path.join(env.dir, DATABASE_FILE));
  db.pragma('busy_timeout = 0');
  jobs = new JobsRepo(db);
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});

afterEach(() => {
  ended();
  vi.useRealTimers();
  vi.restoreAllMocks();
  if (db.open) db.close();
  env.cleanup();
});

function launch(): JobRunner {
  const runner = new JobRunner(jobs, { now: () => now }, () => {});
  runner.launch(jobId, 0, () => new Promise<void>((resolve) => (ended = resolve)));
  return runner;
}

const heartbeatAt = () => db.prepare('SELECT heartbeat_at FROM jobs WHERE id = ?').pluck().get(jobId);

it('goes on beating after a beat the database refused (another process held the write lock), saying so once', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const runner = launch();
  expect(heartbeatAt()).toBe(1_000);

  const other = new Database(path.join(env.dir, DATABASE_FILE));
  other.exec('BEGIN IMMEDIATE');
  for (const at of [6_000, 11_000]) {
    now = at;
    vi.advanceTimersByTime(5_000);
  }
  expect(heartbeatAt()).toBe(1_000);
  expect(warn).toHaveBeenCalledTimes(1);
  expect(String(warn.mock.calls[0]![0])).toMatch(
    /job job-beat's heartbeat failed \(.*locked.*\); trying again every 5 s/i,
  );
  other.exec('COMMIT');
  other.close();

  now = 16_000;
  vi.advanceTimersByTime(5_000);
  expect(heartbeatAt()).toBe(16_000);

  // The look for a stop request went on as well: a pause asked from elsewhere still stops the run.
  jobs.requestStop(jobId, 'paused', 'Pausing…', now);
  vi.advanceTimersByTime(1_000);
  expect(runner.handle(jobId)?.controller.signal.aborted).toBe(true);
  expect(runner.handle(jobId)?.stopAs).toBe('paused');
  ended();
  await runner.handle(jobId)?.done;
  expect(heartbeatAt()).toBeNull();
});

it('stops its timers once the database has closed under the run, and its end then throws nothing', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const runner = launch();
  expect(vi.getTimerCount()).toBe(2);
  db.close();
  vi.advanceTimersByTime(5_000);
  expect(vi.getTimerCount()).toBe(0);
  expect(warn).not.toHaveBeenCalled();
  const run = runner.handle(jobId)!;
  ended();
  await expect(run.done).resolves.toBeUndefined();
  expect(runner.handle(jobId)).toBeUndefined();
});
