/**
 * The call log (`CallRecordsRepo`): an attempt's prompt is written once, when it goes on record,
 * and completing the attempt leaves it alone (migration 030); attempts recorded before that
 * migration read back as they were.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallRecordsRepo, type CallRow } from '../../../main/store/call-records-repo';
import { openDatabase, type Db } from '../../../main/store/database';
import { migrations } from '../../../main/store/migrations';
import { tempDir } from '../../support/paths';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** A prompt of `kb` KB, as a request's messages. */
const prompt = (kb: number) =>
  JSON.stringify([{ role: 'user', content: 'Write the scene below as it happened. '.repeat(kb * 27) }]);

const started = (id: string, messages: string) => ({
  id,
  attempt: 1,
  job_id: null,
  item_id: 'item-1',
  provider: 'Fake',
  model: 'fake-model',
  params: '{"temperature":0.8}',
  messages,
  started_at: 1_000,
});

const finished = (id: string, messages: string): CallRow => ({
  ...started(id, messages),
  response_model: 'fake-model-2',
  response: '{"turns":[]}',
  finish_reason: 'stop',
  prompt_tokens: 900,
  completion_tokens: 40,
  cost_usd: 0.002,
  latency_ms: 310,
  error: null,
  status: 'done',
});

/** Bytes the write-ahead log grew by during `write` (one commit; nothing checkpoints in between). */
function logGrowth(db: Db, file: string, write: () => void): number {
  const size = () => fs.statSync(`${file}-wal`).size;
  const before = size();
  write();
  return size() - before;
}

describe('call records', () => {
  it('write a prompt once: completing an attempt writes a few pages, not its prompt again', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const db = openDatabase(file);
    const repo = new CallRecordsRepo(db);
    const messages = prompt(40);
    const startBytes = logGrowth(db, file, () => repo.start(started('call-1', messages)));
    expect(startBytes).toBeGreaterThan(messages.length);
    const finishBytes = logGrowth(db, file, () => repo.finish(finished('call-1', messages)));
    // A page is 4 KB (and a frame header): the completed row and the index of open attempts.
    expect(finishBytes).toBeLessThan(8 * 4096);
    expect(repo.attempts('call-1')).toEqual([finished('call-1', messages)]);
    db.close();
  });

  it('keep an attempt finished without a start on record, prompt included', () => {
    const db = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
    const repo = new CallRecordsRepo(db);
    repo.finish(finished('call-2', prompt(3)));
    repo.finish({ ...finished('call-2', prompt(3)), attempt: 2, error: 'timeout: no answer', status: 'done' });
    expect(repo.attempts('call-2')).toEqual([
      finished('call-2', prompt(3)),
      { ...finished('call-2', prompt(3)), attempt: 2, error: 'timeout: no answer' },
    ]);
    db.close();
  });

  it('read attempts recorded before migration 030 (prompt in place) as they were, beside new ones', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const before = openDatabase(file, { migrations: migrations.filter((m) => m.id < 30) });
    const old = finished('call-old', prompt(12));
    before
      .prepare(
        `INSERT INTO llm_calls (id, attempt, job_id, item_id, provider, model, response_model, params, messages, response,
           finish_reason, prompt_tokens, completion_tokens, cost_usd, latency_ms, error, started_at, status)
         VALUES (@id, @attempt, @job_id, @item_id, @provider, @model, @response_model, @params, @messages, @response,
           @finish_reason, @prompt_tokens, @completion_tokens, @cost_usd, @latency_ms, @error, @started_at, @status)`,
      )
      .run(old);
    before.close();

    const db = openDatabase(file);
    const repo = new CallRecordsRepo(db);
    expect(repo.attempts('call-old')).toEqual([old]);
    repo.start(started('call-new', prompt(2)));
    repo.finish(finished('call-new', prompt(2)));
    expect(repo.attempts('call-new')).toEqual([finished('call-new', prompt(2))]);
    db.close();
  });
});
