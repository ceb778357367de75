import type { JobId, JobStage } from '../../../common/contract';
import type { ItemRow, JobsRepo } from '../../store/jobs-repo';

/**
 * Works through a job's pending items of one stage, `window` at a time, until none is left or
 * `signal` aborts (then it waits for the items in flight and returns). An item stays `pending`
 * while it runs, so the items in flight are left out of each read. `runItem` records its own
 * outcome (done, or a failed attempt through the engine); a rejection fails the job's run.
 */
export async function drainItems(
  jobs: JobsRepo,
  id: JobId,
  stage: JobStage,
  window: number,
  signal: AbortSignal,
  runItem: (item: ItemRow) => Promise<void>,
): Promise<void> {
  const busy = new Set<string>();
  const tasks = new Set<Promise<void>>();
  const pump = () => {
    if (signal.aborted) return;
    const free = window - tasks.size;
    if (free <= 0) return;
    for (const item of jobs.pendingItems(id, stage, free, busy)) {
      busy.add(item.id);
      const task = runItem(item).finally(() => {
        busy.delete(item.id);
        tasks.delete(task);
      });
      tasks.add(task);
    }
  };
  pump();
  while (tasks.size > 0) {
    await Promise.race(tasks);
    pump();
  }
}
