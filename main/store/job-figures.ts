import type { JobStage } from '../../common/contract';
import type { JobRow } from './jobs-repo';

/**
 * A job's progress figures as its row keeps them (migration 022): its triggers update the row in
 * the same transaction as each item or scene written or deleted, so reading the row is reading the
 * figures, mid-run included, from any door or process.
 */

/** A stage's items by status. */
export interface ItemCounts {
  pending: number;
  done: number;
  failed: number;
}

/**
 * What a generation job answers for: the character's scenes the job made or made before it was
 * created by anyone else (later runs' scenes are theirs), with how many have their experience.
 */
export interface JobScope {
  scenes: number;
  experiences: number;
  protective: number;
  protectiveExperiences: number;
}

/** The columns `JobRow` gains for its figures. */
export interface JobFigureColumns {
  /** JSON: `{"<stage>": {"pending": n, "done": n, "failed": n}}`, a status absent when 0. */
  item_counts: string;
  scope_scenes: number;
  scope_experiences: number;
  scope_protective: number;
  scope_protective_experiences: number;
}

type Stored = Partial<Record<string, Partial<ItemCounts>>>;

/** Every stage's item counts, from the row. */
export function itemCountsOf(row: Pick<JobRow, 'item_counts'>): Partial<Record<JobStage, ItemCounts>> {
  const stored = JSON.parse(row.item_counts) as Stored;
  const counts: Partial<Record<string, ItemCounts>> = {};
  for (const [stage, c] of Object.entries(stored))
    counts[stage] = { pending: c?.pending ?? 0, done: c?.done ?? 0, failed: c?.failed ?? 0 };
  return counts;
}

/** One stage's item counts (all 0 for a stage with no items). */
export function stageCountsOf(row: Pick<JobRow, 'item_counts'>, stage: JobStage): ItemCounts {
  return itemCountsOf(row)[stage] ?? { pending: 0, done: 0, failed: 0 };
}

/** Items of every stage that ran out of attempts. */
export function failedItemsOf(row: Pick<JobRow, 'item_counts'>): number {
  return Object.values(itemCountsOf(row)).reduce((n, c) => n + (c?.failed ?? 0), 0);
}

export function scopeOf(row: JobFigureColumns): JobScope {
  return {
    scenes: row.scope_scenes,
    experiences: row.scope_experiences,
    protective: row.scope_protective,
    protectiveExperiences: row.scope_protective_experiences,
  };
}
