import type { ItemNote, Job } from '../../../common/contract';
import type { JobRow, JobsRepo } from '../../store/jobs-repo';
import type { KindView } from './job-kind';
import type { RunHandle } from './job-runner';

/**
 * A job as the doors see it: what every kind shares (tokens, cost, failures, notes, the time left)
 * around what its kind says (`KindView`). The time left extrapolates this run's pace.
 */
export function toJob(row: JobRow, view: KindView, jobs: JobsRepo, run: RunHandle | undefined, now: number): Job {
  let etaSeconds: number | null = null;
  if (run && row.status === 'running') {
    const progressed = view.done - run.doneAtStart;
    const elapsed = (now - run.startedAt) / 1000;
    if (progressed > 0 && elapsed > 1) etaSeconds = Math.round(((view.total - view.done) * elapsed) / progressed);
  }
  return {
    ...view,
    id: row.id,
    characterId: row.character_id,
    status: row.status,
    stage: row.stage,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    costUsd: row.cost_usd,
    interruptedCalls: jobs.callRecords.countInterrupted(row.id),
    etaSeconds,
    message: row.message,
    recentFailures: jobs.recentFailures(row.id, 8),
    ...noted(jobs.itemNotes(row.id, 8)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

function noted({ count, notes }: { count: number; notes: ItemNote[] }): Pick<Job, 'notedItems' | 'notes'> {
  return { notedItems: count, notes };
}
