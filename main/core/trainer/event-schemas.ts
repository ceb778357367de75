/**
 * The trainer's events as zod schemas, one per event type. They mirror
 * resources/trainer/protocol.schema.json (the source of truth) and are typed against
 * common/trainer-protocol.ts, so a drift between the three is a compile error here or a failing
 * contract test (test/unit/trainer/contract.test.ts). Their own file because they are the
 * protocol's shape alone: `events.ts` reads lines with them and says what is wrong with a bad one.
 */
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

const base = {
  v: z.literal(TRAINER_PROTOCOL_VERSION),
  ts: z.number(),
  seq: z.number().int().min(1),
};
/** Fields of the events that can answer a `preview-server` request. */
const answer = { ...base, request: z.string().min(1).optional() };
const nullableStrings = z.record(z.string(), z.string().nullable());
const tokenSummary = z.strictObject({ min: z.number(), mean: z.number(), max: z.number(), total: z.number() });

const hello: z.ZodType<HelloEvent> = z.strictObject({
  ...base,
  type: z.literal('hello'),
  command: z.enum(['train', 'export', 'serve', 'doctor', 'preview', 'preview-server']),
  pid: z.number().int(),
  protocol: z.literal(TRAINER_PROTOCOL_VERSION),
  trainer_version: z.string(),
  versions: nullableStrings,
  rank: z.number().int().min(0).optional(),
  world_size: z.number().int().min(1).optional(),
  run_dir: z.string().optional(),
});

const phase: z.ZodType<PhaseEvent> = z.strictObject({
  ...answer,
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
  ...answer,
  type: z.literal('warning'),
  code: z.string(),
  message: z.string(),
  scene_ids: z.array(z.string()).optional(),
});

const error: z.ZodType<ErrorEvent> = z.strictObject({
  ...answer,
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

const done: z.ZodType<DoneEvent> = z.strictObject({
  ...answer,
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
  ...answer,
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
