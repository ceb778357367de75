import type { RunId } from '../../../common/contract';
import type { LocalTrainerLauncher } from '../trainer/local-launcher';
import type { SshTrainerLauncher } from '../trainer/ssh-launcher';

/** A run this studio process is driving: a local child process, or a remote run it follows over SSH. */
export type ActiveRun = LocalRun | RemoteRun;

export interface LocalRun {
  kind: 'local';
  launcher: LocalTrainerLauncher;
  /** Resolves once the process has exited and its end is recorded. */
  exited: Promise<void>;
}

export interface RemoteRun {
  kind: 'remote';
  launcher: SshTrainerLauncher;
  label: string;
  exited: Promise<void>;
  /** Resolves `exited`; called once, when the run is over or no longer followed. */
  settle: () => void;
  /** Set by cancel: the kill that follows must end as `cancelled`, not `interrupted`. */
  cancelRequested: boolean;
  /** Set by detach: following stops on purpose and the run stays `running` in the store. */
  detaching: boolean;
}

/**
 * The trainer processes this studio process drives, one at most per run (training, or an export of
 * a finished run). Live state: a run leaves it when its process has exited or is no longer followed.
 */
export class ActiveRuns {
  private readonly runs = new Map<RunId, ActiveRun>();

  get(id: RunId): ActiveRun | undefined {
    return this.runs.get(id);
  }

  /** How many runs this process drives now. */
  get size(): number {
    return this.runs.size;
  }

  has(id: RunId): boolean {
    return this.runs.has(id);
  }

  set(id: RunId, run: ActiveRun): void {
    this.runs.set(id, run);
  }

  /** Forgets the run; with `only`, only while that entry is still the run's (a newer one stays). */
  delete(id: RunId, only?: ActiveRun): void {
    if (only === undefined || this.runs.get(id) === only) this.runs.delete(id);
  }

  /** Resolves when the run's process has exited; at once when none is live. */
  async exited(id: RunId): Promise<void> {
    await this.runs.get(id)?.exited;
  }

  local(): [RunId, LocalRun][] {
    return [...this.runs.entries()].filter((entry): entry is [RunId, LocalRun] => entry[1].kind === 'local');
  }

  remote(): RemoteRun[] {
    return [...this.runs.values()].filter((run): run is RemoteRun => run.kind === 'remote');
  }
}
