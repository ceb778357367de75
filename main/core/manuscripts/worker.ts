import { parentPort, workerData } from 'node:worker_threads';
import { StudioFailure } from '../errors';
import type { ManuscriptLimits } from './limits';
import { readManuscript } from './read-manuscript';

/**
 * The manuscript worker's entry (bundled as dist/main/manuscript-worker.mjs): reads the one file it
 * is sent and answers `{ text }` or `{ error: { code, message } }`, then the parent ends it.
 */
interface Request {
  bytes: Uint8Array;
  fileName: string;
}

const limits = (workerData as { limits: ManuscriptLimits }).limits;
parentPort?.once('message', (request: Request) => {
  readManuscript(
    Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength),
    request.fileName,
    limits,
  ).then(
    (text) => parentPort?.postMessage({ text }),
    (error: unknown) =>
      parentPort?.postMessage({
        error:
          error instanceof StudioFailure
            ? { code: error.code, message: error.message }
            : {
                code: 'unsupported_file',
                message: `${request.fileName} could not be read: ${error instanceof Error ? error.message : String(error)}`,
              },
      }),
  );
});
