import type { GenerationSettings, StageProgress } from '../../../common/contract';
import { itemCountsOf, scopeOf, type ItemCounts } from '../../store/job-figures';
import type { JobRow } from '../../store/jobs-repo';
import { protectiveWanted, scenesExpected } from './presets';

/**
 * A generation job as the doors see it, from its row alone (job-figures.ts). Progress counts what
 * the job answers for (`JobScope`): the target is the character's total, so the scenes stage starts
 * at what earlier runs made, and a finished job keeps the figures it ended with when later runs add more.
 */
export function jobProgress(
  row: JobRow,
  /** The character's profile chunks (the paper's plan writes one protective scene per chunk). */
  chunkCount: number,
  settings = JSON.parse(row.settings) as GenerationSettings,
): { stages: StageProgress[]; done: number; total: number; failed: number } {
  const scope = scopeOf(row);
  const counts = itemCountsOf(row);
  const none: ItemCounts = { pending: 0, done: 0, failed: 0 };
  const limitsItems = counts.limits ?? none;
  const sceneItems = counts.scenes ?? none;
  const expItems = counts.experiences ?? none;
  const protItems = counts.protective ?? none;
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
