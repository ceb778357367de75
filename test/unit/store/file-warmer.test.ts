import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Studio } from '../../../main/core/studio';
import { warmFile, warmLimit } from '../../../main/store/file-warmer';
import { tempDir } from '../../support/paths';

/**
 * Issue 10, search p95 at 100,000 scenes: the first searches on a database no process had read
 * since it was written read its pages from the disk (100–450 ms a page of results, 846 ms while
 * another process wrote to the disk). A studio that serves the browser reads its file through once
 * in the background as it opens, so those pages are in the system's cache by the first search.
 */

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const MiB = 2 ** 20;

function fileOf(bytes: number): string {
  const file = path.join(tmp.dir, 'data.bin');
  fs.writeFileSync(file, Buffer.alloc(bytes, 7));
  return file;
}

describe('warmFile', () => {
  it('reads the whole file, chunk by chunk, to its end', async () => {
    const file = fileOf(2 * MiB + 123);
    const warmed = await warmFile(file, { signal: new AbortController().signal, maxBytes: 1e12, chunkBytes: MiB });
    expect(warmed).toEqual({ bytes: 2 * MiB + 123, end: 'read' });
  });

  it('stops at its limit, so a file larger than the cache can hold is not read for nothing', async () => {
    const file = fileOf(3 * MiB);
    const warmed = await warmFile(file, { signal: new AbortController().signal, maxBytes: MiB + 5, chunkBytes: MiB });
    expect(warmed).toEqual({ bytes: MiB + 5, end: 'capped' });
    expect(warmLimit(16 * 2 ** 30)).toBe(4 * 2 ** 30);
  });

  it('stops when its signal fires (the studio closing) and reads no further', async () => {
    const file = fileOf(3 * MiB);
    const controller = new AbortController();
    const warming = warmFile(file, { signal: controller.signal, maxBytes: 1e12, chunkBytes: MiB });
    controller.abort();
    expect(await warming).toEqual({ bytes: 0, end: 'stopped' });
  });

  it('reports a file it cannot read as a value, never a rejection', async () => {
    const warmed = await warmFile(path.join(tmp.dir, 'gone.sqlite'), {
      signal: new AbortController().signal,
      maxBytes: 1e12,
    });
    expect(warmed.end).toBe('failed');
    expect(warmed.bytes).toBe(0);
    expect(warmed.error).toMatch(/ENOENT/);
  });
});

describe('a studio warms its database file as it opens', () => {
  it('reads the whole file once for the doors that serve the browser', async () => {
    const studio = new Studio({ dataDir: tmp.dir, door: 'web', version: 'test', embeddedThreads: 1 });
    try {
      const warmed = await studio.cacheWarmed;
      expect(warmed).toEqual({ bytes: fs.statSync(studio.databasePath).size, end: 'read' });
      expect(warmed!.bytes).toBeGreaterThan(0);
    } finally {
      studio.close();
    }
  });

  it('does not for the CLI, whose commands end before it would pay off', () => {
    const studio = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test', embeddedThreads: 1 });
    try {
      expect(studio.cacheWarmed).toBeNull();
    } finally {
      studio.close();
    }
  });
});
