// The Python trainer's wire protocol (resources/trainer/character_trainer), types only.
// Source of truth: resources/trainer/protocol.schema.json; keep the two in step.
// Each stdout line of `python -m character_trainer <command> --job job.json` and each line of
// <run_dir>/events.jsonl is one TrainerEvent. `seq` rises by one per event over the whole life of a
// run folder (resumed runs continue it): a reader that re-attaches skips seq values it has seen.
// A train, export or serve run ends with exactly one terminal event (`done` or `error`) and an exit code.
// `serve` runs an OpenAI-compatible server for a trained run until asked to stop: it announces itself
// with the phase `serving` (url, model) and ends with `done` stopped (exit 0) or cancelled (exit 5).

export const TRAINER_PROTOCOL_VERSION = 1;

/** Process exit codes of the trainer. */
export const TrainerExitCode = {
  done: 0,
  otherError: 1,
  invalidJob: 2,
  outOfMemory: 3,
  /** Stopped on request (stdin `stop`, SIGTERM, STOP file) with a checkpoint to resume from. */
  stopped: 4,
  /** Cancelled on request (stdin `cancel`), or stopped before training began: nothing saved. */
  cancelled: 5,
} as const;
export type TrainerExitCode = (typeof TrainerExitCode)[keyof typeof TrainerExitCode];

/**
 * `preview` renders scenes as `train` would (tokens, loss mask, cut) with the tokenizer only;
 * `preview-server` does so for one request after another (stdin lines
 * `{"request": id, "job": path}`), every event of an answer carrying its `request`.
 */
export type TrainerCommand = 'doctor' | 'train' | 'export' | 'serve' | 'preview' | 'preview-server';
/** Lines the trainer accepts on stdin. */
export type TrainerStdinCommand = 'stop' | 'cancel';

interface EventBase {
  v: typeof TRAINER_PROTOCOL_VERSION;
  /** Unix time in seconds. */
  ts: number;
  seq: number;
}

/** Events that can answer a `preview-server` request: they name it (never set by other commands). */
interface Answer {
  request?: string;
}

export interface HelloEvent extends EventBase {
  type: 'hello';
  command: TrainerCommand;
  pid: number;
  protocol: number;
  trainer_version: string;
  /** python, character_trainer, torch, transformers, peft, ... (null: not installed). */
  versions: Record<string, string | null>;
  rank?: number;
  world_size?: number;
  run_dir?: string;
}

export type TrainerPhaseName =
  | 'loading_dataset'
  | 'loading_tokenizer'
  | 'resuming'
  | 'loading_model'
  | 'tokenizing'
  | 'training'
  | 'evaluating'
  | 'saving'
  | 'exporting'
  | 'merging'
  | 'converting'
  /** Downloading llama.cpp's converters (first GGUF export on a machine); repeated with done_bytes. */
  | 'fetching_converter'
  /** Downloading the base model from the Hugging Face hub; repeated with done_bytes, at most once a second. */
  | 'downloading'
  /** serve: the OpenAI-compatible server listens at `url` and serves `model`. */
  | 'serving';

/** What ran: one process (`none`), a whole model per GPU (`ddp`), or weights, gradients and optimizer
 * state sharded across the GPUs (`fsdp`, full fine-tunes). */
export type TrainerSharding = 'none' | 'ddp' | 'fsdp';

export interface PhaseEvent extends EventBase, Answer {
  type: 'phase';
  name: TrainerPhaseName;
  base_model?: string;
  /** downloading: the commit sha the requested revision resolved to (what is loaded and recorded). */
  revision?: string;
  /** downloading: files complete in the cache, of files_total. */
  files_done?: number;
  files_total?: number;
  device?: string;
  dtype?: string;
  /** loading_model, training: how the ranks share the work (see TrainerSharding). */
  sharding?: TrainerSharding;
  checkpoint?: string;
  step?: number;
  total_steps?: number;
  start_step?: number;
  /** exporting, converting: what is written; loading_model of serve: the weights served (adapter, model, merged). */
  target?: string;
  /** Byte progress of a phase that moves bytes (fetching_converter, downloading); the last event of a
   * download has done_bytes === total_bytes. */
  done_bytes?: number;
  /** fetching_converter: size of the archive, absent when the server does not say; downloading: all files. */
  total_bytes?: number;
  /** serving: the OpenAI-compatible base URL (e.g. http://127.0.0.1:41234/v1); the socket listens already. */
  url?: string;
  /** serving: the model id clients pass as `model`. */
  model?: string;
}

/** After each optimizer step (loss, lr, tokens_per_s, eta_s) or each evaluation (eval_loss). */
export interface ProgressEvent extends EventBase {
  type: 'progress';
  step: number;
  total_steps: number;
  /** Epochs done, fractional. */
  epoch: number;
  /** Mean loss per trained token over the step; null when not finite. */
  loss?: number | null;
  eval_loss?: number | null;
  lr?: number;
  /** Non-padding tokens per second, all ranks together, since this attempt started. */
  tokens_per_s?: number;
  eta_s?: number;
  /** The most memory rank 0 has held so far: reserved by PyTorch on its GPU, or peak resident set on the CPU. */
  peak_memory_bytes?: number;
}

