/**
 * What the Train tab offers to start from: the base models it names, the default hyperparameters
 * and the presets that change some of them. Plain data, shared by the service and the doors.
 */
import type { BaseModelOption, TrainingHyperparameters, TrainingPreset } from '../../../common/contract';

export const BASE_MODELS: readonly BaseModelOption[] = [
  {
    id: 'Qwen/Qwen2.5-0.5B-Instruct',
    label: 'Qwen2.5 0.5B Instruct',
    parameters: '0.5B',
    note: 'Trains on a laptop GPU or CPU; a quick first try.',
  },
  {
    id: 'Qwen/Qwen2.5-1.5B-Instruct',
    label: 'Qwen2.5 1.5B Instruct',
    parameters: '1.5B',
    note: 'Small and capable; an 8 GB GPU with LoRA.',
  },
  {
    id: 'meta-llama/Llama-3.2-3B-Instruct',
    label: 'Llama 3.2 3B Instruct',
    parameters: '3B',
    note: 'Gated on Hugging Face: accept the licence and log in first.',
  },
  {
    id: 'Qwen/Qwen2.5-7B-Instruct',
    label: 'Qwen2.5 7B Instruct',
    parameters: '7B',
    note: 'The paper trained 7B models. LoRA: a 24 GB GPU; QLoRA: 8 GB.',
  },
  {
    id: 'meta-llama/Llama-3.1-8B-Instruct',
    label: 'Llama 3.1 8B Instruct',
    parameters: '8B',
    note: 'Gated. LoRA: a 24 GB GPU; QLoRA: 8 GB.',
  },
  {
    id: 'mistralai/Mistral-7B-Instruct-v0.3',
    label: 'Mistral 7B Instruct v0.3',
    parameters: '7B',
    note: 'LoRA: a 24 GB GPU; QLoRA: 8 GB.',
  },
];

/** Sensible for 1–2k scenes with LoRA: a few epochs, effective batch 16. */
export const DEFAULT_HYPERPARAMETERS: TrainingHyperparameters = {
  loraRank: 16,
  loraAlpha: 32,
  learningRate: 2e-4,
  epochs: 3,
  batchSize: 4,
  gradAccumulation: 4,
  maxLength: 2048,
  maxSteps: null,
  saveEverySteps: 100,
  evalShare: 0.05,
  gradientCheckpointing: true,
  fullFinetune: false,
  thinking: 'keep',
  warmupRatio: 0.04,
  weightDecay: 0,
  saveTotalLimit: 3,
  earlyStoppingPatience: null,
  loadIn4bit: false,
  dtype: 'auto',
  sharding: 'auto',
};

/** Starting points for common situations; each changes only the fields it names. */
export const TRAINING_PRESETS: readonly TrainingPreset[] = [
  {
    id: 'lora',
    label: 'LoRA · 1–2k scenes',
    description: 'The recommended start: a rank-16 adapter, 3 epochs, an effective batch of 16 scenes.',
    hyperparameters: {
      ...DEFAULT_HYPERPARAMETERS,
      maxSteps: null,
    },
  },
  {
    id: 'trial',
    label: 'Quick trial',
    description: 'A few dozen steps to check that everything runs and to measure the speed of this machine.',
    hyperparameters: { epochs: 1, maxSteps: 30, saveEverySteps: 10, evalShare: 0.05, earlyStoppingPatience: null },
  },
  {
    id: 'qlora',
    label: 'Low memory (QLoRA)',
    description: 'The base model in 4 bits, one scene a pass: a 7–8B model on a 12–16 GB GPU (CUDA and bitsandbytes).',
    hyperparameters: {
      loadIn4bit: true,
      fullFinetune: false,
      batchSize: 1,
      gradAccumulation: 16,
      gradientCheckpointing: true,
      learningRate: 2e-4,
    },
  },
  {
    id: 'paper',
    label: "The paper's full fine-tune",
    description:
      'As Character-LLM trained its 7B models: every weight, 10 epochs, lr 2e-5, global batch 64, 2,048 tokens; several large GPUs (FSDP).',
    hyperparameters: {
      fullFinetune: true,
      loadIn4bit: false,
      epochs: 10,
      learningRate: 2e-5,
      batchSize: 4,
      gradAccumulation: 16,
      maxLength: 2048,
      warmupRatio: 0.04,
      weightDecay: 0.1,
      gradientCheckpointing: true,
      sharding: 'auto',
      maxSteps: null,
    },
  },
];
