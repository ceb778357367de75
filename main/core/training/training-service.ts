import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  BaseModelOption,
  CharacterId,
  RunId,
  RunStatus,
  TrainerEnvironment,
  TrainingConfig,
  TrainingEstimate,
  TrainingHyperparameters,
  TrainingRun,
} from '../../../common/contract';
import type { TrainerEvent } from '../../../common/trainer-protocol';
import type { DatasetRepo } from '../../store/dataset-repo';
import type { TrainingRepo, TrainingRunRow } from '../../store/training-repo';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { DatasetExportError, writeTrainerDataset } from '../trainer/dataset-export';
import type { TrainerJob } from '../trainer/job';
import { LocalTrainerLauncher } from '../trainer/local-launcher';
import type { TrainerExit } from '../trainer/supervision';

/**
 * Experience upload: trains a character's model with the Python trainer as a supervised child
 * process, mirroring its protocol events into the store and out as `training/progressed`.
 *
 * A run folder (`<data>/runs/<id>`) holds everything the trainer writes; the row is the studio's
 * view of it. A run whose process is gone (crash, quit) becomes `interrupted` and resumes from its
 * last checkpoint; the trainer itself refuses a resume whose data or base model changed.
 */

export const BASE_MODELS: readonly BaseModelOption[] = [
  { id: 'Qwen/Qwen2.5-0.5B-Instruct', label: 'Qwen2.5 0.5B Instruct', parameters: '0.5B', note: 'Trains on a laptop GPU or CPU; a quick first try.' },
  { id: 'Qwen/Qwen2.5-1.5B-Instruct', label: 'Qwen2.5 1.5B Instruct', parameters: '1.5B', note: 'Small and capable; 8 GB of GPU memory with LoRA.' },
  { id: 'meta-llama/Llama-3.2-3B-Instruct', label: 'Llama 3.2 3B Instruct', parameters: '3B', note: 'Gated on Hugging Face: accept the licence and log in first.' },
  { id: 'Qwen/Qwen2.5-7B-Instruct', label: 'Qwen2.5 7B Instruct', parameters: '7B', note: 'The paper trained 7B models; needs about 24 GB with LoRA.' },
  { id: 'meta-llama/Llama-3.1-8B-Instruct', label: 'Llama 3.1 8B Instruct', parameters: '8B', note: 'Gated; about 24 GB with LoRA in bf16.' },
  { id: 'mistralai/Mistral-7B-Instruct-v0.3', label: 'Mistral 7B Instruct v0.3', parameters: '7B', note: 'About 24 GB with LoRA in bf16.' },
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
};

const PROGRESS_INTERVAL_MS = 250;

export interface TrainingServiceOptions {
  dataDir: string;
  /** The folder holding `character_trainer` (resources/trainer, or the packaged app's copy). */
  trainerDir: string;
  /** The interpreter used when a config names none. */
  defaultPython: string;
}

interface ActiveRun {
  launcher: LocalTrainerLauncher;
  exited: Promise<void>;
}

export class TrainingService {
  private readonly active = new Map<RunId, ActiveRun>();
  private readonly lastEmit = new Map<RunId, number>();

  constructor(
    private readonly repo: TrainingRepo,
    private readonly dataset: DatasetRepo,
    private readonly characters: CharacterService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    private readonly options: TrainingServiceOptions,
  ) {}

  baseModels(): { baseModels: BaseModelOption[]; defaults: TrainingHyperparameters } {
    return { baseModels: [...BASE_MODELS], defaults: { ...DEFAULT_HYPERPARAMETERS } };
  }

  async doctor(python: string): Promise<TrainerEnvironment> {
    const interpreter = python.trim() || this.options.defaultPython;
    const launcher = new LocalTrainerLauncher({ python: interpreter, trainerDir: this.options.trainerDir });
    try {
      const report = await launcher.doctor();
      const gpus = report.gpus.map((g) => ({ name: g.name, memoryGiB: Math.round((g.memory_total_bytes / 2 ** 30) * 10) / 10 }));
      const device = report.cuda_available ? `${gpus.length} CUDA GPU${gpus.length === 1 ? '' : 's'} (${gpus.map((g) => g.name).join(', ')})` : 'no CUDA GPU: training runs on the CPU, which suits only tiny models';
      return {
        ok: true,
        python: report.python_executable ?? interpreter,
        summary: `Python ${report.python}, torch ${report.torch}; ${device}.`,
        torch: report.torch,
        cuda: report.cuda_available,
        gpus,
        bf16: report.bf16_supported,
      };
    } catch (error) {
      return { ok: false, python: interpreter, summary: error instanceof Error ? error.message : String(error), torch: null, cuda: false, gpus: [], bf16: false };
    }
  }

