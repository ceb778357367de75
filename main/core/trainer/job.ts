/**
 * job.json as the trainer reads it (resources/trainer/character_trainer/job.py documents every key
 * and default). Relative paths resolve against the folder holding job.json; the launchers always
 * write job.json into `run_dir` and use absolute paths.
 */

export interface TrainerHyperparameters {
  lora_rank: number;
  lora_alpha: number;
  lora_dropout: number;
  lora_target_modules: string | string[];
  learning_rate: number;
  lr_scheduler: 'cosine' | 'linear' | 'constant';
  epochs: number;
  max_steps: number | null;
  batch_size: number;
  grad_accumulation: number;
  /** Tokens. */
  max_length: number;
  warmup_ratio: number;
  weight_decay: number;
  max_grad_norm: number;
  seed: number;
  eval_share: number;
  eval_every_steps: number | null;
  early_stopping_patience: number | null;
  save_every_steps: number;
  save_total_limit: number;
  gradient_checkpointing: boolean;
  full_finetune: boolean;
  load_in_4bit: boolean;
  dtype: 'auto' | 'bf16' | 'fp16' | 'fp32';
  thinking: 'keep' | 'drop';
  /** Several GPUs: `auto` = FSDP for a full fine-tune, DDP for LoRA. */
  sharding: 'auto' | 'ddp' | 'fsdp';
}

export interface TrainerExportOptions {
  merged: boolean;
  gguf: boolean;
  /** Also convert the LoRA adapter to exports/adapter.gguf (LoRA runs only). */
  gguf_adapter: boolean;
  gguf_outtype: 'f32' | 'f16' | 'bf16' | 'q8_0' | 'auto';
  /** Write the base model, unmerged, to this GGUF path (kept when it exists): the embedded chat's base. */
  gguf_base: string | null;
  llama_cpp_dir: string | null;
  ollama_model_name: string | null;
}

/** The `serve` command's options (character_trainer/job.py ServeOptions). */
export interface TrainerServeOptions {
  host: string;
  /** 0: a free port, named by the `serving` phase event. */
  port: number;
  model_name: string | null;
  max_new_tokens: number;
  weights: 'auto' | 'adapter' | 'model' | 'merged';
  dtype: 'auto' | 'bf16' | 'fp16' | 'fp32';
  character_name: string | null;
  character_short_name: string | null;
  user_name: string;
}

export interface TrainerJob {
  /** Absolute path of the run folder; created by the trainer if missing. */
  run_dir: string;
  /** Hugging Face id or a model folder (on the machine that trains). */
  base_model: string;
  base_model_revision?: string | null;
  format?: 'chat' | 'character-llm';
  /** JSON-lines dataset (see dataset-export.ts); required by `train`. */
  dataset?: string;
  dataset_format?: 'scenes' | 'character-llm-sft';
  /** Continue from the newest checkpoint in run_dir (default true). */
  resume?: boolean;
  hyperparameters?: Partial<TrainerHyperparameters>;
  export?: Partial<TrainerExportOptions>;
  serve?: Partial<TrainerServeOptions>;
}

/** The trainer's run-folder layout (README of resources/trainer). */
export const RUN_FILES = {
  job: 'job.json',
  events: 'events.jsonl',
  stop: 'STOP',
  manifest: 'manifest.json',
  checkpoints: 'checkpoints',
  adapter: 'adapter',
} as const;
