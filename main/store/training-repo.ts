import type {
  CharacterId,
  RunId,
  RunStatus,
  TrainingConfig,
  TrainingPoint,
  TrainingWarning,
} from '../../common/contract';
import type { Db } from './database';
import { idsStartingWith } from './id-match';

export interface TrainingRunRow {
  id: RunId;
  character_id: CharacterId;
  status: RunStatus;
  target: string;
  config: string;
  run_dir: string;
  phase: string | null;
  examples: number | null;
  padding_share: number | null;
  padding_share_fixed: number | null;
  step: number;
  total_steps: number;
  epoch: number;
  tokens_per_s: number | null;
  eta_s: number | null;
  device: string | null;
  peak_memory_bytes: number | null;
  last_seq: number;
  outputs: string;
  message: string | null;
  runner: string | null;
  /** JSON RemotePlace: where a run on an SSH host lives there; null for local runs. */
  remote_place: string | null;
  /** JSON array of TrainingWarning (migration 008). */
  warnings: string;
  /** A stop or cancel another process asked of the run (migration 033); null when none is waiting. */
  stop_request: StopRequest | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface RunPatch {
  status?: RunStatus;
  phase?: string;
  examples?: number;
  paddingShare?: number;
  paddingShareFixed?: number;
  step?: number;
  totalSteps?: number;
  epoch?: number;
  tokensPerSecond?: number;
  etaSeconds?: number;
  device?: string;
  peakMemoryBytes?: number;
  lastSeq?: number;
  message?: string | null;
  runner?: string | null;
  remotePlace?: string | null;
  stopRequest?: StopRequest | null;
  finishedAt?: number | null;
}

/** What another process asked of a run it does not train. */
export type StopRequest = 'stop' | 'cancel';

const COLUMNS: Record<keyof RunPatch, string> = {
  status: 'status',
  phase: 'phase',
  examples: 'examples',
  paddingShare: 'padding_share',
  paddingShareFixed: 'padding_share_fixed',
  step: 'step',
  totalSteps: 'total_steps',
  epoch: 'epoch',
  tokensPerSecond: 'tokens_per_s',
  etaSeconds: 'eta_s',
  device: 'device',
  peakMemoryBytes: 'peak_memory_bytes',
  lastSeq: 'last_seq',
  message: 'message',
  runner: 'runner',
  remotePlace: 'remote_place',
  stopRequest: 'stop_request',
  finishedAt: 'finished_at',
};

/** Enough for every kind the trainer has, with room; the oldest go first beyond it. */
const MAX_WARNINGS = 50;

export function readWarnings(text: string): TrainingWarning[] {
  return JSON.parse(text) as TrainingWarning[];
}

/** Training runs and their loss curves. */
export class TrainingRepo {
  constructor(private readonly db: Db) {}

  insert(
    run: { id: RunId; characterId: CharacterId; config: TrainingConfig; runDir: string; examples: number },
    now: number,
  ): void {
    this.db
      .prepare(
        `INSERT INTO training_runs (id, character_id, status, target, config, run_dir, examples, created_at, updated_at)
         VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?)`,
      )
      .run(run.id, run.characterId, run.config.target, JSON.stringify(run.config), run.runDir, run.examples, now, now);
  }

  get(id: RunId): TrainingRunRow | undefined {
    return this.db.prepare('SELECT * FROM training_runs WHERE id = ?').get(id) as TrainingRunRow | undefined;
  }

  matchIds(key: string): { id: RunId; characterId: CharacterId }[] {
    return idsStartingWith(this.db, 'training_runs', key);
  }

  listFor(characterId: CharacterId): TrainingRunRow[] {
    return this.db
      .prepare('SELECT * FROM training_runs WHERE character_id = ? ORDER BY created_at DESC, rowid DESC')
      .all(characterId) as TrainingRunRow[];
  }

  /** The newest runs with a measured speed (non-padding tokens/s), newest first. */
  measuredSpeeds(limit = 50): { config: string; tokens_per_s: number; updated_at: number }[] {
    return this.db
      .prepare(
        `SELECT config, tokens_per_s, updated_at FROM training_runs
         WHERE tokens_per_s > 0 ORDER BY updated_at DESC LIMIT ?`,
      )
      .all(limit) as { config: string; tokens_per_s: number; updated_at: number }[];
  }

