import type { RunId } from '../../../common/contract';
import { StudioFailure } from '../errors';
import { runnerId } from '../runner';
import type { TrainerJob } from '../trainer/job';
import { LocalTrainerLauncher } from '../trainer/local-launcher';
import type { RunContext } from './run-context';
import { readStoredConfig, trainerJobFor } from './run-config';
import type { RunMirror, TrainerCommand } from './run-mirror';
import type { TrainingExports } from './training-exports';

/**
 * Runs the trainer as a supervised child process of this studio: training (or resuming) a run, or
 * exporting a finished one. The process is registered in `context.active` until it exits; its events
 * and exit go to the mirror.
 */
export class LocalRuns {
  constructor(
    private readonly context: RunContext,
    private readonly mirror: RunMirror,
    private readonly exports: TrainingExports,
    private readonly options: { trainerDir: string; defaultPython: string },
  ) {}

  /** Resolves once the process runs; a StudioFailure `unavailable` (also on the run) when it cannot start. */
  async launch(id: RunId, command: TrainerCommand = 'train', exportOptions?: TrainerJob['export']): Promise<void> {
    const { repo, clock, active } = this.context;
    const row = this.context.row(id);
    const config = readStoredConfig(row.config);
    const python = config.python.trim() || this.options.defaultPython;
    const launcher = new LocalTrainerLauncher({ python, trainerDir: this.options.trainerDir });
    const job = trainerJobFor(row, exportOptions);
    launcher.on('event', (event) => this.mirror.onEvent(id, event, command));
    launcher.on('log', (line) => this.context.logged(id, line));
    // An export is not training: the run stays `succeeded` (and out of recover()'s reach).
    repo.update(
      id,
      command === 'train'
        ? { status: 'running', message: null, runner: runnerId(), stopRequest: null, finishedAt: null }
        : { message: null },
      clock.now(),
    );
    const exited = new Promise<void>((resolve) => {
      launcher.once('exit', (exit) => {
        this.mirror.onExit(id, exit, command);
        active.delete(id);
        resolve();
      });
    });
    active.set(id, { kind: 'local', launcher, exited });
    try {
      await launcher.start(job, command);
    } catch (error) {
      active.delete(id);
      const message = error instanceof Error ? error.message : String(error);
      this.mirror.onLaunchFailed(id, command, message);
      throw new StudioFailure('unavailable', message);
    }
    this.context.changed(id, true);
  }

  /**
   * Asks local trainers to save and stop (up to `graceMs`, milliseconds), leaving them resumable;
   * an export is killed (it saves nothing worth waiting for) and ends as cancelled. A trainer still
   * running after the grace is killed and its run marked `interrupted`.
   */
  async shutdown(graceMs: number): Promise<void> {
    const all = this.context.active.local();
    for (const [id, run] of all) {
      try {
        if (this.exports.cancelling(id)) run.launcher.kill();
        else run.launcher.stop();
      } catch {
        // already exiting
      }
    }
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled(all.map(([, run]) => run.exited)), timeout]);
    for (const [id, run] of all) {
      if (run.launcher.running) {
        run.launcher.kill();
        this.context.repo.update(
          id,
          {
            status: 'interrupted',
            message: 'The studio closed during training; resume to continue from the last checkpoint.',
          },
          this.context.clock.now(),
        );
      }
    }
  }
}
