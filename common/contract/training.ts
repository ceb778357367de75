/** Training (experience upload): runs, presets, estimates, serving and chat with a run. Types only. */

import type { CharacterId, Empty, HostId, RunId, SceneId } from './base';

export type TrainingFormat = 'chat' | 'character-llm';
export type RunStatus =
  'queued' | 'running' | 'stopping' | 'stopped' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface BaseModelOption {
  /** Hugging Face id. */
  id: string;
  label: string;
  parameters: string;
  note: string;
}

export interface TrainingHyperparameters {
  loraRank: number;
  loraAlpha: number;
  learningRate: number;
  epochs: number;
  batchSize: number;
  gradAccumulation: number;
  /** Tokens. */
  maxLength: number;
  /** Stop after this many optimizer steps (a quick trial); null trains the full epochs. */
  maxSteps: number | null;
  saveEverySteps: number;
  evalShare: number;
  gradientCheckpointing: boolean;
  fullFinetune: boolean;
  thinking: 'keep' | 'drop';
  /** Linear warm-up, as a share of all steps (the paper: 0.04). */
  warmupRatio: number;
  /** AdamW weight decay (the paper: 0.1 for its full fine-tune). */
  weightDecay: number;
  /** Checkpoints kept on disk; the oldest go first. */
  saveTotalLimit: number;
  /** Evaluations without a better dev loss before training stops; null never stops early. */
  earlyStoppingPatience: number | null;
  /** QLoRA: the base model in 4-bit NF4 (needs a CUDA GPU with bitsandbytes). LoRA only. */
  loadIn4bit: boolean;
  /** Weights and compute: `auto` takes bf16 where the GPU has it, else fp16 on GPU, fp32 on CPU. */
  dtype: 'auto' | 'bf16' | 'fp16' | 'fp32';
  /**
   * How several GPUs share the run: `auto` is FSDP for full fine-tuning (each GPU holds a shard of the
   * model) and DDP for LoRA (each holds a copy). One GPU ignores it.
   */
  sharding: 'auto' | 'ddp' | 'fsdp';
}

/** A named set of hyper-parameters for a common situation; applying it changes only these fields. */
export interface TrainingPreset {
  id: string;
  label: string;
  /** One sentence: when to pick it. */
  description: string;
  hyperparameters: Partial<TrainingHyperparameters>;
}

export interface TrainingConfig {
  /** A Hugging Face id or a model folder on the training machine. */
  baseModel: string;
  format: TrainingFormat;
  /**
   * Where it trains: `local` (this machine), or the id of an SSH host from `hosts/list`. A remote run
   * is uploaded and started detached there; it outlives the studio and is re-attached at start-up.
   */
  target: 'local' | HostId;
  /**
   * Local runs: the Python interpreter with the trainer's packages; empty uses the studio's managed
   * environment. Remote runs ignore it and use the host's `python`.
   */
  python: string;
  hyperparameters: TrainingHyperparameters;
}

export interface TrainingPoint {
  step: number;
  loss: number | null;
  evalLoss: number | null;
}

/** Byte progress of the phase a live run is in (the base model's download, fetching converters). */
export interface TrainingTransfer {
  /** The trainer's phase name, e.g. `downloading`. */
  phase: string;
  /** What moves: the base model's hub id while downloading; null when the trainer does not say. */
  subject: string | null;
  /** downloading: the commit sha being fetched. */
  revision: string | null;
  doneBytes: number;
  /** null when the size is not known. */
  totalBytes: number | null;
  filesDone: number | null;
  filesTotal: number | null;
}