  estimate(characterId: CharacterId, config: TrainingConfig): TrainingEstimate {
    this.characters.get(characterId);
    this.checkConfig(config);
    const scenes = this.trainableScenes(characterId);
    const warnings: string[] = [];
    const chars = scenes.map((s) => (s.experience?.turns ?? []).reduce((n, t) => n + t.text.length + t.speaker.length + 16, 0) + s.background.length + 600);
    const meanTokens = chars.length === 0 ? 0 : Math.round(chars.reduce((a, b) => a + b, 0) / chars.length / 4);
    const h = config.hyperparameters;
    const trainExamples = Math.max(0, Math.round(scenes.length * (1 - h.evalShare)));
    const perStep = h.batchSize * h.gradAccumulation;
    const fullSteps = Math.ceil(trainExamples / perStep) * h.epochs;
    const steps = h.maxSteps === null ? fullSteps : Math.min(h.maxSteps, fullSteps);
    if (scenes.length === 0) warnings.push('There are no scenes with experiences yet: generate some on the Generate tab first.');
    else if (scenes.length < 200) warnings.push(`Only ${scenes.length} scenes: the paper used 1,400–2,200 per character. Expect a weak imitation.`);
    if (meanTokens > h.maxLength) warnings.push(`Scenes average ${meanTokens} tokens, more than the maximum length ${h.maxLength}: long ones will be cut.`);
    const params = parameterCount(config.baseModel) ?? 0;
    // bf16 weights (2 bytes/param); LoRA adds little, full fine-tuning adds Adam states and fp32 master weights.
    const weights = (params * 2) / 2 ** 30;
    const training = h.fullFinetune ? (params * 14) / 2 ** 30 : weights * 0.15;
    const activations = (h.batchSize * Math.min(meanTokens || h.maxLength, h.maxLength) * (h.gradientCheckpointing ? 0.25 : 1.5)) / 1024;
    const memoryGiB = params === 0 ? 0 : Math.round((weights + training + activations) * 10) / 10;
    if (params === 0) warnings.push('The base model size is unknown, so no memory estimate: it is read from the model when training starts.');
    return { examples: scenes.length, meanTokens, steps, memoryGiB, warnings };
  }

  async start(characterId: CharacterId, config: TrainingConfig): Promise<TrainingRun> {
    const character = this.characters.get(characterId);
    this.checkConfig(config);
    const id = this.newId() as RunId;
    const runDir = path.join(this.options.dataDir, 'runs', id);
    let written;
    try {
      written = await writeTrainerDataset(path.join(runDir, 'dataset.jsonl'), this.trainableScenes(characterId), character);
    } catch (error) {
      fs.rmSync(runDir, { recursive: true, force: true });
      if (error instanceof DatasetExportError) throw new StudioFailure('invalid_argument', error.message);
      throw error;
    }
    this.repo.insert({ id, characterId, config, runDir, examples: written.scenes }, this.clock.now());
    await this.launch(id);
    return this.get(id);
  }

  list(characterId: CharacterId): TrainingRun[] {
    this.characters.get(characterId);
    return this.repo.listFor(characterId).map((row) => this.toRun(row));
  }

  get(id: RunId): TrainingRun {
    return this.toRun(this.row(id));
  }

  stop(id: RunId): TrainingRun {
    const row = this.row(id);
    const active = this.active.get(id);
    if (!active) throw new StudioFailure('invalid_argument', `A ${row.status} run cannot be stopped.`);
    active.launcher.stop();
    this.repo.update(id, { status: 'stopping', message: 'Saving a checkpoint, then stopping…' }, this.clock.now());
    this.emit(id, true);
    return this.get(id);
  }

  async resume(id: RunId): Promise<TrainingRun> {
    const row = this.row(id);
    if (this.active.has(id)) return this.get(id);
    if (!['stopped', 'interrupted', 'failed'].includes(row.status)) {
      throw new StudioFailure('invalid_argument', `A ${row.status} run cannot be resumed.`);
    }
    await this.launch(id);
    return this.get(id);
  }

