import type {
  BaseModelOption,
  RunStatus,
  TrainingConfig,
  TrainingFormat,
  TrainingHyperparameters,
  TrainingPreset,
  TrainingRun,
  TrainingTransfer,
} from '../../../../common/contract';
import { phaseLabel } from '../../../../common/training-text';
import type { TrainingDraft } from '../../state/ui';

/** The base-model select's value for "a Hugging Face id or folder typed by the user". */
export const OTHER_MODEL = 'other';

export type DraftField = keyof TrainingDraft;
export type FieldErrors = Partial<Record<DraftField, string>>;
export type NumberField = Exclude<
  keyof TrainingHyperparameters,
  'gradientCheckpointing' | 'fullFinetune' | 'thinking' | 'loadIn4bit' | 'dtype' | 'sharding'
>;
/** Number fields that may be left empty (null). */
type OptionalNumberField = 'maxSteps' | 'earlyStoppingPatience';

/** What an untouched form shows: the character's last run's choices, else the studio's defaults. */
export interface FormDefaults {
  baseModel: string;
  format: TrainingFormat;
  python: string;
  /** `local` or a host id. */
  target: string;
  hyperparameters: TrainingHyperparameters;
}

export function formDefaults(
  options: { baseModels: BaseModelOption[]; defaults: TrainingHyperparameters },
  lastRun: TrainingRun | undefined,
): FormDefaults {
  if (lastRun) {
    const c = lastRun.config;
    return {
      baseModel: c.baseModel,
      format: c.format,
      python: c.python,
      target: c.target,
      hyperparameters: c.hyperparameters,
    };
  }
  return {
    baseModel: options.baseModels[0]?.id ?? '',
    format: 'chat',
    python: '',
    target: 'local',
    hyperparameters: options.defaults,
  };
}

/** The form's text for a field: what the user typed, else the default as the form shows it. */
export function fieldText(
  field: DraftField,
  draft: TrainingDraft,
  d: FormDefaults,
  curated: readonly string[],
): string {
  const typed = draft[field];
  if (typed !== undefined) return typed;
  const h = d.hyperparameters;
  switch (field) {
    case 'baseModel':
      return curated.includes(d.baseModel) ? d.baseModel : OTHER_MODEL;
    case 'customModel':
      return curated.includes(d.baseModel) ? '' : d.baseModel;
    case 'format':
      return d.format;
    case 'python':
      return d.python;
    case 'target':
      return d.target;
    default:
      return asText(field, h[field]);
  }
}

/** A hyper-parameter as the form writes it: shares in percent, null as an empty field. */
function asText(field: keyof TrainingHyperparameters, value: TrainingHyperparameters[typeof field]): string {
  if (value === null) return '';
  if ((field === 'evalShare' || field === 'warmupRatio') && typeof value === 'number')
    return String(Math.round(value * 1000) / 10);
  return String(value);
}

/** The draft with a preset's fields typed in; the fields it does not name keep what the user typed. */
export function applyPreset(draft: TrainingDraft, preset: TrainingPreset): TrainingDraft {
  const next: TrainingDraft = { ...draft };
  for (const [field, value] of Object.entries(preset.hyperparameters) as [
    keyof TrainingHyperparameters,
    TrainingHyperparameters[keyof TrainingHyperparameters],
  ][])
    next[field] = asText(field, value);
  return next;
}

/** Whether the config holds every value the preset names. */
export function matchesPreset(config: TrainingConfig | null, preset: TrainingPreset): boolean {
  if (!config) return false;
  const h = config.hyperparameters;
  return (Object.entries(preset.hyperparameters) as [keyof TrainingHyperparameters, unknown][]).every(
    ([field, value]) => h[field] === value,
  );
}

interface Range {
  label: string;
  min: number;
  max: number;
  integer?: boolean;
  /** The bounds are open: the value must be strictly inside. */
  open?: boolean;
}

/** The same bounds main's schema holds; main checks again, this only lets the user hear early. */
const RANGES: Record<Exclude<NumberField, OptionalNumberField>, Range> = {
  loraRank: { label: 'LoRA rank', min: 1, max: 1024, integer: true },
  loraAlpha: { label: 'LoRA alpha', min: 1, max: 4096 },
  learningRate: { label: 'Learning rate', min: 0, max: 1, open: true },
  epochs: { label: 'Epochs', min: 0.01, max: 100 },
  batchSize: { label: 'Batch size', min: 1, max: 1024, integer: true },
  gradAccumulation: { label: 'Gradient accumulation', min: 1, max: 1024, integer: true },
  maxLength: { label: 'Max length', min: 64, max: 131_072, integer: true },
  saveEverySteps: { label: 'Save every', min: 1, max: 10_000_000, integer: true },
  evalShare: { label: 'Dev share', min: 0, max: 50 },
  warmupRatio: { label: 'Warm-up', min: 0, max: 99 },
  weightDecay: { label: 'Weight decay', min: 0, max: 10 },
  saveTotalLimit: { label: 'Checkpoints kept', min: 1, max: 1000, integer: true },
};