export interface TrainingRun {
  id: RunId;
  characterId: CharacterId;
  status: RunStatus;
  config: TrainingConfig;
  runDir: string;
  phase: string | null;
  examples: number | null;
  /** Share of padding in our length-grouped batches, and if every example were padded to 2,048 as the paper did. */
  paddingShare: number | null;
  paddingShareFixed: number | null;
  step: number;
  totalSteps: number;
  epoch: number;
  tokensPerSecond: number | null;
  etaSeconds: number | null;
  /** Where it trained, as the trainer named it (`cuda:0`, `cpu`); null before the model loaded. */
  device: string | null;
  /** The most memory the trainer held on that device (GPU: reserved by PyTorch; CPU: resident), bytes. */
  peakMemoryBytes: number | null;
  /** Artifacts by kind (adapter, merged, manifest, checkpoint…), as absolute paths. */
  outputs: Record<string, string>;
  message: string | null;
  points: TrainingPoint[];
  createdAt: number;
  updatedAt: number;
  /** While the run is in a phase that reports bytes (not persisted: live state of this app session). */
  transfer?: TrainingTransfer | null;
  /** While this studio serves the run over the OpenAI protocol (`training/serve`); live state, not persisted. */
  serving?: TrainingServing | null;
  /**
   * While this studio exports the run (`training/export`): its own state, beside the run's status,
   * which stays `succeeded` throughout; live state of this app session, not persisted.
   */
  exporting?: TrainingExport | null;
  /** What the trainer warned about (scenes cut at the maximum length, dropped ones…), oldest first; kept. */
  warnings: TrainingWarning[];
  finishedAt: number | null;
  /**
   * Whether this studio follows the run now (drives its trainer, or watches it on its SSH host); live
   * state, not persisted. A remote run `stopping` that this studio does not follow (asked from a
   * terminal, or before a restart) is seen through by `training/stop` again: the Train tab's "Follow
   * the stop", the CLI's `train stop`.
   */
  followed?: boolean;
}

/** One kind of trainer warning on a run; a resumed attempt repeating it does not add another. */
export interface TrainingWarning {
  /** The trainer's code, e.g. `scenes_truncated`, `scenes_unrenderable`, `base_model_from_cache`. */
  code: string;
  message: string;
  /** Scenes it concerns (at most 50), when it is about scenes. */
  sceneIds: string[];
  /** When it was first seen, ms since the epoch. */
  at: number;
}

/** An export of a finished run in progress (`training/export`). */
export interface TrainingExport {
  /** The trainer's phase: `exporting`, `merging`, `fetching_converter`, `converting`; null before the first. */
  phase: string | null;
  /** With `converting`: what is written (`gguf`, `adapter_gguf`, `gguf_base`: the base model unmerged). */
  target: string | null;
  merged: boolean;
  gguf: boolean;
  /** `chat`: the conversion `training/prepare-chat` runs (base model and adapter to GGUF); absent: an export. */
  purpose?: 'export' | 'chat';
  startedAt: number;
  /** Set once `training/export-cancel` asked it to end. */
  cancelling: boolean;
}

/** The GGUF files the embedded chat runtime loads for a run (`training/prepare-chat`). */
export interface ChatGgufFiles {
  runId: RunId;
  /** The base model, unmerged, shared by the runs of that base model; a full fine-tune's own model. */
  baseGguf: string;
  /** The run's LoRA adapter, applied on the context at load; null for a full fine-tune. */
  adapterGguf: string | null;
  /** How the run was trained (its manifest): how the embedded runtime renders the prompt. */
  format: TrainingFormat;
  /** Whom the run plays (its manifest, else the character it belongs to). */
  character: { fullName: string; shortName: string };
  /** How long this call converted, seconds; 0 when the files were there already. */
  seconds: number;
}

/** A run this studio serves now, whichever character it belongs to. */
export interface ServedRun {
  runId: RunId;
  characterId: CharacterId;
  characterName: string;
  serving: TrainingServing;
}

/** A trained run answering the OpenAI protocol on this computer, for any OpenAI-compatible chat app. */
export interface TrainingServing {
  /** `starting` while the model loads; `ready` once `url` answers. */
  state: 'starting' | 'ready';
  /** Base URL for OpenAI clients, e.g. `http://127.0.0.1:41234/v1`; null while starting. */
  url: string | null;
  /** The model id clients pass. */
  model: string | null;
}

export interface TrainingEstimate {
  examples: number;
  /** Rough tokens per example (4 characters a token). */
  meanTokens: number;
  steps: number;
  /** Weights + optimizer + activations, GiB per GPU; 0 when the base model's size is unknown. */
  memoryGiB: number;
  /** Tokens the run will train on (all epochs, or up to max steps). */
  tokens: number;
  /** Rough training time in seconds; null when nothing tells the speed of the target machine. */
  seconds: number | null;
  /** Where `seconds` comes from, e.g. "measured: 2,310 tokens/s in the run of 3 May" or "NVIDIA A100 spec". */
  speedBasis: string | null;
  warnings: string[];
}

