import { afterEach, beforeEach, expect, it } from 'vitest';
import type { JobId } from '../../../common/contract';
import { drainItems } from '../../../main/core/jobs/item-pump';
import type { ItemRow } from '../../../main/store/job-items-repo';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { createBeethoven, makeStudio } from '../../support/studio';

// The one item pump every item job runs on (judge, regeneration, interviews), on a real store.

let env: ReturnType<typeof makeStudio>;
let jobs: JobsRepo;
let jobId: JobId;
beforeEach(async () => {
  env = makeStudio();
  jobs = new JobsRepo(env.studio.db);
  jobId = 'job-pump' as JobId;
  jobs.insertJob({ id: jobId, characterId: await createBeethoven(env.studio), kind: 'interview', settings: {} }, 0);
});
afterEach(() => env.cleanup());

/** Items `a1 b1 a2 b2 …`: lane a and lane b side by side in plan order, as interviews are planned. */
function plan(perLane: number, lanes = ['a', 'b']): void {
  const items = [];
  for (let i = 1; i <= perLane; i++)
    for (const lane of lanes)
      items.push({ id: `${lane}${i}`, stage: 'interviews' as const, key: `${lane}${i}`, input: { lane } });
  jobs.items.planItems(jobId, items, 0);
}

/** Runs each item until the test lets it end, recording what was out at once. */
function gate() {
  const out = new Set<string>();
  const started: string[] = [];
  const peaks = new Map<string, number>();
  const waiting: (() => void)[] = [];
  let onStart = () => {};
  const runItem = (item: ItemRow) => {
    out.add(item.id);
    started.push(item.id);
    const lane = item.id[0]!;
    peaks.set(lane, Math.max(peaks.get(lane) ?? 0, [...out].filter((id) => id[0] === lane).length));
    onStart();
    return new Promise<void>((resolve) =>
      waiting.push(() => {
        jobs.items.completeItem(item.id, null, 1);
        out.delete(item.id);
        resolve();
      }),
    );
  };
  /** Ends the items in flight, and from then on each item soon after it starts. */
  const endAll = () => {
    onStart = () => queueMicrotask(() => waiting.shift()?.());
    waiting.splice(0).forEach((end) => end());
  };
  return { runItem, started, peaks, out, endAll };
}

it('keeps each lane within its cap while other lanes pass its waiting items', async () => {
  plan(6);
  const g = gate();
  const laneOf = (item: ItemRow) => {
    const lane = (JSON.parse(item.input) as { lane: string }).lane;
    return { key: lane, cap: lane === 'a' ? 1 : 3 };
  };
  const drained = drainItems(jobs, jobId, 'interviews', 8, new AbortController().signal, g.runItem, { laneOf });
  // First read: lane a takes one place, lane b three; the rest of a waits, though the window has room.
  expect([...g.out].sort()).toEqual(['a1', 'b1', 'b2', 'b3']);
  g.endAll();
  await drained;
  expect(g.peaks.get('a')).toBe(1);
  expect(g.peaks.get('b')).toBe(3);
  expect(jobs.countItems(jobId, 'interviews')).toEqual({ pending: 0, done: 12, failed: 0 });
  expect(new Set(g.started).size).toBe(12);
});

it('without lanes fills the window in plan order, and stops taking items once aborted', async () => {
  plan(5);
  const g = gate();
  const controller = new AbortController();
  const drained = drainItems(jobs, jobId, 'interviews', 4, controller.signal, g.runItem);
  expect(g.started).toEqual(['a1', 'b1', 'a2', 'b2']);
  controller.abort();
  g.endAll();
  await drained;
  // The four in flight ended; nothing new was taken after the abort.
  expect(g.started).toHaveLength(4);
  expect(jobs.countItems(jobId, 'interviews')).toEqual({ pending: 6, done: 4, failed: 0 });
});
