import type { RunId, TrainingLog, TrainingLogLine } from '../../../common/contract';
import type { TrainingLogRepo } from '../../store/training-log-repo';

/** How long a line may wait before its batch is written, milliseconds. */
const FLUSH_MS = 250;
/** A batch this long is written at once (a trainer printing fast). */
const FLUSH_LINES = 500;
/** What `training/log` returns when the caller names no limit. */
export const DEFAULT_LOG_LIMIT = 1_000;

/**
 * The trainer log lines of the runs this process drives, numbered and written in batches: at most
 * every FLUSH_MS (one transaction per run), at once when a batch reaches FLUSH_LINES, and whole
 * when a trainer process ends (`end`), before any read, and when the studio closes. A line is
 * numbered as it arrives, so the live event and the stored line carry the same `seq`.
 */
export class RunLog {
  private readonly pending = new Map<RunId, TrainingLogLine[]>();
  /** The next number per run; read from the store when the run first logs in this process. */
  private readonly next = new Map<RunId, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly repo: TrainingLogRepo) {}

  /** Queues the line; returns its number, or null when the studio has closed its database (not kept). */
  add(id: RunId, line: string): number | null {
    // A connection's last words after the studio closed (an SSH session ending): shown, not kept.
    if (!this.repo.open) return null;
    const seq = this.next.get(id) ?? this.repo.lastSeq(id) + 1;
    this.next.set(id, seq + 1);
    const batch = this.pending.get(id) ?? [];
    batch.push({ seq, line });
    this.pending.set(id, batch);
    if (batch.length >= FLUSH_LINES) this.flush(id);
    else this.timer ??= setTimeout(() => this.flushAll(), FLUSH_MS).unref();
    return seq;
  }

  /**
   * The run's trainer process has ended: its lines are written now, and the numbering is read
   * again next time (another process may train the run meanwhile).
   */
  end(id: RunId): void {
    this.flush(id);
    this.next.delete(id);
  }

  read(id: RunId, afterSeq: number | null, limit = DEFAULT_LOG_LIMIT): TrainingLog {
    this.flush(id);
    return { runId: id, ...this.repo.read(id, afterSeq, limit) };
  }

  /** Writes every waiting line (the timer's work; also before the studio closes its database). */
  flushAll(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const id of [...this.pending.keys()]) this.flush(id);
  }

  private flush(id: RunId): void {
    const batch = this.pending.get(id);
    if (!batch) return;
    this.pending.delete(id);
    // The database closed under a timer's flush (a studio closed without shutdown): nothing to write to.
    if (this.repo.open) this.repo.append(id, batch);
  }
}
