import path from 'node:path';
import type { TrainerEnvironment } from '../../../common/contract';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { LocalTrainerLauncher } from '../trainer/local-launcher';
import { ensureVenv } from '../trainer/python-env';
import { environmentOf, failedEnvironment } from './doctor-report';

/**
 * The local Python the trainer runs in: its doctor report (kept per interpreter for estimates, for
 * as long as this process lives) and the studio's managed environment `<data>/python`.
 */
export class LocalPython {
  /** The last doctor report per local interpreter. */
  private readonly reports = new Map<string, TrainerEnvironment>();
  private settingUp = false;

  constructor(
    private readonly events: EventBus,
    private readonly options: { dataDir: string; trainerDir: string; defaultPython: string },
  ) {}

  /** The last report on `python` (empty: the default interpreter) this session; null before a check. */
  reportOf(python: string): TrainerEnvironment | null {
    return this.reports.get(python.trim() || this.options.defaultPython) ?? null;
  }

  /** Asks the trainer's `doctor` in `python` (empty: the default); a failed check is a report, never a throw. */
  async doctor(python: string): Promise<TrainerEnvironment> {
    const interpreter = python.trim() || this.options.defaultPython;
    const launcher = new LocalTrainerLauncher({ python: interpreter, trainerDir: this.options.trainerDir });
    try {
      const environment = environmentOf(await launcher.doctor(), interpreter);
      this.reports.set(interpreter, environment);
      return environment;
    } catch (error) {
      return failedEnvironment(interpreter, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Creates or updates `<data>/python` with the trainer's pinned requirements, from `basePython`
   * (empty: one found on this machine); progress lines go out as `training/setup-progressed`.
   */
  async setup(basePython: string): Promise<TrainerEnvironment> {
    if (this.settingUp)
      throw new StudioFailure('conflict', 'The Python environment is already being set up; wait for it to finish.');
    this.settingUp = true;
    const dir = path.join(this.options.dataDir, 'python');
    const say = (line: string) => this.events.emit('training/setup-progressed', { line });
    try {
      const { python } = await ensureVenv(dir, path.join(this.options.trainerDir, 'requirements.txt'), say, {
        ...(basePython.trim() && { basePython: basePython.trim() }),
      });
      say(`ready: ${python}`);
      return await this.doctor(python);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      say(`failed: ${message}`);
      return failedEnvironment(dir, message);
    } finally {
      this.settingUp = false;
    }
  }
}
