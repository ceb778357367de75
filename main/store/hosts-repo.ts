import type { Host, HostId, RunId, RunStatus } from '../../common/contract';
import type { Db } from './database';

interface HostRow {
  id: string;
  name: string;
  host: string;
  port: number;
  username: string;
  private_key_path: string;
  python: string;
  remote_root: string;
  gpu_count: number;
  created_at: number;
  updated_at: number;
}

export type HostRecord = Omit<Host, 'createdAt' | 'updatedAt' | 'hasPassphrase'>;
/** A host as stored; whether it has a passphrase is the secret store's to say. */
export type StoredHost = Omit<Host, 'hasPassphrase'>;

/** SSH hosts for remote training. */
export class HostsRepo {
  constructor(private readonly db: Db) {}

  list(): StoredHost[] {
    return (this.db.prepare('SELECT * FROM hosts ORDER BY name COLLATE NOCASE').all() as HostRow[]).map(toHost);
  }

  get(id: HostId): StoredHost | undefined {
    const row = this.db.prepare('SELECT * FROM hosts WHERE id = ?').get(id) as HostRow | undefined;
    return row && toHost(row);
  }

  nameTaken(name: string, except?: HostId): boolean {
    return (
      this.db.prepare('SELECT 1 FROM hosts WHERE name = ? COLLATE NOCASE AND id != ?').get(name, except ?? '') !==
      undefined
    );
  }

  upsert(h: HostRecord, now: number): void {
    this.db
      .prepare(
        `INSERT INTO hosts (id, name, host, port, username, private_key_path, python, remote_root, gpu_count, created_at, updated_at)
         VALUES (@id, @name, @host, @port, @username, @privateKeyPath, @python, @remoteRoot, @gpuCount, @now, @now)
         ON CONFLICT (id) DO UPDATE SET name = @name, host = @host, port = @port, username = @username,
           private_key_path = @privateKeyPath, python = @python, remote_root = @remoteRoot, gpu_count = @gpuCount,
           updated_at = @now`,
      )
      .run({ ...h, now });
  }

  delete(id: HostId): boolean {
    return this.db.prepare('DELETE FROM hosts WHERE id = ?').run(id).changes > 0;
  }

  /**
   * Runs whose host was deleted, not over yet (live, interrupted or stopped), that recorded this
   * login as where they live: they belong to the host `id` now (the same machine added again), so
   * the studio can reach them again. How many.
   */
  adoptRuns(id: HostId, login: { host: string; port: number; username: string }): number {
    return this.db
      .prepare(
        `UPDATE training_runs SET target = @id, config = json_set(config, '$.target', @id)
         WHERE target != 'local' AND target NOT IN (SELECT id FROM hosts)
           AND status IN ('queued', 'running', 'stopping', 'interrupted', 'stopped')
           AND json_extract(remote_place, '$.host') = @host AND json_extract(remote_place, '$.port') = @port
           AND json_extract(remote_place, '$.username') = @username`,
      )
      .run({ id, host: login.host, port: login.port, username: login.username }).changes;
  }

  /** Training runs on this host that are not finished (they would lose their way back), oldest first. */
  unfinishedRuns(id: HostId): UnfinishedRun[] {
    return this.db
      .prepare(
        `SELECT r.id, r.status, c.short_name AS characterName FROM training_runs r
         JOIN characters c ON c.id = r.character_id
         WHERE r.target = ? AND r.status IN ('queued', 'running', 'stopping')
         ORDER BY r.created_at, r.rowid`,
      )
      .all(id) as UnfinishedRun[];
  }
}

/** A run that still trains (or waits to) on a host. */
export interface UnfinishedRun {
  id: RunId;
  status: RunStatus;
  characterName: string;
}

function toHost(row: HostRow): StoredHost {
  return {
    id: row.id as HostId,
    name: row.name,
    host: row.host,
    port: row.port,
    username: row.username,
    privateKeyPath: row.private_key_path,
    python: row.python,
    remoteRoot: row.remote_root,
    gpuCount: row.gpu_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
