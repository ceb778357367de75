import type { JobStage, JobStatus } from '../../../../common/contract';

export const STAGE_LABEL: Record<JobStage, string> = {
  limits: 'Knowledge limits',
  scenes: 'Scenes',
  experiences: 'Experiences',
  protective: 'Protective scenes',
  interviews: 'Interviews',
  judgments: 'Scores',
  pairwise: 'Pairwise comparisons',
};

export const STATUS_LABEL: Record<JobStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  succeeded: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

/** Jobs that still hold work: a new run waits until they are finished or cancelled. */
export const ACTIVE: readonly JobStatus[] = ['queued', 'running', 'paused', 'interrupted'];
