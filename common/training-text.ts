import type { TrainingRun } from './contract';

/** How a training run's phases and files are named to a person: the Train tab and `train show` say the same. */

const PHASE_LABEL: Record<string, string> = {
  loading_dataset: 'Reading the dataset',
  loading_tokenizer: 'Loading the tokenizer',
  loading_model: 'Loading the base model',
  tokenizing: 'Tokenizing',
  resuming: 'Resuming from the checkpoint',
  training: 'Training',
  evaluating: 'Evaluating on the dev set',
  saving: 'Saving',
  downloading: 'Downloading the base model',
  exporting: 'Exporting',
  merging: 'Merging the adapter into the base model',
  converting: 'Converting to GGUF',
  fetching_converter: "Fetching llama.cpp's GGUF converters (once)",
};

/** The trainer's phase names as a person would say them; an unknown one is shown as it came. */
export function phaseLabel(phase: string): string {
  return PHASE_LABEL[phase] ?? phase.replace(/_/g, ' ');
}

/**
 * One line per step of an export or a conversion for chat (the CLI's progress), from the trainer's
 * export phase and, while converting, what it writes.
 */
export function exportStep(phase: string | null, target: string | null): string {
  if (phase === null) return 'Starting the trainer…';
  if (phase === 'converting')
    return target === 'gguf_base'
      ? 'Converting the base model to GGUF (once per base model)…'
      : target === 'adapter_gguf'
        ? 'Converting the LoRA adapter to GGUF…'
        : 'Converting the model to GGUF…';
  if (phase === 'downloading') return 'Fetching the base model the run was trained on…';
  return `${phaseLabel(phase)}…`;
}

const ARTIFACT_ORDER = [
  'adapter',
  'model',
  'merged',
  'gguf',
  'adapter_gguf',
  'modelfile',
  'checkpoint',
  'manifest',
  'events',
];
const ARTIFACT_LABEL: Record<string, string> = {
  adapter: 'LoRA adapter',
  model: 'Fine-tuned model',
  merged: 'Merged model',
  gguf: 'GGUF file',
  adapter_gguf: 'LoRA adapter GGUF',
  modelfile: 'Ollama Modelfile',
  checkpoint: 'Latest checkpoint',
  manifest: 'Manifest',
  events: 'Trainer events',
};

/** A run's artifacts, the trained weights first, then its folder. */
export function artifacts(run: TrainingRun): { kind: string; label: string; path: string }[] {
  const rank = (kind: string) => {
    const at = ARTIFACT_ORDER.indexOf(kind);
    return at === -1 ? ARTIFACT_ORDER.length : at;
  };
  return [
    ...Object.entries(run.outputs)
      .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
      .map(([kind, path]) => ({ kind, label: ARTIFACT_LABEL[kind] ?? kind, path })),
    { kind: 'folder', label: 'Run folder', path: run.runDir },
  ];
}
