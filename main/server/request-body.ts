import type http from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { Worker } from 'node:worker_threads';
import { errorText } from '../../common/sentence';
import { nextTurn } from '../core/time-slices';
import { sendError } from './responses';

/**
 * Reading a command's request body within a bound, and refusing one over it without losing the
 * answer. Its own file because the bound, the streaming decode and the careful 413 are one concern
 * with its own failure modes (a reset socket, a loop held by a big decode), apart from routing.
 */

export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export const TOO_LARGE_MESSAGE = `The request is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB. Import large texts in several parts.`;
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

/** A body past its limit (`readJsonBody`): the caller answers with `refuseTooLarge`. */
export class BodyTooLarge extends Error {
  constructor() {
    super(TOO_LARGE_MESSAGE);
  }
}

/**
 * Passes each chunk of the request's body to `chunk` and calls `end` after the last; calls `fail`
 * (once) with `BodyTooLarge` past `limit` bytes, and stops reading, or with the request's error.
 */
function readChunks(
  req: http.IncomingMessage,
  limit: number,
  handlers: { chunk(chunk: Buffer): void; end(): void; fail(error: Error): void },
): void {
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      req.removeAllListeners('data');
      req.pause();
      handlers.fail(new BodyTooLarge());
      return;
    }
    handlers.chunk(chunk);
  });
  req.on('end', () => handlers.end());
  req.on('error', (error) => handlers.fail(error));
}

/** Bodies from this size on are decoded and parsed on a thread of their own (`readJsonBody`). */
export const THREAD_PARSE_BYTES = 1024 * 1024;

/** A command's argument as read from its body: the parsed JSON, or why it is not JSON. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * The request's body parsed as JSON (an empty body reads as `{}`), within `limit` bytes: rejects
 * with a too-large error past it. A body declared at `THREAD_PARSE_BYTES` or more (a profile sent as
 * base64) is passed, chunk by chunk as it arrives, to a worker thread that decodes and parses it
 * whole: joined and parsed here, 8 MB held the serving loop for 70–80 ms (test/bench/
 * event-loop-100k.ts). Smaller bodies are decoded as they arrive and parsed here, where a thread's
 * start would cost more than the parse.
 */
export async function readJsonBody(req: http.IncomingMessage, limit: number): Promise<ParsedBody> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared >= THREAD_PARSE_BYTES) {
    const parsed = await parseOnThread(req, limit);
    // Putting a string of megabytes back (`restored`) touches as much new memory, ~25 ms at 8 MB on
    // a virtual machine whose page faults are slow: the command starts on a turn of its own.
    await nextTurn();
    return parsed;
  }
  const text = await readBody(req, limit);
  try {
    return { ok: true, value: text.length === 0 ? {} : JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: errorText(error) };
  }
}

/**
 * The parsing thread's code: chunks come as messages, then `null`; it answers with the outcome and
 * ends. The value is cloned back to the caller's thread, and a string of megabytes (a file's base64)
 * cloned costs that thread ~25 ms for 8 MB: so each string of `LIFT_CHARS` or more is lifted out of
 * the value (left empty there) and sent apart as bytes whose memory moves with the message (Latin-1,
 * one byte a character, when every character fits, else UTF-16), with the path to put it back at.
 * Objects nested deeper than `LIFT_DEPTH` are cloned as they are.
 */
const PARSER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const LIFT_CHARS = ${64 * 1024};
const LIFT_DEPTH = 32;
const LATIN1 = /^[\\x00-\\xff]*$/;
function lift(value, path, lifted, transfer) {
  if (value === null || typeof value !== 'object' || path.length >= LIFT_DEPTH) return;
  for (const key of Object.keys(value)) {
    const item = value[key];
    const at = [...path, Array.isArray(value) ? Number(key) : key];
    if (typeof item === 'string' && item.length >= LIFT_CHARS) {
      const latin1 = LATIN1.test(item);
      const bytes = Buffer.from(item, latin1 ? 'latin1' : 'utf16le');
      lifted.push({ path: at, latin1, bytes });
      transfer.push(bytes.buffer);
      value[key] = '';
    } else lift(item, at, lifted, transfer);
  }
}
const chunks = [];
parentPort.on('message', (chunk) => {
  if (chunk !== null) return void chunks.push(chunk);
  const lifted = [];
  const transfer = [];
  let reply;
  try {
    const text = Buffer.concat(chunks).toString('utf8');
    chunks.length = 0;
    const value = text.length === 0 ? {} : JSON.parse(text);
    lift(value, [], lifted, transfer);
    reply = { ok: true, value, lifted };
  } catch (error) {
    reply = { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort.postMessage(reply, transfer);
  parentPort.close();
});
`;

/** What the parsing thread answers: `ParsedBody`, with the strings it lifted out of the value. */
type ThreadReply =
  | { ok: true; value: unknown; lifted: { path: (string | number)[]; latin1: boolean; bytes: Uint8Array }[] }
  | { ok: false; message: string };

/** The value the thread parsed, its lifted strings put back (see `PARSER_SOURCE`). */
function restored(reply: ThreadReply): ParsedBody {
  if (!reply.ok) return reply;
  for (const { path, latin1, bytes } of reply.lifted) {
    let parent = reply.value as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(latin1 ? 'latin1' : 'utf16le');
    // Defined, not assigned: a key named "__proto__" is the object's own, as JSON.parse made it.
    Object.defineProperty(parent, path.at(-1)!, { value: text, writable: true, enumerable: true, configurable: true });
  }
  return { ok: true, value: reply.value };
}

function parseOnThread(req: http.IncomingMessage, limit: number): Promise<ParsedBody> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PARSER_SOURCE, { eval: true });
    // A client gone mid-body leaves nothing running: the thread ends with the request.
    worker.unref();
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      outcome();
    };
    const fail = (error: Error): void =>
      settle(() => {
        void worker.terminate();
        reject(error);
      });
    worker.once('message', (reply: ThreadReply) => settle(() => resolve(restored(reply))));
    worker.once('error', fail);
    worker.once('exit', () => fail(new Error('the thread reading the request stopped early')));
    readChunks(req, limit, {
      chunk: (chunk) => worker.postMessage(chunk),
      end: () => worker.postMessage(null),
      fail,
    });
    // Closed before its end: the client went away.
    req.on('close', () => {
      if (!req.complete) fail(new Error('the client closed the request before its end'));
    });
  });
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
    readChunks(req, limit, {
      chunk: (chunk) => parts.push(decoder.write(chunk)),
      end: () => resolve(parts.join('') + decoder.end()),
      fail: reject,
    });
  });
}
