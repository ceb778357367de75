import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Studio } from '../../../main/core/studio';
import { openDatabase, type Db } from '../../../main/store/database';
import { THRESHOLD_FRAMES, WalCheckpointer, type CheckpointOutcome } from '../../../main/store/wal-checkpointer';
import { tempDir } from '../../support/paths';

// Issue 9, point 3: SQLite's automatic checkpoint (two fsyncs and MBs of writes inside the commit
// that crosses 1,000 log pages) ran on the serving thread and held it from ~20 ms to seconds
// during an import. The studio's connection no longer checkpoints; a thread of its own does, and
// the log stays bounded however many commits run.

let tmp: { dir: string; cleanup: () => void };
let file: string;
let db: Db;
beforeEach(() => {
  tmp = tempDir('cs-checkpoint-');
  file = path.join(tmp.dir, 'studio.sqlite');
});
afterEach(() => {
  if (db?.open) db.close();
  tmp.cleanup();
});

/** About `kb` KB of new pages in one transaction (a slice of an import, say). */
function commit(kb: number): void {
  db.prepare('INSERT INTO blobs (body) VALUES (randomblob(?))').run(kb * 1024);
}

/** The salt in the write-ahead log file's header (bytes 16-23): a new one each time the log starts again. */
function logSalt(): string {
  const fd = fs.openSync(`${file}-wal`, 'r');
  try {
    const header = Buffer.alloc(8);
    fs.readSync(fd, header, 0, 8, 16);
    return header.toString('hex');
  } finally {
    fs.closeSync(fd);
  }
}

const walBytes = () => (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);

describe('WAL checkpoints', () => {
  it('the studio’s own connection never checkpoints on commit; a checkpointer of its own does', () => {
    const studio = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test', embeddedThreads: 1 });
    try {
      expect(studio.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      expect(studio.checkpointer).toBeInstanceOf(WalCheckpointer);
    } finally {
      studio.close();
    }
  });

  it('starts its thread as the database opens, before anything writes (not on the path of the first job’s commits)', async () => {
    const studio = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test', embeddedThreads: 1 });
    try {
      const online = studio.checkpointer.online;
      expect(online).toBeInstanceOf(Promise);
      await online;
      expect(studio.checkpointer.checkpoints).toBe(0);
    } finally {
      studio.close();
    }
    // Closed while its thread had no connection: the studio's close still removes the log.
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('keeps the log bounded across a long sequence of commits, checkpointing on its thread’s one connection', async () => {
    db = openDatabase(file);
    db.exec('CREATE TABLE blobs (body BLOB)');
    const threshold = 200; // frames: 800 KB at 4 KB pages
    const checkpointer = new WalCheckpointer(db, file, { thresholdFrames: threshold, pollMs: 5 });
    try {
      const outcomes: CheckpointOutcome[] = [];
      let largestPending = 0;
      let largestFile = 0;
      // 60 commits of 160 KB: ~10 MB through the log, 12 times the threshold.
      for (let i = 0; i < 60; i++) {
        commit(160);
        const pending = checkpointer.pendingFrames();
        largestPending = Math.max(largestPending, pending);
        largestFile = Math.max(largestFile, walBytes());
        // Past the threshold, the next poll asks the thread: wait for it (the event loop is free meanwhile).
        if (pending >= threshold) outcomes.push(await checkpointer.next());
      }
      expect(checkpointer.checkpoints).toBeGreaterThanOrEqual(4);
      // Every checkpoint ran on the thread's one connection, opened for the first and kept.
      expect(outcomes).toEqual(outcomes.map(() => expect.objectContaining({ connections: 1 })));
      // Without checkpoints the log would hold all ~2,500 frames (10 MB); it never held much more
      // than the threshold and the commits made while a checkpoint ran.
      expect(largestPending).toBeLessThan(2 * threshold);
      expect(largestFile).toBeLessThan(2 * 1024 * 1024);
      expect(db.prepare('SELECT count(*) FROM blobs').pluck().get()).toBe(60);
    } finally {
      checkpointer.close();
    }
  });

  it('drains the log on request and starts it again from its beginning on its thread, so that a writer that never pauses gets a short log and no header to sync', async () => {
    db = openDatabase(file);
    db.exec('CREATE TABLE blobs (body BLOB)');
    // Polls far apart: only `drain` checkpoints here.
    const checkpointer = new WalCheckpointer(db, file, { thresholdFrames: 1, pollMs: 60_000 });
    try {
      for (let round = 0; round < 3; round++) {
        // 20 commits of 40 KB, as an import's slices make them: at least 200 frames.
        for (let i = 0; i < 20; i++) commit(40);
        expect(checkpointer.logFrames()).toBeGreaterThan(200);
        const before = logSalt();
        expect(await checkpointer.drain()).toBe(true);
        // The thread started the log again (a new salt), with its one page.
        const drained = logSalt();
        expect(drained).not.toBe(before);
        expect(checkpointer.logFrames()).toBe(1);
        // The writer's next commit appends to that log: it does not start one (whose header SQLite
        // fsyncs in that commit, on the serving thread).
        commit(40);
        expect(logSalt()).toBe(drained);
        expect(checkpointer.logFrames()).toBeLessThan(20);
      }
      // The thread's page leaves what the database holds as it was.
      expect(db.pragma('user_version', { simple: true })).toBe(0);
    } finally {
      checkpointer.close();
    }
    expect(await checkpointer.drain()).toBe(false);
  });

  it('after checkpoints on its thread, the studio’s close still checkpoints the whole log and removes it (a CLI command leaves none)', async () => {
    const studio = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test', embeddedThreads: 1 });
    db = studio.db;
    db.exec('CREATE TABLE blobs (body BLOB)');
    // Past the studio's threshold (4 KB pages: a frame each, and a little more).
    for (let i = 0; i < 40; i++) commit(Math.ceil((THRESHOLD_FRAMES * 4) / 40) + 8);
    expect(studio.checkpointer.pendingFrames()).toBeGreaterThan(THRESHOLD_FRAMES);
    expect(await studio.checkpointer.next()).not.toHaveProperty('error');
    for (let i = 0; i < 5; i++) commit(160);
    studio.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const reopened = openDatabase(file);
    try {
      expect(reopened.prepare('SELECT count(*) FROM blobs').pluck().get()).toBe(45);
    } finally {
      reopened.close();
    }
  });
});