export interface TrainerEnvironment {
  ok: boolean;
  python: string;
  summary: string;
  torch: string | null;
  cuda: boolean;
  gpus: { name: string; memoryGiB: number }[];
  bf16: boolean;
}

/** One token of a training preview. */
export interface PreviewToken {
  id: number;
  /** The text the token stands for, spaces and newlines as they are; an added token as the tokenizer spells it. */
  piece: string;
  /** Carries loss: the model learns to produce this token. */
  trained: boolean;
  /** Added by the tokenizer or the format (BOS, the appended EOS): not part of the rendered text. */
  added: boolean;
}

/** What the preview is of: a saved scene, one base model's tokenizer, a format and a length. */
export interface TrainingPreviewRequest {
  sceneId: SceneId;
  /** A model folder on this machine, or a Hugging Face id already in the local cache (nothing is downloaded). */
  baseModel: string;
  format: TrainingFormat;
  /** Tokens; a longer scene is cut there, as training cuts it. */
  maxLength: number;
  /** The character's thinking turns in the chat format: kept (default) or dropped, as the run's option. */
  thinking?: 'keep' | 'drop';
  /** The interpreter with the trainer's packages; empty or absent: the studio's default. */
  python?: string;
}

/**
 * A scene exactly as a training run would take it: the trainer's own rendering and loss masking
 * (its `preview` command), so the two cannot disagree.
 */
export interface TrainingPreview {
  sceneId: SceneId;
  /** The saved revision shown (unsaved edits are not in it). */
  revision: number;
  baseModel: string;
  format: TrainingFormat;
  maxLength: number;
  thinking: 'keep' | 'drop';
  /** Every token of the rendered scene, before the cut. */
  tokens: PreviewToken[];
  /** Index of the first token `maxLength` cuts away; null when the scene fits. */
  cutAt: number | null;
  /** Tokens that carry loss within `maxLength`: what a run trains on. */
  trainedTokens: number;
  /** Why training leaves this scene out; null when it is trained on. */
  excluded: string | null;
  /** What else bears on it: a rejected review, turns the dataset export leaves out. */
  notes: string[];
  /** The trainer's hash of the template (chat template or the paper's meta prompt), as a run's manifest records it. */
  templateHash: string;
}

/** A model of the local Hugging Face cache whose tokenizer is there (the preview can use it). */
export interface CachedBaseModel {
  /** Hugging Face id, owner/name. */
  id: string;
  /** The commit the cache's `main` names (or the only snapshot). */
  revision: string;
  /** Whether weights are cached too (training without a download needs them). */
  weights: boolean;
}

/** One line of a run's trainer log, numbered from 1 per run. */
export interface TrainingLogLine {
  seq: number;
  line: string;
}

/** Stored lines of a run's trainer log (`training/log`). */
export interface TrainingLog {
  runId: RunId;
  /** Oldest first. */
  lines: TrainingLogLine[];
  /** How many lines the run has logged (the last one's `seq`). */
  total: number;
  /** How many of those were not kept: a long log keeps its first 200 and last 5,000 lines. */
  leftOut: number;
}

