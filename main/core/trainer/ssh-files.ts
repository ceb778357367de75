/**
 * The file side of an SSH session (SFTP): whole-file uploads through `.part` and a rename, resumable
 * folder uploads with progress, recursive downloads, and reads from a byte offset (how the launcher
 * follows a remote events file). One instance per open SFTP channel; it dies with the connection.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import type ssh2 from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import { TrainerLaunchError } from './python-env';
import { shellQuote } from './shell';

/** A node-style callback call as a promise. */
export function callback<T>(run: (done: (error: Error | undefined | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));
}

/** The files under `root` (recursive, sorted), without Python caches. */
export async function localFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.endsWith('.pyc')) continue;
    const path = join(entry.parentPath, entry.name);
    if (relative(root, path).split(sep).includes('__pycache__')) continue;
    out.push(path);
  }
  return out.sort();
}

/**
 * Upload progress as 'log' lines: bytes done of the total across files, at most one line per
 * `everyMs` (milliseconds) plus the last one.
 */
export class UploadMeter {
  private finished = 0;
  private current = 0;
  private lastAt = Date.now();

  constructor(
    private readonly what: string,
    private readonly total: number,
    private readonly log: (line: string) => void,
    private readonly everyMs = 1_000,
  ) {}

  /** Bytes of the file in flight sent so far. */
  file(sent: number): void {
    this.current = sent;
    if (Date.now() - this.lastAt >= this.everyMs) this.report();
  }

  fileDone(size: number): void {
    this.finished += size;
    this.current = 0;
  }

  finish(): void {
    if (this.total > 0) this.report();
  }

  private report(): void {
    this.lastAt = Date.now();
    const done = Math.min(this.finished + this.current, this.total);
    const percent = this.total ? Math.floor((done / this.total) * 100) : 100;
    this.log(`uploading ${this.what}: ${megabytes(done)} of ${megabytes(this.total)} MB (${percent}%)`);
  }
}

function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 2 : 1);
}

