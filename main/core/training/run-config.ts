import path from 'node:path';
import type { HostId, RunId, TrainingConfig } from '../../../common/contract';
import type { TrainingRunRow } from '../../store/training-repo';
import { StudioFailure } from '../errors';
import type { TrainerJob } from '../trainer/job';
import { baseModelProblem, expandHome } from './base-model-check';
import { DEFAULT_HYPERPARAMETERS } from './catalog';
import type { RemoteHosts } from './host-service';

/** A config as stored by this or an earlier studio: fields added since then take their defaults. */
export function readStoredConfig(text: string): TrainingConfig {
  const config = JSON.parse(text) as TrainingConfig;
  return { ...config, hyperparameters: { ...DEFAULT_HYPERPARAMETERS, ...config.hyperparameters } };
}

/** The model id a served run answers to: the character and the run, e.g. `beethoven-9fb0794b`. */
export function servedModelName(shortName: string, id: RunId): string {
  const slug = shortName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${slug || 'character'}-${id.slice(0, 8)}`;
}

/** What is wrong with `baseModel` for a run on `target` (base-model-check.ts); null when nothing is. */
export function baseModelProblemFor(baseModel: string, target: 'local' | HostId): string | null {
  return baseModelProblem(baseModel, target === 'local' ? 'local' : 'remote');
}

/**
 * Refuses a config the trainer would refuse or misread, with a StudioFailure `invalid_argument` that
 * says what to change. `remote` is null when the studio has no SSH hosts (only `local` is accepted).
 */
export function checkTrainingConfig(config: TrainingConfig, remote: RemoteHosts | null): void {
  if (config.target !== 'local' && !remote?.launcherFor(config.target)) {
    throw new StudioFailure(
      'invalid_argument',
      `There is no SSH host "${config.target}" to train on: choose one from Settings → Hosts (hosts/list), or "local".`,
    );
  }
  const problem = baseModelProblemFor(config.baseModel, config.target);
  if (problem) throw new StudioFailure('invalid_argument', problem);
  const python = config.python.trim();
  // The trainer runs in the run's folder: a relative interpreter would be looked for there.
  if (config.target === 'local' && /[\\/]/.test(python) && !path.isAbsolute(expandHome(python)))
    throw new StudioFailure(
      'invalid_argument',
      `The Python interpreter "${python}" is a relative path: give its absolute path (e.g. /home/me/venv/bin/python), or leave it empty for the studio's own environment.`,
    );
  const h = config.hyperparameters;
  if (!h.fullFinetune && !(h.loraRank >= 1))
    throw new StudioFailure('invalid_argument', 'The LoRA rank must be positive.');
  if (h.fullFinetune && h.loadIn4bit)
    throw new StudioFailure(
      'invalid_argument',
      'QLoRA (4-bit) trains an adapter; it cannot be combined with full fine-tuning. Turn one of them off.',
    );
  if (h.earlyStoppingPatience !== null && h.evalShare === 0)
    throw new StudioFailure(
      'invalid_argument',
      'Early stopping watches the dev loss: set a dev share above 0, or turn early stopping off.',
    );
  if (!(h.learningRate > 0 && h.learningRate < 1))
    throw new StudioFailure(
      'invalid_argument',
      'The learning rate must be between 0 and 1 (LoRA: about 1e-4 to 3e-4).',
    );
}

/** The trainer's job file for a stored run (job.py's names); `exportOptions` makes it an export's. */
export function trainerJobFor(row: TrainingRunRow, exportOptions?: TrainerJob['export']): TrainerJob {
  const config = readStoredConfig(row.config);
  const h = config.hyperparameters;
  return {
    run_dir: row.run_dir,
    base_model: config.baseModel,
    format: config.format,
    dataset: path.join(row.run_dir, 'dataset.jsonl'),
    resume: true,
    hyperparameters: {
      lora_rank: h.loraRank,
      lora_alpha: h.loraAlpha,
      learning_rate: h.learningRate,
      epochs: h.epochs,
      max_steps: h.maxSteps,
      batch_size: h.batchSize,
      grad_accumulation: h.gradAccumulation,
      max_length: h.maxLength,
      save_every_steps: h.saveEverySteps,
      eval_share: h.evalShare,
      gradient_checkpointing: h.gradientCheckpointing,
      full_finetune: h.fullFinetune,
      thinking: h.thinking,
      warmup_ratio: h.warmupRatio,
      weight_decay: h.weightDecay,
      save_total_limit: h.saveTotalLimit,
      early_stopping_patience: h.earlyStoppingPatience,
      load_in_4bit: h.loadIn4bit,
      dtype: h.dtype,
      sharding: h.sharding,
    },
    ...(exportOptions && { export: exportOptions }),
  };
}