export interface TrainingCommands {
  /**
   * A saved scene as training would take it (see `TrainingPreview`). Runs the trainer's `preview` in
   * the local Python environment (a few seconds; the result is kept briefly per scene revision and
   * settings); without that environment, `unavailable` says how to set it up.
   */
  'training/preview': (arg: TrainingPreviewRequest) => TrainingPreview;
  /** Models in this machine's Hugging Face cache, for the preview's base model list. */
  'training/cached-models': (arg: Empty) => { cacheDir: string; models: CachedBaseModel[] };
  'training/options': (arg: Empty) => {
    baseModels: BaseModelOption[];
    defaults: TrainingHyperparameters;
    presets: TrainingPreset[];
  };
  /** Checks the Python environment the trainer would run in. */
  'training/doctor': (arg: { python: string }) => TrainerEnvironment;
  /**
   * Creates (or brings up to date) the studio's own Python environment for the trainer, in the data
   * folder, from the pinned requirements; `basePython` creates it (empty: python3). Progress lines
   * arrive as `training/setup-progressed`. Takes minutes the first time (PyTorch is large).
   */
  'training/setup': (arg: { basePython: string }) => TrainerEnvironment;
  'training/estimate': (arg: { characterId: CharacterId; config: TrainingConfig }) => TrainingEstimate;
  /**
   * Whether `baseModel` can be trained on `target` (a folder there with a model in it, or a
   * well-formed Hugging Face id): `problem` says what is wrong and what to do; null when it can.
   * `training/start` and `training/estimate` refuse what this refuses.
   */
  'training/check-model': (arg: { baseModel: string; target: 'local' | HostId }) => { problem: string | null };
  'training/start': (arg: { characterId: CharacterId; config: TrainingConfig }) => TrainingRun;
  'training/list': (arg: { characterId: CharacterId }) => TrainingRun[];
  'training/get': (arg: { id: RunId }) => TrainingRun;
  /** Runs whose id is `key` or starts with it, in id order, at most 10 (as `jobs/match`): the CLI names runs so. */
  'training/match': (arg: { key: string }) => { id: RunId; characterId: CharacterId }[];
  /**
   * Saves a checkpoint and stops; `training/resume` continues from it. A run another studio process
   * on this machine trains is asked there (it stops within about a second): the reply is the run
   * `stopping` with a message saying so. One whose process has died becomes `interrupted` at once.
   */
  'training/stop': (arg: { id: RunId }) => TrainingRun;
  'training/resume': (arg: { id: RunId }) => TrainingRun;
  /** Ends the run for good; a live run of another process is asked there, as with `training/stop`. */
  'training/cancel': (arg: { id: RunId }) => TrainingRun;
  /**
   * The run's stored trainer log (training and exports, whichever process ran them): after
   * `afterSeq` the first `limit` lines that follow it, else the last `limit` (default 1,000).
   */
  'training/log': (arg: { runId: RunId; afterSeq?: number; limit?: number }) => TrainingLog;
  /**
   * Exports a finished run: the PEFT adapter is always there (servable by vLLM with --enable-lora);
   * `merged` writes base + adapter as one model and an Ollama Modelfile; `gguf` converts with the
   * llama.cpp converters node-llama-cpp ships (offline; LLAMA_CPP_DIR for the user's own llama.cpp).
   */
  'training/export': (arg: { id: RunId; merged: boolean; gguf: boolean; ollamaName?: string }) => TrainingRun;
  /**
   * Serves a finished run over the OpenAI protocol on 127.0.0.1 (the trainer's `serve`), for chat apps
   * such as SillyTavern or Open WebUI; resolves once it answers. Local: the studio's Python loads it.
   * `others: 'stop'` first stops every other run this studio serves; the default keeps them.
   */
  'training/serve': (arg: { id: RunId; others?: 'stop' | 'keep' }) => TrainingRun;
  'training/serve-stop': (arg: { id: RunId }) => TrainingRun;
  /**
   * The runs served now, of every character: before serving another, the UI asks whether to stop
   * them (each holds its model in memory) and passes `others: 'stop'` to `training/serve`.
   */
  'training/served': (arg: Empty) => ServedRun[];
  /**
   * The GGUF files of a finished run for the embedded chat runtime (no Python at chat time): at once
   * when cached, else converted with the llama.cpp converters node-llama-cpp ships (offline), with
   * progress on the run card as an export whose `purpose` is `chat`. Cancel with `training/export-cancel`.
   */
  'training/prepare-chat': (arg: { id: RunId }) => ChatGgufFiles;
  /** Ends the run's export in progress; the run and what earlier exports wrote stay as they were. */
  'training/export-cancel': (arg: { id: RunId }) => TrainingRun;
}

export interface TrainingEvents {
  /** Throttled to a few a second per run. */
  'training/progressed': TrainingRun;
  /**
   * One line the trainer logged (stderr), for the run's log view. `seq` is its number in the stored
   * log (`training/log`); null for a line that is not kept (the model server's).
   */
  'training/logged': { runId: RunId; line: string; seq: number | null };
  'training/setup-progressed': { line: string };
}