export interface TokenSummary {
  min: number;
  mean: number;
  max: number;
  total: number;
}

/** Token statistics of the training examples, before the first step. */
export interface StatsEvent extends EventBase {
  type: 'stats';
  examples: number;
  dev_examples: number;
  trained_tokens: TokenSummary;
  tokens: TokenSummary;
  /** Share of padding in length-grouped batches (0..1). */
  padding_share: number;
  /** Share of padding if every example were padded to fixed_length, as the reference trainer did. */
  padding_share_fixed: number;
  fixed_length: number;
}

export interface CheckpointEvent extends EventBase {
  type: 'checkpoint';
  step: number;
  path: string;
}

export interface WarningEvent extends EventBase, Answer {
  type: 'warning';
  code: string;
  message: string;
  scene_ids?: string[];
}

/** Known error codes; others may appear (e.g. `internal`). */
export type TrainerErrorCode =
  | 'invalid_job'
  | 'invalid_dataset'
  | 'invalid_base_model'
  | 'model_unavailable'
  /** Hub base models: unknown id, gated or private without access, unknown revision, no usable files. */
  | 'model_not_found'
  | 'model_gated'
  | 'revision_not_found'
  | 'model_files_missing'
  | 'format_unsupported'
  | 'no_trainable_examples'
  | 'run_dir_not_empty'
  | 'resume_mismatch'
  | 'out_of_memory'
  | 'non_finite_loss'
  | 'nothing_to_export'
  /** serve: the run folder holds no trained weights (adapter/, model/ or exports/merged/). */
  | 'nothing_to_serve'
  /** serve: a character-llm run whose character is recorded nowhere (set job.serve.character_name). */
  | 'character_unknown'
  /** serve: job.serve.host/port cannot be bound. */
  | 'port_unavailable'
  | 'converter_unavailable'
  | 'conversion_failed'
  | 'disk_full'
  /** preview: a hub id that is not in the local Hugging Face cache (the preview never downloads). */
  | 'model_not_cached'
  | 'internal';

export interface ErrorEvent extends EventBase, Answer {
  type: 'error';
  code: TrainerErrorCode | (string & {});
  message: string;
  hint?: string;
  /** E.g. `{outputs}` already written when a GGUF conversion failed after the merge. */
  details?: Record<string, unknown>;
}

/** serve: `stopped` with exit 0 (its normal end) or `cancelled` with exit 5; never `completed`. */
export interface DoneEvent extends EventBase, Answer {
  type: 'done';
  status: 'completed' | 'stopped' | 'cancelled';
  reason?: string;
  /** Paths by kind: adapter, model, merged, modelfile, gguf, adapter_gguf, manifest, events, checkpoint. */
  outputs: Record<string, string>;
}

export interface DoctorGpu {
  index: number;
  name: string;
  memory_total_bytes: number;
  memory_free_bytes: number;
  capability: string;
}

/** The only event of the `doctor` command. */
export interface DoctorEvent extends EventBase {
  type: 'doctor';
  python: string;
  python_executable?: string;
  platform?: string;
  cpu_count?: number | null;
  torch: string;
  cuda_available: boolean;
  cuda_version?: string | null;
  mps_available?: boolean;
  bf16_supported: boolean;
  gpus: DoctorGpu[];
  packages: Record<string, string | null>;
}

/**
 * preview: one scene as training renders it, before `max_length` cuts it; lists are per token. Made by
 * the renderer `train` uses, so it shows what a run trains on.
 */
export interface PreviewEvent extends EventBase, Answer {
  type: 'preview';
  scene_id: string;
  format: 'chat' | 'character-llm';
  max_length: number;
  /** What the text looks like (chat template, or the paper's meta prompt), as a run's manifest records it. */
  template_hash: string;
  token_ids: number[];
  /** The text of each token; those not in `added` concatenate to the rendered text. */
  pieces: string[];
  /** Whether each token carries loss (label not -100). */
  trained: boolean[];
  /** Positions of tokens the tokenizer or the format added (BOS, the appended EOS), not in the text. */
  added: number[];
  /** Where max_length cuts (tokens from here on are not trained on); absent or null when it fits. */
  cut_at?: number | null;
  /** All tokens, before the cut. */
  tokens: number;
  /** Tokens that carry loss within max_length: what a run trains on. */
  trained_tokens: number;
  /** Why training leaves the scene out; absent when it is trained on. */
  dropped?: 'unrenderable' | 'no_trained_tokens' | null;
  message?: string | null;
}

export type TrainerEvent =
  | PreviewEvent
  | HelloEvent
  | PhaseEvent
  | ProgressEvent
  | StatsEvent
  | CheckpointEvent
  | WarningEvent
  | ErrorEvent
  | DoneEvent
  | DoctorEvent;

export type TrainerEventType = TrainerEvent['type'];
