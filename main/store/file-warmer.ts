import fs from 'node:fs/promises';

/**
 * Why a studio reads its database file through once as it opens (the operating system's file
 * cache, not the process's memory): SQLite reads a page from the file each time its own small
 * cache misses, and on a file no process has read since it was written (the machine restarted,
 * other work pushed it out of the cache) each of those reads goes to the disk. A page of 100
 * search results touches 100–1,000 pages spread over the file (the index's doclists, each scene's
 * row, its text for the snippet): 5–15 ms each warm, 100–450 ms cold, and more while another
 * process writes to the same disk (the dataset browser benchmark's 846 ms). Read from start to
 * end, the same file comes in at the disk's sequential speed (about 1 GB in 3 s here) while the
 * user looks at the first page, after which every search reads memory. PostgreSQL's `pg_prewarm`
 * does the same for a server's tables.
 *
 * Reads go through libuv's thread pool in chunks, so the thread that answers requests is never held;
 * the result is a value, never a rejection: warming is an optimisation, and a file that cannot be
 * read is the next open's business.
 */
export interface WarmResult {
  /** Bytes read. */
  bytes: number;
  /**
   * `read`: to the end of the file; `capped`: stopped at `maxBytes`; `stopped`: the signal fired
   * (the studio closed); `failed`: the file could not be read (`error` says why).
   */
  end: 'read' | 'capped' | 'stopped' | 'failed';
  error?: string;
}

export interface WarmOptions {
  /** Stops the reading between two chunks (the studio closing). */
  signal: AbortSignal;
  /** Bytes read at most (by default a quarter of the machine's memory, see `warmLimit`). */
  maxBytes: number;
  /** Bytes per read; the kernel's readahead serves a sequential read in windows of its own. */
  chunkBytes?: number;
}

/** Reads `file` start to end once (see the module's comment) and says how far it got. */
export async function warmFile(file: string, options: WarmOptions): Promise<WarmResult> {
  const buffer = Buffer.allocUnsafe(options.chunkBytes ?? CHUNK_BYTES);
  let bytes = 0;
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(file, 'r');
    for (;;) {
      if (options.signal.aborted) return { bytes, end: 'stopped' };
      if (bytes >= options.maxBytes) return { bytes, end: 'capped' };
      const length = Math.min(buffer.length, options.maxBytes - bytes);
      const { bytesRead } = await handle.read(buffer, 0, length, bytes);
      if (bytesRead === 0) return { bytes, end: 'read' };
      bytes += bytesRead;
    }
  } catch (error) {
    return { bytes, end: 'failed', error: error instanceof Error ? error.message : String(error) };
  } finally {
    await handle?.close();
  }
}

/**
 * The most a studio warms: a quarter of the machine's memory, so that a database larger than
 * the cache can hold does not push out everything else (and its own first pages) for nothing.
 */
export const warmLimit = (totalMemoryBytes: number) => Math.floor(totalMemoryBytes / 4);

const CHUNK_BYTES = 4 * 2 ** 20;
