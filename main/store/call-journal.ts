import fs from 'node:fs';
import path from 'node:path';
import type { StartedCallRow } from './call-records-repo';
import type { Db } from './database';

/**
 * An append-only journal of the LLM calls a job has sent whose `in_flight` row is not committed
 * yet: what keeps a call sent just before a crash accountable while its row waits for the job's
 * next group commit (`WriteBatch`, ≤ 20 ms later) instead of being a commit of its own (~0.2 ms of
 * CPU each, one per call, on the job's path).
 *
 * Contract: `append` writes the row as one line with one `write` before the call is sent; the data
 * is then in the OS's cache, so it outlives a killed process (as a commit does under
 * `synchronous = NORMAL`; neither outlives a power loss). `committed` says one appended row is now
 * in the database; once every appended row is, the file is cut back to nothing, so it holds only
 * the calls of the last few milliseconds. At the next open after a crash, `replayCallJournal` puts
 * the journal's rows on record (`in_flight`, then made `interrupted` by the job runner's recovery,
 * as a row committed before the crash would be) and removes the file.
 *
 * Lifecycle: one per database connection of a process (its file is named after the connection's
 * session marker, open-sessions.ts, whose staleness says whether its process died); opened on the
 * first `append`. `close` removes the file when every row is committed and otherwise leaves it for
 * the next open to replay (a row already committed is left as it is there, so a journal left
 * behind is never wrong, only litter until then).
 */
export class CallJournal {
  private fd: number | null = null;
  private pending = 0;

  constructor(private readonly file: string) {}

  append(row: StartedCallRow): void {
    this.fd ??= fs.openSync(this.file, 'a');
    fs.writeSync(this.fd, `${JSON.stringify(row)}\n`);
    this.pending++;
  }

  committed(): void {
    this.pending--;
    if (this.pending === 0 && this.fd !== null) fs.ftruncateSync(this.fd, 0);
  }

  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
    if (this.pending === 0) fs.rmSync(this.file, { force: true });
  }
}

/**
 * Puts the rows of a dead process's journal on record (`in_flight`; a row committed since is left
 * as it is; its job, deleted since, becomes null as a deletion makes it) and removes the file. A last line cut short by the crash is skipped: its call was not
 * sent, as `append` returns before the call leaves. Returns the rows put on record.
 */
export function replayCallJournal(db: Db, file: string): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 0; // none: its process sent no call since its last commit
  }
  const insert = db.prepare(
    `INSERT INTO llm_calls (id, attempt, job_id, item_id, provider, model, params, messages, latency_ms, started_at, status)
     VALUES (@id, @attempt, (SELECT id FROM jobs WHERE id = @job_id), @item_id, @provider, @model, @params, @messages, 0, @started_at, 'in_flight')
     ON CONFLICT (id, attempt) DO NOTHING`,
  );
  let added = 0;
  db.transaction(() => {
    for (const line of text.split('\n')) {
      let row: StartedCallRow;
      try {
        row = JSON.parse(line) as StartedCallRow;
      } catch {
        continue;
      }
      added += insert.run(row).changes;
    }
  })();
  fs.rmSync(file, { force: true });
  return added;
}

/** The journal file of the connection whose session marker is `marker`. */
export const callJournalFile = (marker: string) => `${marker}${SUFFIX}`;

const SUFFIX = '-calls';

/**
 * At an open, replays (`replayCallJournal`) the journals of the database at `dbFile` left by
 * processes that are gone: those of the `stale` session markers (a crash), and those whose marker
 * is missing (a process that exited without closing the database, its marker removed at exit).
 * A live process's journal, whose marker is there and not stale, is left alone.
 */
export function replayCallJournals(db: Db, dbFile: string, stale: readonly string[]): void {
  const dir = path.dirname(dbFile);
  const prefix = `${path.basename(dbFile)}-open-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((name) => name.startsWith(prefix) && name.endsWith(SUFFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const journal = path.join(dir, name);
    const marker = journal.slice(0, -SUFFIX.length);
    if (stale.includes(marker) || !fs.existsSync(marker)) replayCallJournal(db, journal);
  }
}
