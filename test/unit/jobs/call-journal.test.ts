import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobId } from '../../../common/contract';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { repoRoot, tempDir } from '../../support/paths';
import { beethovenWithFakeProvider, call, makeStudio } from '../../support/studio';

// A call is on record from the moment it is sent: journaled at once, written in flight with the
// job's next group commit (call-journal.ts). A studio killed in between (the built CLI in a real
// process, SIGKILL) leaves it in the journal, and the next open puts it on record as interrupted.

let server: FakeLlmServer;
beforeAll(async () => {
  server = await startFakeLlmServer({});
});
afterAll(() => server?.close());

/** `read` on a read-only connection to the studio database in `dir` (beside a stopped process holding it). */
function readOnly<T>(dir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dir, 'studio.sqlite'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const journals = (dir: string) => fs.readdirSync(dir).filter((name) => name.endsWith('-calls'));

/**
 * Runs `generate` (the built CLI, bin/character-studio.cjs) on `dir` and stops that process
 * (SIGSTOP) the moment its first call reaches the server; returns it stopped, with the messages of
 * that call.
 */
async function stoppedMidCall(dir: string): Promise<{ child: ChildProcess; messages: unknown }> {
  const args = ['generate', 'Beethoven', '--provider', 'Fake', '--target', '2', '--per-call', '2', '--protective', '0'];
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin', 'character-studio.cjs'), ...args, '--data-dir', dir],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const messages = await new Promise<unknown>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`generate ended (${code}) before its first call: ${stderr}`)));
    server.setResponder((req) => {
      child.kill('SIGSTOP');
      resolve(req.messages);
      return new Promise<string>(() => undefined); // never answered
    });
  });
  return { child, messages };
}

describe('a studio killed mid-call', () => {
  it('has the call on record at the next open, interrupted with its prompt, also when only its journal held it', async () => {
    const data = tempDir('cs-journal-');
    try {
      const setup = makeStudio(data.dir);
      await beethovenWithFakeProvider(setup.studio, server.baseURL);
      await setup.studio.shutdown();
      setup.cleanup();
      // Killed before its group commit the call is only in the journal; after it, in the database
      // too. The first is what this is about: tried until a kill lands there (the commit comes
      // 20 ms after the send, so nearly always at once), each time checking the outcome.
      let journalOnly = false;
      for (let attempt = 0; attempt < 10 && !journalOnly; attempt++) {
        const { child, messages } = await stoppedMidCall(data.dir);
        const journaled = journals(data.dir).some(
          (name) => fs.readFileSync(path.join(data.dir, name), 'utf8').trim() !== '',
        );
        // Earlier kills' calls with the same prompt are interrupted by now: in flight is this one's row.
        const committed = readOnly(data.dir, (db) =>
          db
            .prepare("SELECT count(*) FROM llm_calls WHERE messages = ? AND status = 'in_flight'")
            .pluck()
            .get(JSON.stringify(messages)),
        );
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;

        const reopened = makeStudio(data.dir);
        try {
          const db = reopened.studio.db;
          const onRecord = db
            .prepare(
              `SELECT id, job_id, status FROM llm_calls WHERE messages = ?
                 AND job_id = (SELECT id FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT 1)`,
            )
            .all(JSON.stringify(messages)) as { id: string; job_id: JobId; status: string }[];
          const interrupted = onRecord.filter((row) => row.status === 'interrupted');
          expect(interrupted.length, 'the call the server received is on record as interrupted').toBeGreaterThan(0);
          const job = await call(reopened.studio, 'jobs/get', { id: interrupted[0]!.job_id });
          expect(job.status).toBe('interrupted');
          expect(job.interruptedCalls).toBeGreaterThan(0);
          const inDb = db.prepare("SELECT count(*) FROM llm_calls WHERE status = 'in_flight'").pluck().get();
          expect(inDb).toBe(0);
          // Replayed and gone: only the new process's own (empty) journal may be there.
          for (const name of journals(data.dir)) expect(fs.readFileSync(path.join(data.dir, name), 'utf8')).toBe('');
          await call(reopened.studio, 'jobs/cancel', { id: job.id });
          await reopened.studio.shutdown();
        } finally {
          reopened.cleanup();
        }
        journalOnly = journaled && committed === 0;
        console.info(`kill ${attempt + 1}: the call was ${journalOnly ? 'only in the journal' : 'committed'}`);
      }
      expect(journalOnly, 'no kill landed between a send and its group commit').toBe(true);
    } finally {
      data.cleanup();
    }
  }, 120_000);
});
