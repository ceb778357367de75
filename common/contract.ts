/**
 * The studio contract: every command a door (IPC, HTTP, CLI) may call and every event it may
 * receive. Types only; this file imports nothing and is compiled with neither DOM nor Node types,
 * so renderer, preload and main can all depend on it.
 *
 * Conventions: commands are `noun/verb` and take exactly one argument object; events are past
 * tense. Times are milliseconds since the Unix epoch. Errors cross every door as `StudioError`.
 */

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type CharacterId = Brand<string, 'CharacterId'>;
export type ProfileId = Brand<string, 'ProfileId'>;
export type ChunkId = Brand<string, 'ChunkId'>;
export type ProviderId = Brand<string, 'ProviderId'>;
export type JobId = Brand<string, 'JobId'>;
export type SceneId = Brand<string, 'SceneId'>;
export type CallId = Brand<string, 'CallId'>;
export type LimitId = Brand<string, 'LimitId'>;
export type RunId = Brand<string, 'RunId'>;
export type HostId = Brand<string, 'HostId'>;

export type Door = 'desktop' | 'web' | 'cli';

export interface AppInfo {
  version: string;
  door: Door;
  dataDir: string;
  databasePath: string;
  schemaVersion: number;
  /** Limits the renderer checks before sending, so the user hears early. */
  limits: { maxProfileBytes: number; maxChunkChars: number };
}

export interface CharacterDraft {
  /** Full name as the paper uses it in the meta prompt, e.g. "Ludwig van Beethoven". */
  fullName: string;
  /** Speaker label in scenes, e.g. "Beethoven". */
  shortName: string;
  /** Era or dates, free text, e.g. "1770–1827". Drives what the character cannot know. */
  era: string;
  notes: string;
}

export interface Character extends CharacterDraft {
  id: CharacterId;
  createdAt: number;
  updatedAt: number;
  profileCount: number;
  chunkCount: number;
  wordCount: number;
}

/** How the imported text was read. `character-llm` is the paper's `# Full Name` + paragraphs. */
export type ProfileFormat = 'character-llm' | 'markdown' | 'text';

export interface Chunk {
  id: ChunkId;
  profileId: ProfileId;
  /** 0-based order within the profile. */
  position: number;
  /** Heading lines glued above the paragraph (display only; they are part of `text`). */
  heading: string | null;
  text: string;
  words: number;
}

export interface Profile {
  id: ProfileId;
  characterId: CharacterId;
  title: string;
  sourceName: string | null;
  format: ProfileFormat;
  createdAt: number;
  updatedAt: number;
  words: number;
  chunks: Chunk[];
}

export interface ProfileImport {
  characterId: CharacterId;
  /** Pasted text. Exactly one of `text` and `fileBase64` is given. */
  text?: string;
  /** A file's raw bytes, base64: decoding and binary detection happen in main. */
  fileBase64?: string;
  /** The file's name, used for the title and to pick the format (`.txt`, `.md`). */
  fileName?: string;
  title?: string;
}

export type Empty = Record<string, never>;

// ── LLM providers ────────────────────────────────────────────────────────────────────────────

export type ProviderKind = 'openai-compatible' | 'embedded';
export type ProviderPreset =
  'openai' | 'ollama' | 'lmstudio' | 'llamacpp' | 'vllm' | 'openrouter' | 'custom' | 'embedded';

export interface ProviderPresetInfo {
  id: ProviderPreset;
  label: string;
  kind: ProviderKind;
  baseUrl: string;
  needsApiKey: boolean;
  supportsJsonSchema: boolean;
  /** A sensible model id to start from, e.g. "gpt-4o-mini" or "llama3.1:8b". */
  exampleModel: string;
}

export interface ProviderDraft {
  name: string;
  preset: ProviderPreset;
  /** For OpenAI-compatible endpoints; ignored for the embedded model. */
  baseUrl: string;
  /** Model id for endpoints; a label for the embedded model. */
  model: string;
  /** Path to a `.gguf` file for the embedded model. */
  modelPath: string;
  /**
   * The API key: a new value replaces the stored one, `''` removes it, absent keeps it. `env:NAME`
   * reads the environment variable NAME at call time. Keys are kept in the OS keychain (desktop)
   * or a private file, never in the database, and are never sent back to the renderer.
   */
  apiKey?: string;
  maxConcurrency: number;
  /** 0 means no limit. */
  requestsPerMinute: number;
  timeoutMs: number;
  /** Ask for JSON by schema (grammar for the embedded model); off falls back to the paper's text format. */
  structuredOutput: boolean;
}

