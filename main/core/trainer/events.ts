/**
 * Reading the trainer's events: one JSON line each, on stdout and in `<run_dir>/events.jsonl`.
 * Each line is checked against its type's schema (event-schemas.ts); a bad line is a
 * `TrainerProtocolError` saying what is wrong.
 */
import { open } from 'node:fs/promises';
import {
  TRAINER_PROTOCOL_VERSION,
  type DoctorEvent,
  type DoneEvent,
  type ErrorEvent,
  type TrainerEvent,
  type TrainerEventType,
} from '../../../common/trainer-protocol';
import type { TrainingTransfer } from '../../../common/contract';
import { TRAINER_EVENT_SCHEMAS, TRAINER_EVENT_TYPES } from './event-schemas';

function isEventType(value: unknown): value is TrainerEventType {
  return typeof value === 'string' && Object.hasOwn(TRAINER_EVENT_SCHEMAS, value);
}

/** A line that is not a valid trainer event. `line` is the offending text (cut to 200 characters). */
export class TrainerProtocolError extends Error {
  /** Events read from the same chunk (before and after the bad line) when thrown by EventFollower. */
  events: TrainerEvent[] = [];

  constructor(
    message: string,
    readonly line: string,
    /** Byte offset of the line in events.jsonl, when read from there. */
    readonly offset: number | null = null,
  ) {
    super(message);
    this.name = 'TrainerProtocolError';
  }
}

function excerpt(line: string): string {
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Parses and validates one event line (object or text). Throws TrainerProtocolError saying what is wrong. */
export function parseTrainerEvent(input: unknown, offset: number | null = null): TrainerEvent {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (cause) {
      throw new TrainerProtocolError(
        `A trainer event line is not JSON (${(cause as Error).message}): ${excerpt(text)}. The trainer writes only JSON lines to stdout and events.jsonl; something else wrote to them, or the line was cut short by a crash.`,
        excerpt(text),
        offset,
      );
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TrainerProtocolError(
      `A trainer event must be a JSON object, got: ${excerpt(text)}`,
      excerpt(text),
      offset,
    );
  }
  const record = raw as Record<string, unknown>;
  if (record.v !== TRAINER_PROTOCOL_VERSION) {
    throw new TrainerProtocolError(
      `The trainer speaks protocol v${String(record.v)}, this studio understands v${TRAINER_PROTOCOL_VERSION}: use the trainer that ships with this studio version (re-upload it for remote runs).`,
      excerpt(text),
      offset,
    );
  }
  if (!isEventType(record.type)) {
    throw new TrainerProtocolError(
      `Unknown trainer event type ${JSON.stringify(record.type)} (known: ${TRAINER_EVENT_TYPES.join(', ')}): ${excerpt(text)}`,
      excerpt(text),
      offset,
    );
  }
  const result = TRAINER_EVENT_SCHEMAS[record.type].safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 3)
      .map((issue) => `${[record.type, ...issue.path.map(String)].join('.')}: ${issue.message}`)
      .join('; ');
    throw new TrainerProtocolError(
      `Invalid trainer "${record.type}" event (${issues}): ${excerpt(text)}`,
      excerpt(text),
      offset,
    );
  }
  return result.data;
}

/**
 * Folds a trainer event into the byte progress of the phase a run is in: a `phase` event carrying
 * `done_bytes` starts or advances it, any other `phase` event or the end of the run clears it,
 * other events leave it as it is.
 */
export function foldTransfer(current: TrainingTransfer | null, event: TrainerEvent): TrainingTransfer | null {
  if (event.type === 'done' || event.type === 'error') return null;
  if (event.type !== 'phase') return current;
  if (event.done_bytes === undefined) return null;
  const same = current !== null && current.phase === event.name ? current : null;
  return {
    phase: event.name,
    subject: event.base_model ?? same?.subject ?? null,
    revision: event.revision ?? same?.revision ?? null,
    doneBytes: event.done_bytes,
    totalBytes: event.total_bytes ?? same?.totalBytes ?? null,
    filesDone: event.files_done ?? same?.filesDone ?? null,
    filesTotal: event.files_total ?? same?.filesTotal ?? null,
  };
}

/** `done` and `error` end a train or export run; `doctor` is the whole of a doctor run. */
export function isTerminalEvent(event: TrainerEvent): event is DoneEvent | ErrorEvent | DoctorEvent {
  return event.type === 'done' || event.type === 'error' || event.type === 'doctor';
}

export interface EventFollowerOptions {
  /** Events with `seq` up to this were seen already (re-attach): they are skipped. */
  afterSeq?: number;
  /** Byte offset to start at: a line start, i.e. an `offset` this class reported earlier. Without it the file is read from 0 and `afterSeq` skips what was seen. */
  offset?: number;
  /**
   * Bad lines (not JSON, or not a valid event) are passed here and skipped. Without it `push`
   * throws a TrainerProtocolError carrying the good events of the same chunk in `.events`.
   * A line torn by a crash is terminated by the trainer's next attempt, so it looks like a bad line.
   */
  onInvalidLine?: (problem: TrainerProtocolError) => void;
}

/**
 * Incremental reader of `events.jsonl`: fed the bytes that follow `readPosition`, it returns the
 * complete new events, each once, in order. A partial last line waits for the rest; events whose
 * `seq` was seen are dropped, so a follower created with `afterSeq` after a lost connection or an
 * app restart neither loses nor repeats events, even when it re-reads the file from the start.
 */
export class EventFollower {
  private consumed: number;
  private pending: Buffer = Buffer.alloc(0);
  private seq: number;

  constructor(private readonly options: EventFollowerOptions = {}) {
    this.consumed = options.offset ?? 0;
    this.seq = options.afterSeq ?? 0;
  }

  /** Highest `seq` delivered (or given as `afterSeq`). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Byte offset just past the last complete line. */
  get offset(): number {
    return this.consumed;
  }

  /** Where the next bytes to `push` start: `offset` plus the partial line held back. */
  get readPosition(): number {
    return this.consumed + this.pending.length;
  }

  /** Starts over at byte 0 (the file is shorter than our offset: replaced or truncated); `seq` keeps duplicates out. */
  rewind(): void {
    this.consumed = 0;
    this.pending = Buffer.alloc(0);
  }

  push(chunk: Buffer): TrainerEvent[] {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const events: TrainerEvent[] = [];
    let first: TrainerProtocolError | null = null;
    let start = 0;
    for (let newline = data.indexOf(0x0a, start); newline !== -1; newline = data.indexOf(0x0a, start)) {
      const lineOffset = this.consumed + start;
      const line = data.subarray(start, newline).toString('utf8').replace(/\r$/, '');
      start = newline + 1;
      if (!line.trim()) continue;
      try {
        const event = parseTrainerEvent(line, lineOffset);
        if (event.seq > this.seq) {
          this.seq = event.seq;
          events.push(event);
        }
      } catch (problem) {
        if (!(problem instanceof TrainerProtocolError)) throw problem;
        if (this.options.onInvalidLine) this.options.onInvalidLine(problem);
        else first ??= problem;
      }
    }
    this.consumed += start;
    this.pending = Buffer.from(data.subarray(start));
    if (first) {
      first.events = events;
      throw first;
    }
    return events;
  }

  /** Reads what a local `events.jsonl` gained since the last call (nothing if it does not exist yet). */
  async readFile(path: string): Promise<TrainerEvent[]> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw cause;
    }
    try {
      const { size } = await handle.stat();
      if (size < this.readPosition) this.rewind();
      const length = size - this.readPosition;
      if (length <= 0) return [];
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, this.readPosition);
      return this.push(buffer.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  }
}