/** Reads the form into a config main accepts, or says per field what is wrong. */
export function readConfig(
  draft: TrainingDraft,
  d: FormDefaults,
  curated: readonly string[],
): { config: TrainingConfig | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const text = (field: DraftField) => fieldText(field, draft, d, curated).trim();
  const num = (field: keyof typeof RANGES): number => {
    const range = RANGES[field];
    const raw = text(field);
    const n = Number(raw);
    const outside = range.open ? n <= range.min || n >= range.max : n < range.min || n > range.max;
    if (raw === '' || !Number.isFinite(n)) errors[field] = `${range.label} must be a number.`;
    else if (range.integer && !Number.isInteger(n)) errors[field] = `${range.label} must be a whole number.`;
    else if (outside)
      errors[field] = range.open
        ? `${range.label} must be above ${range.min} and below ${range.max}.`
        : `${range.label} must be between ${range.min.toLocaleString('en-US')} and ${range.max.toLocaleString('en-US')}.`;
    return n;
  };

  const choice = text('baseModel');
  const baseModel = choice === OTHER_MODEL ? text('customModel') : choice;
  if (baseModel === '')
    errors[choice === OTHER_MODEL ? 'customModel' : 'baseModel'] =
      'Name a base model: a Hugging Face id such as Qwen/Qwen2.5-1.5B-Instruct, or a model folder on this machine.';

  const optional = (field: OptionalNumberField, message: string): number | null => {
    const raw = text(field);
    const n = raw === '' ? null : Number(raw);
    if (n !== null && !(Number.isInteger(n) && n >= 1)) errors[field] = message;
    return n;
  };
  const maxSteps = optional('maxSteps', 'Max steps must be a whole number above 0, or empty to train the full epochs.');
  const earlyStoppingPatience = optional(
    'earlyStoppingPatience',
    'Patience must be a whole number of evaluations above 0, or empty to never stop early.',
  );
  const fullFinetune = text('fullFinetune') === 'true';
  const loadIn4bit = text('loadIn4bit') === 'true';
  const evalShare = num('evalShare') / 100;
  if (fullFinetune && loadIn4bit)
    errors.loadIn4bit = 'QLoRA trains an adapter: turn off either QLoRA or full fine-tuning.';
  if (earlyStoppingPatience !== null && evalShare === 0)
    errors.earlyStoppingPatience = 'Early stopping watches the dev loss: set a dev share above 0.';
  const dtype = text('dtype');
  const sharding = text('sharding');

  const hyperparameters: TrainingHyperparameters = {
    loraRank: num('loraRank'),
    loraAlpha: num('loraAlpha'),
    learningRate: num('learningRate'),
    epochs: num('epochs'),
    batchSize: num('batchSize'),
    gradAccumulation: num('gradAccumulation'),
    maxLength: num('maxLength'),
    maxSteps,
    saveEverySteps: num('saveEverySteps'),
    evalShare,
    gradientCheckpointing: text('gradientCheckpointing') === 'true',
    fullFinetune,
    thinking: text('thinking') === 'drop' ? 'drop' : 'keep',
    warmupRatio: num('warmupRatio') / 100,
    weightDecay: num('weightDecay'),
    saveTotalLimit: num('saveTotalLimit'),
    earlyStoppingPatience,
    loadIn4bit,
    dtype: dtype === 'bf16' || dtype === 'fp16' || dtype === 'fp32' ? dtype : 'auto',
    sharding: sharding === 'ddp' || sharding === 'fsdp' ? sharding : 'auto',
  };
  const config: TrainingConfig = {
    baseModel,
    format: text('format') === 'character-llm' ? 'character-llm' : 'chat',
    target: text('target') as TrainingConfig['target'],
    python: text('python'),
    hyperparameters,
  };
  return { config: Object.keys(errors).length === 0 ? config : null, errors };
}

export const RUN_STATUS_LABEL: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  stopping: 'Stopping',
  stopped: 'Stopped',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

/** Runs whose trainer process is (or is about to be) working; a new run waits for them. */
export const LIVE: readonly RunStatus[] = ['queued', 'running', 'stopping'];

/** Bytes as a person reads them: decimal units, as download sizes are usually given (988 MB, 1.5 GB). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** "Downloading Qwen/Qwen2.5-0.5B: 312 MB of 988 MB" (the phase's label when the trainer names nothing). */
export function transferLabel(transfer: TrainingTransfer): string {
  const what =
    transfer.phase === 'downloading' && transfer.subject
      ? `Downloading ${transfer.subject}`
      : phaseLabel(transfer.phase);
  const of = transfer.totalBytes !== null ? ` of ${formatBytes(transfer.totalBytes)}` : '';
  return `${what}: ${formatBytes(transfer.doneBytes)}${of}`;
}

/** A model id or folder shortened for a subtitle: the curated label, else its last path part. */
export function modelName(baseModel: string, curated: readonly BaseModelOption[]): string {
  const known = curated.find((m) => m.id === baseModel);
  if (known) return known.label;
  const parts = baseModel.split(/[\\/]/).filter(Boolean);
  return parts.length > 2 ? `…/${parts.slice(-2).join('/')}` : baseModel;
}
