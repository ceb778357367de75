import type { RunId, TrainingLogLine } from '../../common/contract';
import type { Db } from './database';

/** Lines kept from the start of a run's log (versions, the dataset, the model as loaded). */
export const LOG_HEAD_LINES = 200;
/** Lines kept from its end (the last steps, a traceback); the middle of a longer log is dropped. */
export const LOG_TAIL_LINES = 5_000;

/**
 * The trainer's log lines of each run (migration 033), numbered from 1 per run. Lines are written
 * in batches (`append`, one transaction each); beyond LOG_HEAD_LINES + LOG_TAIL_LINES the middle
 * is dropped, so the numbers missing are the lines left out.
 */
export class TrainingLogRepo {
  constructor(private readonly db: Db) {}

  /** False once the studio has closed its database: nothing can be read or kept any more. */
  get open(): boolean {
    return this.db.open;
  }

  /** The highest number a line of the run has (0: none yet). */
  lastSeq(runId: RunId): number {
    return (
      (this.db.prepare('SELECT max(seq) FROM training_logs WHERE run_id = ?').pluck().get(runId) as number | null) ?? 0
    );
  }

  /** Stores numbered lines of one run in one transaction, then drops the middle beyond the cap. */
  append(runId: RunId, lines: readonly TrainingLogLine[]): void {
    if (lines.length === 0) return;
    const insert = this.db.prepare('INSERT OR IGNORE INTO training_logs (run_id, seq, line) VALUES (?, ?, ?)');
    // A run deleted meanwhile takes its lines with it: nothing is inserted for it.
    const exists = this.db.prepare('SELECT 1 FROM training_runs WHERE id = ?').pluck();
    this.db.transaction(() => {
      if (!exists.get(runId)) return;
      for (const { seq, line } of lines) insert.run(runId, seq, line);
      const last = lines.at(-1)?.seq ?? 0;
      if (last > LOG_HEAD_LINES + LOG_TAIL_LINES)
        this.db
          .prepare('DELETE FROM training_logs WHERE run_id = ? AND seq > ? AND seq <= ?')
          .run(runId, LOG_HEAD_LINES, last - LOG_TAIL_LINES);
    })();
  }

  /**
   * Lines of the run in order: after `afterSeq` the first `limit` of those that follow it; without
   * it the last `limit`. `total` is how many the run has logged, `leftOut` how many the cap dropped.
   */
  read(
    runId: RunId,
    afterSeq: number | null,
    limit: number,
  ): { lines: TrainingLogLine[]; total: number; leftOut: number } {
    const { total, kept } = this.db
      .prepare('SELECT coalesce(max(seq), 0) AS total, count(*) AS kept FROM training_logs WHERE run_id = ?')
      .get(runId) as { total: number; kept: number };
    const lines =
      afterSeq === null
        ? (
            this.db
              .prepare('SELECT seq, line FROM training_logs WHERE run_id = ? ORDER BY seq DESC LIMIT ?')
              .all(runId, limit) as TrainingLogLine[]
          ).reverse()
        : (this.db
            .prepare('SELECT seq, line FROM training_logs WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?')
            .all(runId, afterSeq, limit) as TrainingLogLine[]);
    return { lines, total, leftOut: total - kept };
  }
}