  unfinished(): TrainingRunRow[] {
    return this.db
      .prepare(`SELECT * FROM training_runs WHERE status IN ('queued', 'running', 'stopping')`)
      .all() as TrainingRunRow[];
  }

  /**
   * Records a stop or cancel for the process `runner` that trains the run (as `patch` says meanwhile);
   * false when the run is no longer live under that runner.
   */
  requestStop(id: RunId, runner: string, request: StopRequest, patch: RunPatch, now: number): boolean {
    return this.db.transaction(() => {
      const held = this.db
        .prepare(`SELECT 1 FROM training_runs WHERE id = ? AND runner = ? AND status IN ('running', 'stopping')`)
        .pluck()
        .get(id, runner);
      if (!held) return false;
      this.update(id, { ...patch, stopRequest: request }, now);
      return true;
    })();
  }

  /** The stops and cancels waiting for the processes that train their runs. */
  stopRequests(): { id: RunId; stop_request: StopRequest }[] {
    return this.db.prepare('SELECT id, stop_request FROM training_runs WHERE stop_request IS NOT NULL').all() as {
      id: RunId;
      stop_request: StopRequest;
    }[];
  }

  update(id: RunId, patch: RunPatch, now: number): void {
    const keys = (Object.keys(patch) as (keyof RunPatch)[]).filter((k) => patch[k] !== undefined);
    const sets = keys.map((k) => `${COLUMNS[k]} = @${k}`);
    this.db
      .prepare(`UPDATE training_runs SET ${[...sets, 'updated_at = @now'].join(', ')} WHERE id = @id`)
      .run({ ...Object.fromEntries(keys.map((k) => [k, patch[k]])), now, id });
  }

  mergeOutputs(id: RunId, outputs: Record<string, string>, now: number): void {
    const row = this.get(id);
    if (!row) return;
    const merged = { ...(JSON.parse(row.outputs) as Record<string, string>), ...outputs };
    this.db
      .prepare('UPDATE training_runs SET outputs = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(merged), now, id);
  }

  /** Drops artifacts by kind (an export cancelled while rewriting them). */
  dropOutputs(id: RunId, kinds: string[], now: number): void {
    const row = this.get(id);
    if (!row) return;
    const outputs = JSON.parse(row.outputs) as Record<string, string>;
    for (const kind of kinds) delete outputs[kind];
    this.db
      .prepare('UPDATE training_runs SET outputs = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(outputs), now, id);
  }

  /**
   * Records a trainer warning; one entry per distinct code and message, so a resumed attempt that
   * repeats it (the dataset is rendered again) adds nothing. Returns whether it was new.
   */
  addWarning(id: RunId, warning: TrainingWarning, now: number): boolean {
    const row = this.get(id);
    if (!row) return false;
    const warnings = readWarnings(row.warnings);
    if (warnings.some((w) => w.code === warning.code && w.message === warning.message)) return false;
    this.db
      .prepare('UPDATE training_runs SET warnings = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify([...warnings, warning].slice(-MAX_WARNINGS)), now, id);
    return true;
  }

  addPoint(id: RunId, step: number, loss: number | null, evalLoss: number | null, lr: number | null): void {
    this.db
      .prepare(
        `INSERT INTO training_points (run_id, step, loss, eval_loss, lr) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (run_id, step) DO UPDATE SET loss = coalesce(excluded.loss, loss),
           eval_loss = coalesce(excluded.eval_loss, eval_loss), lr = coalesce(excluded.lr, lr)`,
      )
      .run(id, step, loss, evalLoss, lr);
  }

  points(id: RunId): TrainingPoint[] {
    return (
      this.db.prepare('SELECT step, loss, eval_loss FROM training_points WHERE run_id = ? ORDER BY step').all(id) as {
        step: number;
        loss: number | null;
        eval_loss: number | null;
      }[]
    ).map((p) => ({ step: p.step, loss: p.loss, evalLoss: p.eval_loss }));
  }
}