export interface Provider extends Omit<ProviderDraft, 'apiKey'> {
  id: ProviderId;
  kind: ProviderKind;
  hasApiKey: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface ConnectionCheck {
  ok: boolean;
  summary: string;
  models: string[] | null;
  steps: { name: string; ok: boolean; message: string; latencyMs: number }[];
}

export interface ModelPrice {
  model: string;
  /** US dollars per million tokens. */
  promptPerMillion: number;
  completionPerMillion: number;
}

// ── Training (experience upload) ─────────────────────────────────────────────────────────────

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
  finishedAt: number | null;
}

/** One turn of a conversation with a served run: the user's line or the character's. */
export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface ChatReply {
  text: string;
  /** The character's inner thoughts, for runs trained with them (Character-LLM format); null otherwise. */
  reasoning: string | null;
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

// ── SSH hosts (remote GPUs for training) ─────────────────────────────────────────────────────

export interface HostDraft {
  /** Unique among hosts (case-insensitive); what `train --host` and the Train tab show. */
  name: string;
  /** DNS name or address of the machine. */
  host: string;
  port: number;
  username: string;
  /** OpenSSH private key file on this machine; empty logs in through the SSH agent (SSH_AUTH_SOCK). */
  privateKeyPath: string;
  /**
   * The private key's passphrase: a new value replaces the stored one, `''` removes it, absent keeps
   * it. Kept like API keys (keychain or private file), never in the database, never sent back.
   */
  passphrase?: string;
  /** Remote interpreter (default `python3`); without the trainer's packages a venv is made under remoteRoot. */
  python: string;
  /** Remote folder for the trainer, its venv and runs; relative to the remote home (default `.character-studio`). */
  remoteRoot: string;
  /** GPUs to train on; more than 1 launches through torchrun (`--standalone --nproc_per_node N`). */
  gpuCount: number;
}

export interface Host extends Omit<HostDraft, 'passphrase'> {
  id: HostId;
  hasPassphrase: boolean;
  createdAt: number;
  updatedAt: number;
}

/** `hosts/test`: never fails, reports instead. */
export interface HostCheck {
  /** Logged in and the trainer's doctor ran. */
  ok: boolean;
  summary: string;
  /** The key the server presented (`SHA256:…`), when the connection got that far. */
  fingerprint: string | null;
  /** The key is not trusted yet: show `fingerprint` and offer `hosts/trust`. */
  needsTrust: boolean;
  /** The remote trainer environment, when the login worked. */
  doctor: TrainerEnvironment | null;
}

// ── Generation (experience construction) ─────────────────────────────────────────────────────

export type Stage = 'limits' | 'scenes' | 'experiences' | 'protective';
export type JobStatus = 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface GenerationSettings {
  providerId: ProviderId;
  /** Scenes wanted from the profile (the paper: about 1,500 per character). */
  targetScenes: number;
  /** Scenes asked for in one call. */
  scenesPerCall: number;
  /** Share of protective experiences in the final dataset, 0–0.2 (the paper: 1–5%). */
  protectiveShare: number;
  temperature: number;
  topP: number;
  /** Token limit of one experience completion. */
  maxTokens: number;
  /** Optional spending cap in US dollars; the job pauses when it is reached. */
  budgetUsd: number | null;
  /** Jaccard similarity over word shingles above which a scene counts as a near duplicate. */
  dedupeThreshold: number;
}

export interface StageEstimate {
  stage: Stage;
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

export interface GenerationEstimate {
  stages: StageEstimate[];
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** Null when the model has no price in the table. */
  costUsd: number | null;
  /** Expected wall time at the provider's concurrency, in seconds. */
  seconds: number;
  warnings: string[];
}

export interface ItemFailure {
  itemId: string;
  stage: Stage;
  reason: string;
  at: number;
}

export interface StageProgress {
  stage: Stage;
  done: number;
  failed: number;
  total: number;
}

export interface Job {
  id: JobId;
  characterId: CharacterId;
  kind: 'generation';
  status: JobStatus;
  stage: Stage | null;
  settings: GenerationSettings;
  stages: StageProgress[];
  done: number;
  total: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** Estimated seconds left, null until measurable. */
  etaSeconds: number | null;
  /** Why it paused, failed or finished short. */
  message: string | null;
  recentFailures: ItemFailure[];
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export type TurnKind = 'speaking' | 'thinking' | 'action';

export interface Turn {
  speaker: string;
  kind: TurnKind;
  text: string;
}

export interface Scene {
  id: SceneId;
  characterId: CharacterId;
  chunkId: ChunkId | null;
  protective: boolean;
  /** What the character is pressed about, for protective scenes. */
  limit: string | null;
  type: string;
  location: string;
  time: string;
  background: string;
  people: string[];
  callId: CallId | null;
  promptVersion: string;
  createdAt: number;
  experience: Experience | null;
}

export interface Experience {
  background: string;
  turns: Turn[];
  callId: CallId | null;
  promptVersion: string;
}

export interface LlmCall {
  id: CallId;
  jobId: JobId | null;
  attempt: number;
  provider: string;
  model: string;
  params: Record<string, unknown>;
  messages: { role: string; content: string }[];
  response: string | null;
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  costUsd: number | null;
  latencyMs: number;
  error: string | null;
  startedAt: number;
}

export interface KnowledgeLimit {
  id: LimitId;
  text: string;
  source: 'generated' | 'user';
}

export interface PromptTemplate {
  stage: Stage;
  /** `builtin@N` or `custom@N`. */
  version: string;
  system: string;
  template: string;
  /** Placeholders the template may use, e.g. `{character}`. */
  placeholders: string[];
  custom: boolean;
}

export interface DatasetStats {
  scenes: number;
  protectiveScenes: number;
  experiences: number;
  turns: number;
  words: number;
}

export interface Commands {
  'app/info': (arg: Empty) => AppInfo;

  'characters/list': (arg: Empty) => Character[];
  'characters/get': (arg: { id: CharacterId }) => Character;
  'characters/create': (arg: CharacterDraft) => Character;
  'characters/update': (arg: { id: CharacterId } & Partial<CharacterDraft>) => Character;
  'characters/delete': (arg: { id: CharacterId }) => { deleted: true };

  'profiles/list': (arg: { characterId: CharacterId }) => Profile[];
  'profiles/import': (arg: ProfileImport) => Profile;
  'profiles/rename': (arg: { id: ProfileId; title: string }) => Profile;
  'profiles/delete': (arg: { id: ProfileId }) => { deleted: true };

  'chunks/update': (arg: { id: ChunkId; text: string }) => Profile;
  /** Splits a chunk at a character offset of its text; both halves must keep some text. */
  'chunks/split': (arg: { id: ChunkId; offset: number }) => Profile;
  /** Merges a chunk with the one after it. */
  'chunks/merge': (arg: { id: ChunkId }) => Profile;
  'chunks/delete': (arg: { id: ChunkId }) => Profile;

  'providers/presets': (arg: Empty) => ProviderPresetInfo[];
  'providers/list': (arg: Empty) => Provider[];
  'providers/create': (arg: ProviderDraft) => Provider;
  'providers/update': (arg: { id: ProviderId } & Partial<ProviderDraft>) => Provider;
  'providers/delete': (arg: { id: ProviderId }) => { deleted: true };
  /** Lists models and sends one tiny completion; never fails, reports instead. */
  'providers/test': (arg: { id: ProviderId }) => ConnectionCheck;
  'prices/list': (arg: Empty) => ModelPrice[];
  'prices/set': (arg: ModelPrice) => ModelPrice[];

  'limits/list': (arg: { characterId: CharacterId }) => KnowledgeLimit[];
  /** Replaces the list of what the character cannot know with the user's edit. */
  'limits/save': (arg: { characterId: CharacterId; limits: string[] }) => KnowledgeLimit[];
  /** Asks the provider for the list (from the era and the profile) and replaces the saved one. */
  'limits/generate': (arg: { characterId: CharacterId; providerId: ProviderId }) => KnowledgeLimit[];

  'prompts/list': (arg: { characterId: CharacterId }) => PromptTemplate[];
  /** Saves a new custom version for this character; `null` template goes back to the built-in one. */
  'prompts/save': (
    arg:
      | { characterId: CharacterId; stage: Stage; system: string; template: string }
      | { characterId: CharacterId; stage: Stage; reset: true },
  ) => PromptTemplate[];

  'generation/defaults': (arg: { characterId: CharacterId }) => Omit<GenerationSettings, 'providerId'>;
  'generation/estimate': (arg: { characterId: CharacterId; settings: GenerationSettings }) => GenerationEstimate;
  'generation/start': (arg: { characterId: CharacterId; settings: GenerationSettings }) => Job;

  'jobs/list': (arg: { characterId: CharacterId }) => Job[];
  'jobs/get': (arg: { id: JobId }) => Job;
  'jobs/pause': (arg: { id: JobId }) => Job;
  'jobs/resume': (arg: { id: JobId }) => Job;
  'jobs/cancel': (arg: { id: JobId }) => Job;
  /** Puts failed items back in the queue, all of them or one. */
  'jobs/retry': (arg: { id: JobId; itemId?: string }) => Job;

  'scenes/list': (arg: { characterId: CharacterId; offset: number; limit: number; protective?: boolean }) => {
    total: number;
    scenes: Scene[];
  };
  'scenes/get': (arg: { id: SceneId }) => Scene;
  'dataset/stats': (arg: { characterId: CharacterId }) => DatasetStats;
  'calls/get': (arg: { id: CallId }) => LlmCall[];

  'hosts/list': (arg: Empty) => Host[];
  /** Creates (no id) or updates a host. */
  'hosts/save': (arg: HostDraft & { id?: HostId }) => Host;
  /** Refused while a run on the host is unfinished. */
  'hosts/delete': (arg: { id: HostId }) => { deleted: true };
  /** Connects and runs the trainer's doctor there; an unknown host key answers `needsTrust`. */
  'hosts/test': (arg: { id: HostId }) => HostCheck;
  /**
   * Trusts the key the host presents now, only if it still has `fingerprint` (the one the user saw).
   * Keys are kept in `<dataDir>/known_hosts`; a key that CHANGED from a trusted one is refused.
   */
  'hosts/trust': (arg: { id: HostId; fingerprint: string }) => HostCheck;

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
  'training/start': (arg: { characterId: CharacterId; config: TrainingConfig }) => TrainingRun;
  'training/list': (arg: { characterId: CharacterId }) => TrainingRun[];
  'training/get': (arg: { id: RunId }) => TrainingRun;
  /** Saves a checkpoint and stops; `training/resume` continues from it. */
  'training/stop': (arg: { id: RunId }) => TrainingRun;
  'training/resume': (arg: { id: RunId }) => TrainingRun;
  'training/cancel': (arg: { id: RunId }) => TrainingRun;
  /**
   * Exports a finished run: the PEFT adapter is always there (servable by vLLM with --enable-lora);
   * `merged` writes base + adapter as one model and an Ollama Modelfile; `gguf` converts with
   * llama.cpp's converter when it is installed (LLAMA_CPP_DIR), and says so clearly when it is not.
   */
  'training/export': (arg: { id: RunId; merged: boolean; gguf: boolean; ollamaName?: string }) => TrainingRun;
  /**
   * Serves a finished run over the OpenAI protocol on 127.0.0.1 (the trainer's `serve`), for chat apps
   * such as SillyTavern or Open WebUI; resolves once it answers. Local: the studio's Python loads it.
   */
  'training/serve': (arg: { id: RunId }) => TrainingRun;
  'training/serve-stop': (arg: { id: RunId }) => TrainingRun;
  /**
   * One reply of a served run to the conversation so far (not stored). The reply streams as
   * `training/chat-delta` events carrying `requestId`; the result is the whole of it.
   */
  'training/chat': (arg: { id: RunId; requestId: string; messages: ChatTurn[] }) => ChatReply;
}

export type CommandName = keyof Commands;
export type CommandArg<K extends CommandName> = Parameters<Commands[K]>[0];
export type CommandResult<K extends CommandName> = ReturnType<Commands[K]>;

export interface Events {
  'characters/changed': { characterId: CharacterId | null };
  'profiles/changed': { characterId: CharacterId };
  'providers/changed': { providerId: ProviderId | null };
  'hosts/changed': { hostId: HostId | null };
  /** Throttled to a few a second per job. */
  'jobs/progressed': Job;
  'dataset/changed': { characterId: CharacterId };
  'limits/changed': { characterId: CharacterId };
  /** Throttled to a few a second per run. */
  'training/progressed': TrainingRun;
  /** One line the trainer logged (stderr), for the run's log view. */
  'training/logged': { runId: RunId; line: string };
  'training/setup-progressed': { line: string };
  /** A piece of a `training/chat` reply as it streams. */
  'training/chat-delta': { runId: RunId; requestId: string; text?: string; reasoning?: string };
}

export type EventName = keyof Events;

export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_file'
  | 'database'
  | 'unknown_command'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'internal';

export interface StudioError {
  code: ErrorCode;
  message: string;
}

/** What the renderer sees, whichever door carries it. */
export interface StudioBridge {
  invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>>;
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void;
}

/** Names of every command, for doors that must enumerate them. Kept in step by the compiler. */
export type CommandNameList = readonly CommandName[];

/** A command's result as it crosses a process boundary: errors are data, never thrown. */
export type Outcome<T = unknown> = { ok: true; result: T } | { ok: false; error: StudioError };

/** What the Electron preload exposes as `window.studioDesktop`; the renderer wraps it. */
export interface DesktopBridge {
  invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<Outcome<CommandResult<K>>>;
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void;
}