/** Remote files over one SFTP channel of the host named `hostName` (for messages). */
export class SftpFiles {
  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly hostName: string,
    /** Runs a shell command remotely, throwing with `what` in the message when it fails. */
    private readonly execOk: (command: string, what: string) => Promise<string>,
    /** Progress and notes, one line each (the launcher's 'log'). */
    private readonly log: (line: string) => void,
  ) {}

  /** The remote user's home folder. */
  home(): Promise<string> {
    return callback<string>((done) => this.sftp.realpath('.', done));
  }

  async mkdirs(paths: string[]): Promise<void> {
    if (paths.length) await this.execOk(`mkdir -p ${paths.map(shellQuote).join(' ')}`, 'Creating remote folders');
  }

  async exists(path: string): Promise<boolean> {
    const sftp = this.sftp;
    return new Promise((resolve) => sftp.stat(path, (error) => resolve(!error)));
  }

  /** Size of a remote file in bytes; null when it does not exist. */
  async remoteSize(path: string): Promise<number | null> {
    const sftp = this.sftp;
    return new Promise((resolve) => sftp.stat(path, (error, stats) => resolve(error ? null : stats.size)));
  }

  /**
   * Moves `from` over `to` on the remote side: OpenSSH's posix-rename (atomic, replaces `to`) when
   * the server offers it, else unlink + rename (plain SFTP rename refuses an existing target).
   */
  async rename(from: string, to: string): Promise<void> {
    const sftp = this.sftp;
    try {
      await callback<void>((done) => sftp.ext_openssh_rename(from, to, (error) => done(error, undefined)));
      return;
    } catch (error) {
      if (!/does not support/.test((error as Error).message)) throw error;
    }
    await callback<void>((done) => sftp.unlink(to, () => done(undefined, undefined)));
    await callback<void>((done) => sftp.rename(from, to, (error) => done(error, undefined)));
  }

  /**
   * Uploads to `<remote>.part`, then renames it into place, so a file under its final name is
   * always whole; a torn upload leaves only the `.part`, which the next upload overwrites.
   * `onBytes` gets the bytes of this file sent so far.
   */
  async put(local: string, remote: string, onBytes?: (sent: number) => void): Promise<void> {
    const sftp = this.sftp;
    const part = `${remote}.part`;
    await callback<void>((done) =>
      sftp.fastPut(local, part, { ...(onBytes && { step: (sent: number) => onBytes(sent) }) }, (error) =>
        done(error, undefined),
      ),
    );
    await this.rename(part, remote);
  }

  /** Writes a small remote file whole (through `.part` and a rename, as `put`). */
  async writeRemote(remote: string, data: string): Promise<void> {
    const sftp = this.sftp;
    const part = `${remote}.part`;
    await callback<void>((done) => sftp.writeFile(part, data, (error) => done(error, undefined)));
    await this.rename(part, remote);
  }

  /**
   * Uploads a local folder's files (recursive) into `remoteDir`, with throttled progress on 'log'.
   * `resume`: skip files already there under their final name with the local size, which only a
   * finished upload leaves (see `put`); safe where the folder is named by its content's hash.
   */
  async uploadFolder(
    localDir: string,
    remoteDir: string,
    files?: string[],
    options: { resume?: boolean; what?: string } = {},
  ): Promise<number> {
    const list = files ?? (await localFiles(localDir));
    const rel = list.map((file) => relative(localDir, file).split(sep).join('/'));
    await this.mkdirs([...new Set([remoteDir, ...rel.map((r) => posix.dirname(posix.join(remoteDir, r)))])]);
    const sizes = await Promise.all(list.map(async (file) => (await stat(file)).size));
    const todo: number[] = [];
    for (const index of list.keys()) {
      const there = options.resume ? await this.remoteSize(posix.join(remoteDir, rel[index]!)) : null;
      if (there !== sizes[index]) todo.push(index);
    }
    const skipped = list.length - todo.length;
    const what = options.what ?? localDir;
    if (skipped) this.log(`${what}: ${skipped} of ${list.length} files are already on ${this.hostName}`);
    const meter = new UploadMeter(
      what,
      todo.reduce((sum, index) => sum + sizes[index]!, 0),
      this.log,
    );
    for (const index of todo) {
      await this.put(list[index]!, posix.join(remoteDir, rel[index]!), (sent) => meter.file(sent));
      meter.fileDone(sizes[index]!);
    }
    meter.finish();
    return todo.length;
  }

  /** Downloads a remote file or folder (recursive, absolute path) into `localDir`; returns the local files written. */
  async download(absolute: string, localDir: string): Promise<string[]> {
    const sftp = this.sftp;
    const written: string[] = [];
    const walk = async (remote: string, local: string): Promise<void> => {
      const stats = await callback<ssh2.Stats>((done) => sftp.stat(remote, done));
      if (stats.isDirectory()) {
        await mkdir(local, { recursive: true });
        const entries = await callback<ssh2.FileEntryWithStats[]>((done) => sftp.readdir(remote, done));
        for (const entry of entries) await walk(posix.join(remote, entry.filename), join(local, entry.filename));
      } else {
        await callback<void>((done) => sftp.fastGet(remote, local, (error) => done(error, undefined)));
        written.push(local);
      }
    };
    try {
      await walk(absolute, join(localDir, posix.basename(absolute)));
    } catch (error) {
      if (error instanceof TrainerLaunchError) throw error;
      throw new TrainerLaunchError(
        'ssh_command',
        `Cannot download ${absolute} from ${this.hostName}: ${(error as Error).message}`,
      );
    }
    return written;
  }

  /** Reads `path` from byte `offset` to its end (empty when missing or not longer). */
  async readFrom(path: string, offset: number): Promise<{ size: number; data: Buffer }> {
    const sftp = this.sftp;
    let handle: Buffer;
    try {
      handle = await callback<Buffer>((done) => sftp.open(path, 'r', done));
    } catch {
      return { size: 0, data: Buffer.alloc(0) };
    }
    try {
      const { size } = await callback<ssh2.Stats>((done) => sftp.fstat(handle, done));
      if (size <= offset) return { size, data: Buffer.alloc(0) };
      const data = Buffer.alloc(size - offset);
      let filled = 0;
      while (filled < data.length) {
        const read = await callback<number>((done) =>
          sftp.read(handle, data, filled, data.length - filled, offset + filled, (error, bytes) => done(error, bytes)),
        );
        if (read <= 0) break;
        filled += read;
      }
      return { size, data: data.subarray(0, filled) };
    } finally {
      await callback<void>((done) => sftp.close(handle, (error) => done(error, undefined))).catch(() => undefined);
    }
  }
}