  cancel(id: RunId): TrainingRun {
    const row = this.row(id);
    const active = this.active.get(id);
    if (active) active.launcher.cancel();
    else if (['stopped', 'interrupted', 'failed', 'queued'].includes(row.status)) {
      this.repo.update(id, { status: 'cancelled', message: 'Cancelled.', finishedAt: this.clock.now() }, this.clock.now());
      this.emit(id, true);
    } else throw new StudioFailure('invalid_argument', `A ${row.status} run cannot be cancelled.`);
    return this.get(id);
  }

  async export(id: RunId, options: { merged: boolean; gguf: boolean; ollamaName?: string }): Promise<TrainingRun> {
    const row = this.row(id);
    if (this.active.has(id)) throw new StudioFailure('conflict', 'This run is busy; wait until it finishes.');
    if (row.status !== 'succeeded') {
      throw new StudioFailure('invalid_argument', 'Only a finished run can be exported. Resume it to the end first.');
    }
    await this.launch(id, 'export', { merged: options.merged || options.gguf, gguf: options.gguf, ...(options.ollamaName && { ollama_model_name: options.ollamaName }) });
    return this.get(id);
  }

  /** Resolves when the run's process has exited (for the CLI and tests). */
  async whenIdle(id: RunId): Promise<TrainingRun> {
    await this.active.get(id)?.exited;
    return this.get(id);
  }

  /** At start-up: runs whose trainer died with the previous studio process become resumable. */
  recover(): void {
    for (const row of this.repo.unfinished()) {
      if (this.active.has(row.id)) continue;
      this.repo.update(
        row.id,
        { status: 'interrupted', message: 'The studio closed while this run was training; resume to continue from its last checkpoint.' },
        this.clock.now(),
      );
    }
  }

