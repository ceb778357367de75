import { runSliced, WorkMeter, type Steps } from '../core/time-slices';

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

/** Writes `pieces` to `out` in slices (see time-slices.ts), a turn of the event loop between them, then ends it. */
export async function writePieces(
  out: { write(chunk: string): unknown; end(): unknown },
  pieces: readonly string[],
): Promise<void> {
  await runSliced(
    (function* () {
      for (const piece of pieces) {
        out.write(piece);
        yield;
      }
    })(),
  );
  out.end();
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
