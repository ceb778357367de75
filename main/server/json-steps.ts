import { nextTurn, SLICE_MS, WorkMeter, type Steps } from '../core/time-slices';

/**
 * `JSON.stringify(value)` in steps (see core/time-slices.ts), for answers of megabytes (a profile
 * of thousands of chunks): arrays and plain objects near the top are written one entry at a time,
 * with a chance to yield whenever about 64 K characters have been written; anything deeper, or not a
 * plain object or array, is one `JSON.stringify` call. The text is exactly what `JSON.stringify`
 * gives for the plain data the contract carries (no indentation).
 */
export function* jsonSteps(value: unknown): Steps<string> {
  return (yield* jsonPieces(value)).join('');
}

/**
 * The same text as `jsonSteps`, left in pieces of about 64 K characters (more only where one value
 * deep down is longer): an answer of megabytes is then sent a piece at a time (`writePieces`),
 * never joined into one string and encoded in one go.
 */
export function* jsonPieces(value: unknown): Steps<string[]> {
  const text = new Pieces();
  yield* write(value, 0, text);
  text.flush();
  return text.pieces;
}

/** Where `writePieces` writes: an HTTP response, a stream. */
export interface PieceSink {
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  readonly destroyed: boolean;
}

/**
 * Writes `pieces` to `out`, then ends it: each piece encoded to bytes as it is written, and the next
 * written once `out` has taken the last (its buffer below its mark: otherwise on its `drain`), with a
 * turn of the event loop whenever a slice of work has passed. Pieces written faster than the client
 * read them piled up as strings in the socket's buffer, and its end encoded them all at once: 40 ms
 * of the serving loop for an answer of 6 MB. Stops, without ending, when `out` is destroyed (the
 * client went away).
 */
export async function writePieces(out: PieceSink, pieces: readonly string[]): Promise<void> {
  let deadline = performance.now() + SLICE_MS;
  for (const piece of pieces) {
    if (out.destroyed) return;
    if (!out.write(Buffer.from(piece, 'utf8'))) {
      await drained(out);
      deadline = performance.now() + SLICE_MS;
    } else if (performance.now() >= deadline) {
      await nextTurn();
      deadline = performance.now() + SLICE_MS;
    }
  }
  if (!out.destroyed) out.end();
}

/** Resolves once `out` drains or closes. */
function drained(out: PieceSink): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}

/** Text written in parts, joined into a piece whenever about 64 K characters of values have passed. */
class Pieces {
  readonly pieces: string[] = [];
  private parts: string[] = [];
  private readonly meter = new WorkMeter();

  push(part: string): void {
    this.parts.push(part);
  }

  /** Adds a value's text; true when it closed a piece (a point to yield at). */
  value(text: string): boolean {
    this.parts.push(text);
    if (!this.meter.add(text.length)) return false;
    this.flush();
    return true;
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.pieces.push(this.parts.join(''));
    this.parts = [];
  }
}

/** Containers this deep or deeper are written by one `JSON.stringify` call: small enough by then. */
const MAX_DEPTH = 4;

function isContainer(value: unknown): value is unknown[] | Record<string, unknown> {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && !('toJSON' in value);
}

/** What JSON.stringify leaves out of an object and writes as `null` in an array. */
function isSkipped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function* write(value: unknown, depth: number, text: Pieces): Steps<void> {
  if (depth >= MAX_DEPTH || !isContainer(value)) {
    if (text.value(JSON.stringify(value) ?? 'null')) yield;
    return;
  }
  if (Array.isArray(value)) {
    text.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text.push(',');
      const item: unknown = value[i];
      if (isSkipped(item)) text.push('null');
      else yield* write(item, depth + 1, text);
    }
    text.push(']');
    return;
  }
  text.push('{');
  let first = true;
  for (const [key, item] of Object.entries(value)) {
    if (isSkipped(item)) continue;
    text.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    yield* write(item, depth + 1, text);
  }
  text.push('}');
}
