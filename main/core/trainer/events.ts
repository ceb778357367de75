/**
 * Reading the trainer's events: one JSON line each, on stdout and in `<run_dir>/events.jsonl`.
 *
 * The zod schemas mirror resources/trainer/protocol.schema.json (the source of truth) and are typed
 * against common/trainer-protocol.ts, so a drift between the three is a compile error here or a
 * failing contract test (test/unit/trainer/contract.test.ts).
 */
import { open } from 'node:fs/promises';
import { z } from 'zod';
import {
  TRAINER_PROTOCOL_VERSION,
  type CheckpointEvent,
  type DoctorEvent,
  type DoneEvent,
  type ErrorEvent,
  type HelloEvent,
  type PhaseEvent,
  type PreviewEvent,
  type ProgressEvent,
  type StatsEvent,
  type TrainerEvent,
  type TrainerEventType,
  type WarningEvent,
} from '../../../common/trainer-protocol';
import type { TrainingTransfer } from '../../../common/contract';

const base = {
  v: z.literal(TRAINER_PROTOCOL_VERSION),
  ts: z.number(),
  seq: z.number().int().min(1),
};
const nullableStrings = z.record(z.string(), z.string().nullable());
const tokenSummary = z.strictObject({ min: z.number(), mean: z.number(), max: z.number(), total: z.number() });

const hello: z.ZodType<HelloEvent> = z.strictObject({
  ...base,
  type: z.literal('hello'),
  command: z.enum(['train', 'export', 'serve', 'doctor', 'preview']),
  pid: z.number().int(),
  protocol: z.literal(TRAINER_PROTOCOL_VERSION),
  trainer_version: z.string(),
  versions: nullableStrings,
  rank: z.number().int().min(0).optional(),
  world_size: z.number().int().min(1).optional(),
  run_dir: z.string().optional(),
});

const phase: z.ZodType<PhaseEvent> = z.strictObject({
  ...base,
  type: z.literal('phase'),
  name: z.enum([
    'loading_dataset',
    'loading_tokenizer',
    'resuming',
    'loading_model',
    'tokenizing',
    'training',
    'evaluating',
    'saving',
    'exporting',
    'merging',
    'converting',
    'fetching_converter',
    'downloading',
    'serving',
  ]),
  base_model: z.string().optional(),
  revision: z.string().optional(),
  files_done: z.number().int().min(0).optional(),
  files_total: z.number().int().min(0).optional(),
  device: z.string().optional(),
  dtype: z.string().optional(),
  sharding: z.enum(['none', 'ddp', 'fsdp']).optional(),
  checkpoint: z.string().optional(),
  step: z.number().int().min(0).optional(),
  total_steps: z.number().int().min(0).optional(),
  start_step: z.number().int().min(0).optional(),
  target: z.string().optional(),
  done_bytes: z.number().int().min(0).optional(),
  total_bytes: z.number().int().min(0).optional(),
  url: z.string().optional(),
  model: z.string().optional(),
});

const progress: z.ZodType<ProgressEvent> = z.strictObject({
  ...base,
  type: z.literal('progress'),
  step: z.number().int().min(1),
  total_steps: z.number().int().min(1),
  epoch: z.number().min(0),
  loss: z.number().nullable().optional(),
  eval_loss: z.number().nullable().optional(),
  lr: z.number().optional(),
  tokens_per_s: z.number().optional(),
  peak_memory_bytes: z.number().int().min(0).optional(),
  eta_s: z.number().optional(),
});

const stats: z.ZodType<StatsEvent> = z.strictObject({
  ...base,
  type: z.literal('stats'),
  examples: z.number().int().min(1),
  dev_examples: z.number().int().min(0),
  trained_tokens: tokenSummary,
  tokens: tokenSummary,
  padding_share: z.number().min(0).max(1),
  padding_share_fixed: z.number().min(0).max(1),
  fixed_length: z.number().int(),
});

const checkpoint: z.ZodType<CheckpointEvent> = z.strictObject({
  ...base,
  type: z.literal('checkpoint'),
  step: z.number().int().min(1),
  path: z.string(),
});

const warning: z.ZodType<WarningEvent> = z.strictObject({
  ...base,
  type: z.literal('warning'),
  code: z.string(),
  message: z.string(),
  scene_ids: z.array(z.string()).optional(),
});

const error: z.ZodType<ErrorEvent> = z.strictObject({
  ...base,
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

const done: z.ZodType<DoneEvent> = z.strictObject({
  ...base,
  type: z.literal('done'),
  status: z.enum(['completed', 'stopped', 'cancelled']),
  reason: z.string().optional(),
  outputs: z.record(z.string(), z.string()),
});

const doctor: z.ZodType<DoctorEvent> = z.strictObject({
  ...base,
  type: z.literal('doctor'),
  python: z.string(),
  python_executable: z.string().optional(),
  platform: z.string().optional(),
  cpu_count: z.number().int().nullable().optional(),
  torch: z.string(),
  cuda_available: z.boolean(),
  cuda_version: z.string().nullable().optional(),
  mps_available: z.boolean().optional(),
  bf16_supported: z.boolean(),
  gpus: z.array(
    z.object({
      index: z.number().int().min(0),
      name: z.string(),
      memory_total_bytes: z.number().int().min(0),
      memory_free_bytes: z.number().int().min(0),
      capability: z.string(),
    }),
  ),
  packages: nullableStrings,
});

const preview: z.ZodType<PreviewEvent> = z.strictObject({
  ...base,
  type: z.literal('preview'),
  scene_id: z.string(),
  format: z.enum(['chat', 'character-llm']),
  max_length: z.number().int().min(1),
  template_hash: z.string(),
  token_ids: z.array(z.number().int().min(0)),
  pieces: z.array(z.string()),
  trained: z.array(z.boolean()),
  added: z.array(z.number().int().min(0)),
  cut_at: z.number().int().min(1).nullable().optional(),
  tokens: z.number().int().min(0),
  trained_tokens: z.number().int().min(0),
  dropped: z.enum(['unrenderable', 'no_trained_tokens']).nullable().optional(),
  message: z.string().nullable().optional(),
});

/**
 * One schema per event type. Typed as a total record over `TrainerEventType`, so adding a type to
 * the TS union without a schema here does not compile; each schema is typed against its own event.
 */
export const TRAINER_EVENT_SCHEMAS: {
  readonly [K in TrainerEventType]: z.ZodType<Extract<TrainerEvent, { type: K }>>;
} = {
  hello,
  phase,
  progress,
  stats,
  checkpoint,
  warning,
  error,
  done,
  doctor,
  preview,
};

export const TRAINER_EVENT_TYPES = Object.keys(TRAINER_EVENT_SCHEMAS) as TrainerEventType[];

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
