import fs from 'node:fs';
import path from 'node:path';
import type { CatalogModel, PartialDownload } from '../../../common/contract';
import { StudioFailure } from '../errors';
import { nodeLlamaCpp } from '../llm/embedded-model';

/**
 * The transfer of one model file, under node-llama-cpp's downloader (ipull): parallel ranged
 * requests in 5 MB pieces, a cut piece retried, and the pieces finished so far recorded in a
 * temporary file `<file>.ipull` beside the final one (the data, then a JSON record of which pieces
 * are complete). A download stopped by Cancel, Ctrl-C, a killed process or a failure keeps that
 * file, and the next download of the same file continues from it with `Range` requests for the
 * missing pieces only. The finished file is renamed to its final name before it is checked.
 */

/** Least time between two progress reports of one download (ms). */
const PROGRESS_EVERY_MS = 250;

/** ipull's record of a piece that is complete (its `ChunkStatus.COMPLETE`). */
const PIECE_COMPLETE = 2;

export interface ServerFacts {
  /** The file's sha256 as the host reports it (x-linked-etag, else a 64-hex ETag); null when not reported. */
  sha256: string | null;
  /** The file's size as the host reports it (x-linked-size, else content-length); null when not reported. */
  size: number | null;
}

/** The temporary file a stopped download of `file` leaves in `dir`. */
export function partialPath(dir: string, file: string): string {
  return path.join(dir, `${file}.ipull`);
}

/**
 * What a stopped download kept, read from its temporary file; null when there is none or when it
 * holds no complete piece (the next download then starts from zero). A record this code cannot read
 * (another ipull version) reports the kept bytes as 0: the file is still used by the downloader.
 */
export function readPartial(dir: string, file: string): PartialDownload | null {
  const temp = partialPath(dir, file);
  let size: number;
  try {
    size = fs.statSync(temp).size;
  } catch {
    return null;
  }
  // The record sits after the data: at most a few kilobytes (two bytes per 5 MB piece).
  const tail = Buffer.alloc(Math.min(size, 256 * 1024));
  const fd = fs.openSync(temp, 'r');
  try {
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
  } finally {
    fs.closeSync(fd);
  }
  const text = tail.toString('latin1');
  const at = text.lastIndexOf('{"part":');
  if (at < 0) return null;
  let record: { part?: unknown; chunks?: unknown; chunkSize?: unknown };
  try {
    // A later, shorter record may leave bytes of an earlier one after it: parse up to the first close.
    record = JSON.parse(text.slice(at, text.indexOf('}', at) + 1)) as typeof record;
  } catch {
    return null;
  }
  const totalBytes = size - tail.length + at;
  if (!Array.isArray(record.chunks) || typeof record.chunkSize !== 'number') return null;
  const complete = record.chunks.filter((c) => c === PIECE_COMPLETE).length;
  const downloadedBytes = Math.min(totalBytes, complete * record.chunkSize);
  return downloadedBytes > 0 ? { path: temp, downloadedBytes, totalBytes } : null;
}

/** What the host reports about the file, from a HEAD request (Hugging Face puts it on the redirect). */
export async function serverFacts(model: CatalogModel, unreachable: (error: unknown) => Error): Promise<ServerFacts> {
  const head = () => fetch(model.url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(15_000) });
  let response: Response;
  try {
    // One retry after a connection error (not a timeout): a kept-alive connection the host has
    // just closed fails at once, and a fresh one then answers.
    response = await head().catch((error: unknown) => {
      if (error instanceof Error && error.name === 'TimeoutError') throw error;
      return head();
    });
  } catch (error) {
    throw unreachable(error);
  }
  if (response.status === 404) {
    throw new StudioFailure(
      'not_found',
      `${model.url} answered 404: the file has moved. Download it by hand from the model's page and add it with "Add a .gguf file".`,
    );
  }
  const tag = (response.headers.get('x-linked-etag') ?? response.headers.get('etag') ?? '')
    .replace(/^W\//, '')
    .replace(/"/g, '')
    .toLowerCase();
  const size = Number(response.headers.get('x-linked-size') ?? response.headers.get('content-length') ?? NaN);
  return {
    sha256: /^[0-9a-f]{64}$/.test(tag) ? tag : null,
    size: Number.isSafeInteger(size) && size > 0 ? size : null,
  };
}

export interface Transfer {
  /** Resolves with the final file's path, or with null when `stop` was called first. */
  done: Promise<string | null>;
  /** Stops the transfer and resolves once the temporary file is closed (kept, for the next try). */
  stop: () => Promise<void>;
}

/** Starts fetching `model` into `dir`; `onProgress` gets bytes done and total, at most every 250 ms. */
export async function startTransfer(
  model: CatalogModel,
  dir: string,
  onProgress: (downloadedBytes: number, totalBytes: number) => void,
): Promise<Transfer> {
  const { createModelDownloader } = await nodeLlamaCpp();
  let last = 0;
  const downloader = await createModelDownloader({
    modelUri: model.url,
    dirPath: dir,
    fileName: model.file,
    deleteTempFileOnCancel: false,
    parallelDownloads: 4,
    onProgress: ({ downloadedSize, totalSize }) => {
      const now = Date.now();
      if (now - last < PROGRESS_EVERY_MS && downloadedSize < totalSize) return;
      last = now;
      onProgress(downloadedSize, totalSize);
    },
  });
  let stopping: Promise<void> | null = null;
  const done = downloader.download().then(async (file) => {
    // A closed downloader returns as if it had finished: the stop decides.
    if (stopping) {
      await stopping;
      return null;
    }
    return file;
  });
  return {
    done,
    stop: () => {
      stopping ??= downloader.cancel({ deleteTempFile: false });
      return stopping;
    },
  };
}
