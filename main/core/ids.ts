import { randomUUID } from 'node:crypto';

/**
 * A UUID (version 7, RFC 9562) whose first 60 bits are the time it was made: milliseconds since
 * the epoch, then a count within that millisecond, so ids made later by this process sort after
 * earlier ones, as text too. The other 62 bits are random, as in a version 4 UUID.
 *
 * Why: rows keyed by id (scenes, experiences, their figure rows, job items, call records) are
 * written in the order they are made, and with random ids each landed on its own page of every
 * index keyed by it: a generation job's commit of sixteen experiences wrote sixteen pages of each
 * such index where ids in order share one. Pages written are most of what a commit costs.
 *
 * More than 4,096 ids within one millisecond borrow from the next millisecond, and a clock that
 * steps back is held at the last time used, so the order holds across both.
 */
export function timeOrderedId(): string {
  const now = Date.now();
  if (now > last.ms) {
    last.ms = now;
    last.count = 0;
  } else if (++last.count > 0xfff) {
    last.ms++;
    last.count = 0;
  }
  const time = last.ms.toString(16).padStart(12, '0');
  const count = last.count.toString(16).padStart(3, '0');
  // randomUUID's last 17 characters: the variant bits, then random.
  return `${time.slice(0, 8)}-${time.slice(8)}-7${count}-${randomUUID().slice(19)}`;
}

const last = { ms: 0, count: 0 };
