import type { ItemNote, Job, JobId } from '../../../common/contract';
import type { JobRow, JobsRepo } from '../../store/jobs-repo';
import type { KindView } from './job-kind';
import type { RunHandle } from './job-runner';

/**
 * A job as the doors see it: what every kind shares (tokens, cost, failures, notes, the time left)
 * around what its kind says (`KindView`). The time left extrapolates this run's pace.
 */
/** A run's start and progress then: this process's own run, or one it watches another process run. */
export type ObservedRun = Pick<RunHandle, 'startedAt' | 'doneAtStart'>;

export function toJob(
  row: JobRow,
  view: KindView,
  jobs: JobsRepo,
  run: ObservedRun | undefined,
  now: number,
  runsElsewhere = false,
): Job {
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
    unpricedCalls: row.unpriced_calls,
    interruptedCalls: jobs.callRecords.countInterrupted(row.id),
    etaSeconds,
    runsElsewhere,
    message: row.message,
    recentFailures: jobs.items.recentFailures(row.id, 8),
    ...noted(jobs.items.itemNotes(row.id, 8)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

function noted({ count, notes }: { count: number; notes: ItemNote[] }): Pick<Job, 'notedItems' | 'notes'> {
  return { notedItems: count, notes };
}

/**
 * Jobs running in other processes, as this one has watched them: since when, and how far each was
 * then, so their time left is measured here too (from their pace since first seen). A job is
 * forgotten once it stops running.
 */
export class WatchedRuns {
  private readonly runs = new Map<JobId, ObservedRun>();

  seen(row: JobRow, done: number, now: number): ObservedRun | undefined {
    if (row.status !== 'running') {
      this.runs.delete(row.id);
      return undefined;
    }
    let run = this.runs.get(row.id);
    if (!run) {
      run = { startedAt: now, doneAtStart: done };
      this.runs.set(row.id, run);
    }
    return run;
  }
}