  /** Asks running trainers to save and stop (up to `graceMs`), leaving them resumable. */
  async shutdown(graceMs = 15_000): Promise<void> {
    const all = [...this.active.entries()];
    for (const [, run] of all) {
      try {
        run.launcher.stop();
      } catch {
        // already exiting
      }
    }
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled(all.map(([, run]) => run.exited)), timeout]);
    for (const [id, run] of all) {
      if (run.launcher.running) {
        run.launcher.kill();
        this.repo.update(id, { status: 'interrupted', message: 'The studio closed during training; resume to continue from the last checkpoint.' }, this.clock.now());
      }
    }
  }

  private async launch(id: RunId, command: 'train' | 'export' = 'train', exportOptions?: TrainerJob['export']): Promise<void> {
    const row = this.row(id);
    const config = JSON.parse(row.config) as TrainingConfig;
    const python = config.python.trim() || this.options.defaultPython;
    const launcher = new LocalTrainerLauncher({ python, trainerDir: this.options.trainerDir });
    const h = config.hyperparameters;
    const job: TrainerJob = {
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
      },
      ...(exportOptions && { export: exportOptions }),
    };
    launcher.on('event', (event) => this.onEvent(id, event, command));
    launcher.on('log', (line) => this.events.emit('training/logged', { runId: id, line }));
    this.repo.update(
      id,
      { status: 'running', message: null, runner: `${process.pid}@${os.hostname()}`, ...(command === 'train' ? { finishedAt: null } : { phase: 'exporting' }) },
      this.clock.now(),
    );
    const exited = new Promise<void>((resolve) => {
      launcher.once('exit', (exit) => {
        this.onExit(id, exit, command);
        this.active.delete(id);
        resolve();
      });
    });
    this.active.set(id, { launcher, exited });
    try {
      await launcher.start(job, command);
    } catch (error) {
      this.active.delete(id);
      const message = error instanceof Error ? error.message : String(error);
      this.repo.update(id, { status: command === 'export' ? 'succeeded' : 'failed', message, runner: null }, this.clock.now());
      this.emit(id, true);
      throw new StudioFailure('unavailable', message);
    }
    this.emit(id, true);
  }

  private onEvent(id: RunId, event: TrainerEvent, command: 'train' | 'export'): void {
    const now = this.clock.now();
    this.repo.update(id, { lastSeq: event.seq }, now);
    switch (event.type) {
      case 'phase':
        this.repo.update(id, { phase: event.name, ...(event.total_steps !== undefined && { totalSteps: event.total_steps }) }, now);
        break;
      case 'stats':
        this.repo.update(id, { examples: event.examples + event.dev_examples, paddingShare: event.padding_share, paddingShareFixed: event.padding_share_fixed }, now);
        break;
      case 'progress':
        this.repo.update(
          id,
          {
            step: event.step,
            totalSteps: event.total_steps,
            epoch: event.epoch,
            ...(event.tokens_per_s !== undefined && { tokensPerSecond: event.tokens_per_s }),
            ...(event.eta_s !== undefined && { etaSeconds: event.eta_s }),
          },
          now,
        );
        this.repo.addPoint(id, event.step, event.loss ?? null, event.eval_loss ?? null, event.lr ?? null);
        break;
      case 'checkpoint':
        this.repo.mergeOutputs(id, { checkpoint: event.path }, now);
        break;
      case 'done':
        this.repo.mergeOutputs(id, event.outputs, now);
        break;
      case 'error': {
        this.repo.update(id, { message: event.hint ? `${event.message} ${event.hint}` : event.message }, now);
        // A failed GGUF conversion still lists what it wrote before it (merged model, Modelfile).
        const written = (event.details as { outputs?: Record<string, string> } | undefined)?.outputs;
        if (command === 'export' && written) this.repo.mergeOutputs(id, written, now);
        break;
      }
      default:
        break;
    }
    this.emit(id, event.type !== 'progress');
  }

  private onExit(id: RunId, exit: TrainerExit, command: 'train' | 'export'): void {
    if (command === 'export') {
      // Exporting never changes what the run is: it stays finished, with a note when something failed.
      this.repo.update(id, { status: 'succeeded', phase: 'exported', message: exit.meaning === 'done' ? null : exit.message, runner: null }, this.clock.now());
      this.emit(id, true);
      return;
    }
    const statusOf: Record<TrainerExit['meaning'], RunStatus> = {
      done: 'succeeded',
      stopped: 'stopped',
      cancelled: 'cancelled',
      invalid_job: 'failed',
      oom: 'failed',
      error: 'failed',
      killed: 'interrupted',
    };
    const status = statusOf[exit.meaning];
    const now = this.clock.now();
    this.repo.update(
      id,
      {
        status,
        message: exit.meaning === 'done' ? null : exit.message,
        runner: null,
        ...(status !== 'stopped' && status !== 'interrupted' && { finishedAt: now }),
      },
      now,
    );
    this.emit(id, true);
  }

  private emit(id: RunId, force: boolean): void {
    const now = this.clock.now();
    if (!force && now - (this.lastEmit.get(id) ?? 0) < PROGRESS_INTERVAL_MS) return;
    this.lastEmit.set(id, now);
    this.events.emit('training/progressed', this.get(id));
  }

  private row(id: RunId): TrainingRunRow {
    const row = this.repo.get(id);
    if (!row) throw new StudioFailure('not_found', 'That training run no longer exists.');
    return row;
  }

  private trainableScenes(characterId: CharacterId) {
    const all = this.dataset.scenes(characterId, 0, 1_000_000).scenes;
    return all.filter((scene) => scene.experience !== null);
  }

  private checkConfig(config: TrainingConfig): void {
    if (!config.baseModel.trim()) {
      throw new StudioFailure('invalid_argument', 'Choose a base model: a Hugging Face id such as Qwen/Qwen2.5-1.5B-Instruct, or a model folder.');
    }
    const h = config.hyperparameters;
    if (!h.fullFinetune && !(h.loraRank >= 1)) throw new StudioFailure('invalid_argument', 'The LoRA rank must be positive.');
    if (!(h.learningRate > 0 && h.learningRate < 1)) throw new StudioFailure('invalid_argument', 'The learning rate must be between 0 and 1 (LoRA: about 1e-4 to 3e-4).');
  }

  private toRun(row: TrainingRunRow): TrainingRun {
    return {
      id: row.id,
      characterId: row.character_id,
      status: row.status,
      config: JSON.parse(row.config) as TrainingConfig,
      runDir: row.run_dir,
      phase: row.phase,
      examples: row.examples,
      paddingShare: row.padding_share,
      paddingShareFixed: row.padding_share_fixed,
      step: row.step,
      totalSteps: row.total_steps,
      epoch: row.epoch,
      tokensPerSecond: row.tokens_per_s,
      etaSeconds: row.eta_s,
      outputs: JSON.parse(row.outputs) as Record<string, string>,
      message: row.message,
      points: this.repo.points(row.id),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      finishedAt: row.finished_at,
    };
  }
}

/** Parameters from a model name such as "Qwen2.5-1.5B-Instruct" or "llama-7b"; null when absent. */
export function parameterCount(model: string): number | null {
  const match = /(?:^|[-_/ .])(\d+(?:\.\d+)?)\s*([bm])(?:$|[-_/ .])/i.exec(model);
  if (!match) return null;
  return Number(match[1]) * (match[2]!.toLowerCase() === 'b' ? 1e9 : 1e6);
}
