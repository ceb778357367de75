import type http from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { sendError } from './responses';

/**
 * Reading a command's request body within a bound, and refusing one over it without losing the
 * answer. Its own file because the bound, the streaming decode and the careful 413 are one concern
 * with its own failure modes (a reset socket, a loop held by a big decode), apart from routing.
 */

export const MAX_BODY_BYTES = 16 * 1024 * 1024;

const TOO_LARGE_MESSAGE = `The request is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB. Import large texts in several parts.`;
/** What a refused client may still send, read and thrown away, before its connection is cut. */
const DISCARD_LIMIT_BYTES = 4 * MAX_BODY_BYTES;
const DISCARD_TIMEOUT_MS = 15_000;

/**
 * Answers 413 while the client is still sending, then reads and discards the rest of its body
 * (up to a bound) instead of closing at once: a socket closed with unread data is reset by the
 * kernel, and the client may lose the answer it had already been sent (ECONNRESET, no message).
 */
export function refuseTooLarge(req: http.IncomingMessage, res: http.ServerResponse): void {
  let discarded = 0;
  const cut = (): void => {
    req.socket.destroy();
  };
  const timer = setTimeout(cut, DISCARD_TIMEOUT_MS);
  timer.unref();
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) cut();
  });
  req.on('close', () => clearTimeout(timer));
  req.resume();
  sendError(res, 413, { code: 'too_large', message: TOO_LARGE_MESSAGE });
}

/**
 * The request's body as text, decoded as its chunks arrive (a character split between two chunks
 * waits for the next): a body of megabytes (a profile sent as base64) is then not copied into one
 * buffer and decoded in one go when it ends, which held the loop for tens of ms.
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    const parts: string[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(new Error(TOO_LARGE_MESSAGE));
        return;
      }
      parts.push(decoder.write(chunk));
    });
    req.on('end', () => resolve(parts.join('') + decoder.end()));
    req.on('error', reject);
  });
}
