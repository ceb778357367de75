import type { RunId, RunStatus, TrainingTransfer } from '../../../common/contract';
import type { TrainerEvent } from '../../../common/trainer-protocol';
import { foldTransfer } from '../trainer/events';
import type { TrainerExit } from '../trainer/supervision';
import type { RunContext } from './run-context';
import type { TrainingExports } from './training-exports';

/** What the trainer was asked to do: train (or resume), or export a finished run. */
export type TrainerCommand = 'train' | 'export';

const STATUS_OF_EXIT: Record<TrainerExit['meaning'], RunStatus> = {
  done: 'succeeded',
  stopped: 'stopped',
  cancelled: 'cancelled',
  invalid_job: 'failed',
  oom: 'failed',
  error: 'failed',
  killed: 'interrupted',
};

/**
 * Mirrors a trainer's protocol events and its exit into the run's row, local and remote runs alike,
 * and tells the run card (`changed`). Byte progress of the phase a live run is in (the base model's
 * download) is kept here only: it is not persisted.
 */
export class RunMirror {
  private readonly transfers = new Map<RunId, TrainingTransfer>();

  constructor(
    private readonly context: RunContext,
    private readonly exports: TrainingExports,
  ) {}

  transferOf(id: RunId): TrainingTransfer | null {
    return this.transfers.get(id) ?? null;
  }

  /** `mapPath` turns a path the trainer reported into the studio's (a remote run's into its local folder). */
  onEvent(id: RunId, event: TrainerEvent, command: TrainerCommand, mapPath: (p: string) => string = (p) => p): void {
    const { repo } = this.context;
    const now = this.context.clock.now();
    repo.update(id, { lastSeq: event.seq }, now);
    const transfer = foldTransfer(this.transfers.get(id) ?? null, event);
    if (transfer) this.transfers.set(id, transfer);
    else this.transfers.delete(id);
    switch (event.type) {
      case 'phase':
        if (command === 'export' && this.exports.has(id)) {
          this.exports.onPhase(id, event.name, event.target ?? null);
          break;
        }
        repo.update(
          id,
          {
            phase: event.name,
            ...(event.total_steps !== undefined && { totalSteps: event.total_steps }),
            ...(event.name === 'loading_model' && event.device !== undefined && { device: event.device }),
          },
          now,
        );
        break;
      case 'stats':
        repo.update(
          id,
          {
            examples: event.examples + event.dev_examples,
            paddingShare: event.padding_share,
            paddingShareFixed: event.padding_share_fixed,
          },
          now,
        );
        break;
      case 'progress':
        repo.update(
          id,
          {
            step: event.step,
            totalSteps: event.total_steps,
            epoch: event.epoch,
            ...(event.tokens_per_s !== undefined && { tokensPerSecond: event.tokens_per_s }),
            ...(event.eta_s !== undefined && { etaSeconds: event.eta_s }),
            ...(event.peak_memory_bytes !== undefined && { peakMemoryBytes: event.peak_memory_bytes }),
          },
          now,
        );
        repo.addPoint(id, event.step, event.loss ?? null, event.eval_loss ?? null, event.lr ?? null);
        break;
      case 'checkpoint':
        repo.mergeOutputs(id, { checkpoint: mapPath(event.path) }, now);
        break;
      case 'done':
        repo.mergeOutputs(
          id,
          Object.fromEntries(Object.entries(event.outputs).map(([kind, p]) => [kind, mapPath(p)])),
          now,
        );
        break;
      case 'warning':
        repo.addWarning(
          id,
          { code: event.code, message: event.message, sceneIds: event.scene_ids ?? [], at: event.ts * 1000 },
          now,
        );
        break;
      case 'error': {
        repo.update(id, { message: event.hint ? `${event.message} ${event.hint}` : event.message }, now);
        // A failed GGUF conversion still lists what it wrote before it (merged model, Modelfile).
        const written = (event.details as { outputs?: Record<string, string> } | undefined)?.outputs;
        if (command === 'export' && written) repo.mergeOutputs(id, written, now);
        break;
      }
      default:
        break;
    }
    this.context.changed(id, event.type !== 'progress');
  }

  onExit(id: RunId, exit: TrainerExit, command: TrainerCommand): void {
    this.transfers.delete(id); // a killed trainer sends no terminal event
    this.context.logEnded(id);
    if (command === 'export') {
      this.exports.onExit(id, exit);
      return;
    }
    const status = STATUS_OF_EXIT[exit.meaning];
    const now = this.context.clock.now();
    this.context.repo.update(
      id,
      {
        status,
        message: exit.meaning === 'done' ? null : exit.message,
        runner: null,
        stopRequest: null,
        ...(status !== 'stopped' && status !== 'interrupted' && { finishedAt: now }),
      },
      now,
    );
    this.context.changed(id, true);
  }

  /** The trainer could not be started: training fails (resumable), an export leaves only its message. */
  onLaunchFailed(id: RunId, command: TrainerCommand, message: string): void {
    this.exports.forget(id);
    this.context.logEnded(id);
    this.context.repo.update(
      id,
      command === 'export' ? { message } : { status: 'failed', message, runner: null },
      this.context.clock.now(),
    );
    this.context.changed(id, true);
  }
}
