import type { JobId, JobStage } from '../../../common/contract';
import type { ItemRow } from '../../store/job-items-repo';
import type { JobsRepo } from '../../store/jobs-repo';
import { TaskSet } from './task-set';

/** Where an item runs and how many items of that lane may be out at once (1 or more). */
export interface Lane {
  key: string;
  cap: number;
}

export interface DrainOptions {
  /**
   * The item's lane (e.g. the system an interview asks: a model in this process answers one at a
   * time, an endpoint as many as its provider allows), or null for none. An item whose lane is
   * full stays pending and items of other lanes pass it; it is read again once a task ends.
   * Called on every read of a pending item, so it must be cheap and without side effects.
   */
  laneOf?: (item: ItemRow) => Lane | null;
}

/**
 * Items read past the window when lanes are set: the items of a full lane wait their turn, so
 * the pump looks a little further in plan order for items of other lanes.
 */
const LANE_LOOKAHEAD = 16;

/**
 * Works through a job's pending items of one stage, `window` at a time, until none is left or
 * `signal` aborts (then it waits for the items in flight and returns). An item stays `pending`
 * while it runs, so the items in flight are left out of each read. Items start in plan order,
 * except that an item whose lane (`options.laneOf`) is full waits for a place in it. `runItem`
 * records its own outcome (done, or a failed attempt through the engine); a rejection fails the
 * job's run.
 */
export async function drainItems(
  jobs: JobsRepo,
  id: JobId,
  stage: JobStage,
  window: number,
  signal: AbortSignal,
  runItem: (item: ItemRow) => Promise<void>,
  options: DrainOptions = {},
): Promise<void> {
  const { laneOf } = options;
  const busy = new Set<string>();
  const tasks = new TaskSet();
  const inLane = new Map<string, number>();
  const pump = () => {
    if (signal.aborted) return;
    const free = window - tasks.size;
    if (free <= 0) return;
    for (const item of jobs.items.pendingItems(id, stage, laneOf ? window + LANE_LOOKAHEAD : free, busy)) {
      if (tasks.size >= window) break;
      const lane = laneOf?.(item) ?? null;
      if (lane && (inLane.get(lane.key) ?? 0) >= Math.max(1, lane.cap)) continue;
      busy.add(item.id);
      if (lane) inLane.set(lane.key, (inLane.get(lane.key) ?? 0) + 1);
      tasks.add(
        runItem(item).finally(() => {
          busy.delete(item.id);
          if (lane) inLane.set(lane.key, inLane.get(lane.key)! - 1);
        }),
      );
    }
  };
  pump();
  while (tasks.size > 0) {
    await tasks.next();
    pump();
  }
}
