import type Database from 'better-sqlite3';
import type { CharacterId, CommandArg, HostId, RunId } from '../../common/contract';
import { tinyTrainingConfig } from '../unit/trainer/fixtures';

/**
 * A run on an SSH host asked to stop from a terminal that then left it (Ctrl+C on `train stop`'s
 * wait, or a studio restarted since): `stopping`, with no process of this studio seeing the stop
 * through. Its card offers "Follow the stop"; the host below cannot be reached, so following it ends
 * the run interrupted, saying why (run-card-stopping.test, training-stop-follow.e2e).
 */

/** An SSH host named lab-gpu on a port nothing answers on. */
export const UNREACHABLE_HOST: CommandArg<'hosts/save'> = {
  name: 'lab-gpu',
  host: '127.0.0.1',
  port: 1,
  username: 'trainer',
  privateKeyPath: '',
  python: 'python3',
  remoteRoot: '.character-studio',
  gpuCount: 1,
};

export interface StoppingRun {
  id: string;
  characterId: CharacterId;
  /** A host's id, or `local`: a run stopping in another process of the same data folder. */
  target: HostId | 'local';
  baseModel: string;
  runDir: string;
  createdAt: number;
  /** How far it had come; 0 of 0 when not given. */
  step?: number;
  totalSteps?: number;
  /** The process training it, as the trainer's launcher records it; none when not given. */
  runner?: string;
}

/**
 * Writes `run` into `db` (a studio's, or the file of a running `serve`: SQLite in WAL mode), as the
 * terminal's studio left it: 12 examples, asked to stop on lab-gpu.
 */
export function insertStoppingRun(db: Database.Database, run: StoppingRun): RunId {
  db.prepare(
    `INSERT INTO training_runs (id, character_id, status, target, config, run_dir, examples, step, total_steps, message,
       runner, created_at, updated_at)
     VALUES (?, ?, 'stopping', ?, ?, ?, 12, ?, ?, ?, ?, ?, ?)`,
  ).run(
    run.id,
    run.characterId,
    run.target,
    JSON.stringify(tinyTrainingConfig(run.baseModel, run.target)),
    run.runDir,
    run.step ?? 0,
    run.totalSteps ?? 0,
    'Stopping: asked the run on lab-gpu to save a checkpoint and stop…',
    run.runner ?? null,
    run.createdAt,
    run.createdAt,
  );
  return run.id as RunId;
}
