import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ErrorCode } from '../../../common/contract';
import { StudioFailure } from '../errors';
import { MANUSCRIPT_LIMITS, type ManuscriptLimits } from './limits';
import { readManuscript } from './read-manuscript';

/** Reads a manuscript (.docx, .epub, .pdf) into profile text; see read-manuscript.ts. */
export interface ManuscriptReader {
  read(bytes: Buffer, fileName: string): Promise<string>;
}

/**
 * Reads on a worker thread of its own, one thread per file: mammoth and pdf.js parse synchronously
 * for long stretches, which would hold the thread that answers every door. The thread gets a heap
 * cap, so a hostile file that inflates past it kills only its thread, and a wall-clock limit, after
 * which it is terminated; both come back as a StudioFailure naming the file.
 *
 * Lifecycle: the worker starts with `read` and ends when it answers, fails or times out; nothing
 * outlives the call.
 */
export class WorkerManuscriptReader implements ManuscriptReader {
  constructor(
    /** The bundled worker (dist/main/manuscript-worker.mjs, built from worker.ts). */
    private readonly script: string,
    private readonly limits: ManuscriptLimits = MANUSCRIPT_LIMITS,
  ) {}

  read(bytes: Buffer, fileName: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const worker = new Worker(this.script, {
        workerData: { limits: this.limits },
        resourceLimits: { maxOldGenerationSizeMb: 1024 },
      });
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        outcome();
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new StudioFailure(
                'unsupported_file',
                `${fileName} took longer than ${Math.round(this.limits.timeoutMs / 1000)} s to read and was given up on; nothing was imported. Save it again (or export it as .txt) and import that.`,
              ),
            ),
          ),
        this.limits.timeoutMs,
      );
      worker.once('message', (answer: { text?: string; error?: { code: ErrorCode; message: string } }) =>
        finish(() =>
          answer.error
            ? reject(new StudioFailure(answer.error.code, answer.error.message))
            : resolve(answer.text ?? ''),
        ),
      );
      worker.once('error', (error: Error) =>
        finish(() =>
          reject(
            new StudioFailure(
              'unsupported_file',
              `${fileName} could not be read (${error.message}); nothing was imported. If the file is very large, split it into parts.`,
            ),
          ),
        ),
      );
      worker.once('exit', (code) =>
        finish(() =>
          reject(
            new StudioFailure('internal', `The reader of ${fileName} stopped (exit code ${code}) before answering.`),
          ),
        ),
      );
      worker.postMessage({ bytes: new Uint8Array(bytes), fileName });
    });
  }
}

/** Reads on the calling thread: for tests of the readers themselves and where no worker bundle exists. */
export class InProcessManuscriptReader implements ManuscriptReader {
  constructor(private readonly limits: ManuscriptLimits = MANUSCRIPT_LIMITS) {}

  read(bytes: Buffer, fileName: string): Promise<string> {
    return readManuscript(bytes, fileName, this.limits);
  }
}

/** The worker reader when its bundle sits at `script`, else the in-process one (running from source, under vitest). */
export function manuscriptReaderAt(script: string | null): ManuscriptReader {
  return script !== null && fs.existsSync(script)
    ? new WorkerManuscriptReader(script)
    : new InProcessManuscriptReader();
}

/** Where the bundled worker sits: beside the running bundle (dist/main); null where this module is no file (a browser-like test). */
export function bundledManuscriptWorker(): string | null {
  const url = new URL('manuscript-worker.mjs', import.meta.url);
  return url.protocol === 'file:' ? fileURLToPath(url) : null;
}
