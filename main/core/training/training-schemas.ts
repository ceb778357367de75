import { z } from 'zod';
import type {
  CharacterId,
  HostCommands,
  HostDraft,
  HostId,
  RunId,
  SceneId,
  TrainingCommands,
  TrainingConfig,
} from '../../../common/contract';
import { id } from '../chat/chat-schemas';

/**
 * Boundary validation of the training and SSH-host commands (joined into `commandSchemas`,
 * schemas.ts); unknown keys are refused.
 */

/** A model name Ollama takes (the Modelfile's): lower-case letters, digits, `.`, `_`, `-`; 64 at most. */
export const OLLAMA_MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const characterId = id<CharacterId>();
const runId = id<RunId>();
const hostId = id<HostId>();
const sceneId = id<SceneId>();
const empty = z.object({}).strict() as unknown as z.ZodType<Record<string, never>>;
const hostDraft = z
  .object({
    id: hostId.optional(),
    name: z.string().max(120),
    host: z.string().max(255),
    port: z.number().int().min(1).max(65535),
    username: z.string().max(100),
    privateKeyPath: z.string().max(4096),
    passphrase: z.string().max(1024).optional(),
    python: z.string().max(4096),
    remoteRoot: z.string().max(4096),
    gpuCount: z.number().int().min(1).max(64),
  })
  .strict() as z.ZodType<HostDraft & { id?: HostId }>;
const trainingConfig = z
  .object({
    baseModel: z.string().max(1000),
    format: z.enum(['chat', 'character-llm']),
    // 'local' or a host id (checked against the hosts by the service).
    target: z.union([z.literal('local'), hostId]),
    python: z.string().max(4096),
    hyperparameters: z
      .object({
        loraRank: z.number().int().min(1).max(1024),
        loraAlpha: z.number().min(1).max(4096),
        learningRate: z.number().gt(0).lt(1),
        epochs: z.number().min(0.01).max(100),
        batchSize: z.number().int().min(1).max(1024),
        gradAccumulation: z.number().int().min(1).max(1024),
        maxLength: z.number().int().min(64).max(131_072),
        maxSteps: z.number().int().min(1).nullable(),
        saveEverySteps: z.number().int().min(1),
        evalShare: z.number().min(0).max(0.5),
        gradientCheckpointing: z.boolean(),
        fullFinetune: z.boolean(),
        thinking: z.enum(['keep', 'drop']),
        // Added after the first release: callers that predate them get the defaults.
        warmupRatio: z.number().min(0).lt(1).default(0.04),
        weightDecay: z.number().min(0).max(10).default(0),
        saveTotalLimit: z.number().int().min(1).max(1000).default(3),
        earlyStoppingPatience: z.number().int().min(1).max(1000).nullable().default(null),
        loadIn4bit: z.boolean().default(false),
        dtype: z.enum(['auto', 'bf16', 'fp16', 'fp32']).default('auto'),
        sharding: z.enum(['auto', 'ddp', 'fsdp']).default('auto'),
      })
      .strict(),
  })
  .strict() as z.ZodType<TrainingConfig>;

type Commands = HostCommands & TrainingCommands;
type TrainingSchemas = { [K in keyof Commands]: z.ZodType<Parameters<Commands[K]>[0]> };

export const trainingSchemas: TrainingSchemas = {
  'hosts/list': empty,
  'hosts/save': hostDraft,
  'hosts/delete': z.object({ id: hostId, force: z.boolean().optional() }).strict(),
  'hosts/test': z.object({ id: hostId }).strict(),
  'hosts/trust': z.object({ id: hostId, fingerprint: z.string().min(1).max(200) }).strict(),
  'training/options': empty,
  'training/doctor': z.object({ python: z.string().max(4096) }).strict(),
  'training/setup': z.object({ basePython: z.string().max(4096) }).strict(),
  'training/estimate': z.object({ characterId, config: trainingConfig }).strict(),
  'training/start': z.object({ characterId, config: trainingConfig }).strict(),
  'training/list': z.object({ characterId }).strict(),
  'training/get': z.object({ id: runId }).strict(),
  'training/match': z.object({ key: z.string().trim().min(1).max(200) }).strict(),
  'training/stop': z.object({ id: runId }).strict(),
  'training/resume': z.object({ id: runId }).strict(),
  'training/cancel': z.object({ id: runId }).strict(),
  'training/log': z
    .object({
      runId,
      afterSeq: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(10_000).optional(),
    })
    .strict(),
  'training/check-model': z
    .object({ baseModel: z.string().max(1000), target: z.union([z.literal('local'), hostId]) })
    .strict(),
  'training/serve': z.object({ id: runId, others: z.enum(['stop', 'keep']).optional() }).strict(),
  'training/served': empty,
  'training/export-cancel': z.object({ id: runId }).strict(),
  'training/prepare-chat': z.object({ id: runId }).strict(),
  'training/serve-stop': z.object({ id: runId }).strict(),
  'training/preview': z
    .object({
      sceneId,
      baseModel: z
        .string()
        .min(1, 'choose a base model: a model folder or a Hugging Face id in the local cache')
        .max(1000),
      format: z.enum(['chat', 'character-llm']),
      maxLength: z.number().int().min(16, 'at least 16 tokens').max(131_072),
      thinking: z.enum(['keep', 'drop']).optional(),
      python: z.string().max(4096).optional(),
    })
    .strict(),
  'training/cached-models': empty,
  'training/export': z
    .object({
      id: runId,
      merged: z.boolean(),
      gguf: z.boolean(),
      ollamaName: z.string().regex(OLLAMA_MODEL_NAME, 'use lower-case letters, digits, ".", "_" or "-"').optional(),
    })
    .strict(),
};
