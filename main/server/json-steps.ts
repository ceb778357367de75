import { WorkMeter, type Steps } from '../core/time-slices';

/**
 * `JSON.stringify(value)` in steps (see core/time-slices.ts), for answers of megabytes (a profile
 * of thousands of chunks): arrays and plain objects near the top are written one entry at a time,
 * with a chance to yield whenever about 64 K characters have been written; anything deeper, or not a
 * plain object or array, is one `JSON.stringify` call. The text is exactly what `JSON.stringify`
 * gives for the plain data the contract carries (no indentation).
 */
export function* jsonSteps(value: unknown): Steps<string> {
  const parts: string[] = [];
  yield* write(value, 0, parts, new WorkMeter());
  return parts.join('');
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

function* write(value: unknown, depth: number, parts: string[], meter: WorkMeter): Steps<void> {
  if (depth >= MAX_DEPTH || !isContainer(value)) {
    const text = JSON.stringify(value) ?? 'null';
    parts.push(text);
    if (meter.add(text.length)) yield;
    return;
  }
  if (Array.isArray(value)) {
    parts.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) parts.push(',');
      const item: unknown = value[i];
      if (isSkipped(item)) parts.push('null');
      else yield* write(item, depth + 1, parts, meter);
    }
    parts.push(']');
    return;
  }
  parts.push('{');
  let first = true;
  for (const [key, item] of Object.entries(value)) {
    if (isSkipped(item)) continue;
    parts.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    yield* write(item, depth + 1, parts, meter);
  }
  parts.push('}');
}
