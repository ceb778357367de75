import type { RunId } from '../../../common/contract';
import type { TrainingRepo, TrainingRunRow } from '../../store/training-repo';
import type { Clock } from '../clock';
import type { ActiveRuns } from './active-runs';

/**
 * What the parts of training that drive a run (local and remote launching, exports, the conversion
 * for chat, the event mirror) need of TrainingService: the store, the clock, the processes it
 * drives, and the run card's refresh. The service builds one and hands it to each part; no part
 * reaches into the service itself.
 */
export interface RunContext {
  readonly repo: TrainingRepo;
  readonly clock: Clock;
  readonly active: ActiveRuns;
  /** The run's row; a StudioFailure `not_found` when the run was deleted. */
  row(id: RunId): TrainingRunRow;
  /** The run changed: `training/progressed` goes out, at most every 250 ms unless `force`. */
  changed(id: RunId, force: boolean): void;
  /** A line of the trainer's output: stored (run-log.ts) and sent out as `training/logged`. */
  logged(id: RunId, line: string): void;
  /** The run's trainer process has ended: its log lines are written now. */
  logEnded(id: RunId): void;
}
