import type { Job, JobId, JobKindName } from '../../../common/contract';
import type { JobRow } from '../../store/jobs-repo';
import type { RunHandle } from './job-runner';

/** The part of a job's view only its kind can say: its settings and how far it is. */
export type KindView = Job extends infer J
  ? J extends Job
    ? Pick<J, 'kind' | 'settings' | 'stages' | 'done' | 'total' | 'failed'>
    : never
  : never;

/**
 * One kind of job the engine runs (`JobService`): generation, regeneration, later interviews and
 * judging. The engine owns the row's lifecycle (claim, heartbeat, pause, cancel, budget, outage,
 * crash recovery, the final status); the kind owns the work: its items and what they write.
 *
 * Contract of `run`: work through the job's pending `job_items` until none can be sent or
 * `run.controller.signal` aborts, then return the note a succeeded job ends with (null: none). Items are
 * idempotent (an item's output and its `done` mark in one transaction), so a run cut anywhere can
 * run again. An item that fails reports through `JobService.itemFailed`, which counts attempts and
 * outages; a throw fails the whole job with its message.
 */
export interface JobKind {
  readonly name: JobKindName;
  /** Whether a stopped job of this kind may run again (resume, retry, after a crash). */
  readonly resumable: boolean;
  run(id: JobId, run: RunHandle): Promise<string | null>;
  /** Read on every progress event (a few a second): the row's figures (store/job-figures.ts), not scans. */
  view(row: JobRow): KindView;
}
