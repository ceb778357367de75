import type { GenerationSettings, StageProgress } from '../../../common/contract';
import type { JobScope } from '../../store/dataset-sums';
import type { JobRow, JobsRepo } from '../../store/jobs-repo';
import { protectiveWanted, scenesExpected } from './presets';

/**
 * A generation job as the doors see it. Progress counts what the job answers for: the target is
 * the character's total, so the scenes stage starts at what earlier runs made (`jobScope`), and a
 * finished job keeps the figures it ended with when later runs add more.
 */
export function jobProgress(
  row: JobRow,
  jobs: JobsRepo,
  /** What the job answers for (`jobScopeSum`). */
  scope: JobScope,
  /** The character's profile chunks (the paper's plan writes one protective scene per chunk). */
  chunkCount: number,
): { stages: StageProgress[]; done: number; total: number; failed: number } {
  const settings = JSON.parse(row.settings) as GenerationSettings;
  const id = row.id;
  const limitsItems = jobs.countItems(id, 'limits');
  const sceneItems = jobs.countItems(id, 'scenes');
  const expItems = jobs.countItems(id, 'experiences');
  const protItems = jobs.countItems(id, 'protective');
  // The studio's target; for the paper's plan, what its calls can still bring (see scenesExpected).
  const target = scenesExpected(settings, scope.scenes, sceneItems);
  const sceneTotal = Math.max(scope.scenes, target);
  const all: StageProgress[] = [
    {
      stage: 'limits',
      done: limitsItems.done,
      failed: limitsItems.failed,
      total: limitsItems.done + limitsItems.failed + limitsItems.pending,
    },
    {
      stage: 'scenes',
      done: Math.min(scope.scenes, target),
      failed: sceneItems.failed,
      total: target,
    },
    { stage: 'experiences', done: scope.experiences, failed: expItems.failed, total: sceneTotal },
    {
      stage: 'protective',
      done: scope.protectiveExperiences,
      failed: protItems.failed,
      total: Math.max(scope.protective, protectiveWanted(settings, sceneTotal, chunkCount)),
    },
  ];
  const stages = all.filter((s) => s.total > 0 || s.stage !== 'limits');
  const done = stages.reduce((n, s) => n + Math.min(s.done, s.total), 0);
  const total = stages.reduce((n, s) => n + s.total, 0);
  const failed = stages.reduce((n, s) => n + s.failed, 0);
  return { stages, done, total, failed };
}
