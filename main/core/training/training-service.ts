import fs from 'node:fs';
import path, { posix } from 'node:path';
import type {
  BaseModelOption,
  CharacterId,
  HostId,
  RunId,
  RunStatus,
  TrainerEnvironment,
  TrainingConfig,
  TrainingEstimate,
  TrainingHyperparameters,
  TrainingPreset,
  TrainingRun,
  ServedRun,
  TrainingExport,
  TrainingTransfer,
  ChatGgufFiles,
} from '../../../common/contract';
import type { TrainerEvent } from '../../../common/trainer-protocol';
import type { DatasetSums } from '../../store/dataset-sums';
import type { DatasetRepo } from '../../store/dataset-repo';
import { readWarnings, type TrainingRepo, type TrainingRunRow } from '../../store/training-repo';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import { runnerAlive, runnerId } from '../runner';
import type { EventBus } from '../events';
import { DatasetExportError, exportNotices, writeTrainerDataset } from '../trainer/dataset-export';
import { foldTransfer } from '../trainer/events';
import { environmentOf, failedEnvironment } from './doctor-report';
import { BASE_MODELS, DEFAULT_HYPERPARAMETERS, TRAINING_PRESETS } from './catalog';
import { estimateTraining } from './estimate';
import { ModelServers } from '../runtimes/model-servers';
import { CHAT_GGUF_OUTTYPE, chatGgufPlan, readRunManifest, removeStalePartials } from '../runtimes/chat-gguf';
import { unpackLlamaCppConverters } from '../runtimes/llama-cpp-source';
import { baseModelProblem, expandHome } from './base-model-check';
import type { TrainerJob } from '../trainer/job';
import { LocalTrainerLauncher } from '../trainer/local-launcher';
import { ensureVenv, TrainerLaunchError } from '../trainer/python-env';
import { shellQuote, type SshTrainerLauncher } from '../trainer/ssh-launcher';
import type { TrainerExit } from '../trainer/supervision';
import type { RemoteHosts } from './host-service';

const PROGRESS_INTERVAL_MS = 250;

/** Where the trainer's export writes each artifact, inside the run folder (export.py's names). */
const EXPORT_FILES: Record<string, string> = {
  merged: path.join('exports', 'merged'),
  gguf: path.join('exports', 'model.gguf'),
  adapter_gguf: path.join('exports', 'adapter.gguf'),
};

export interface TrainingServiceOptions {
  dataDir: string;
  /** The folder holding `character_trainer` (resources/trainer, or the packaged app's copy). */
  trainerDir: string;
  /** The interpreter used when a config names none. */
  defaultPython: string;
}

/** A run this studio process is driving: a local child process, or a remote run it follows over SSH. */
type ActiveRun =
  | { kind: 'local'; launcher: LocalTrainerLauncher; exited: Promise<void> }
  | {
      kind: 'remote';
      launcher: SshTrainerLauncher;
      label: string;
      exited: Promise<void>;
      /** Resolves `exited`; called once, when the run is over or no longer followed. */
      settle: () => void;
      /** Set by cancel: the kill that follows must end as `cancelled`, not `interrupted`. */
      cancelRequested: boolean;
      /** Set by detach: following stops on purpose and the run stays `running` in the store. */
      detaching: boolean;
    };

/**
 * Experience upload: trains a character's model with the Python trainer as a supervised child
 * process, mirroring its protocol events into the store and out as `training/progressed`.
 *
 * A run folder (`<data>/runs/<id>`) holds everything the trainer writes; the row is the studio's
 * view of it. A run whose process is gone (crash, quit) becomes `interrupted` and resumes from its
 * last checkpoint; the trainer itself refuses a resume whose data or base model changed.
 */
export class TrainingService {
  private readonly active = new Map<RunId, ActiveRun>();
  /** The last doctor report per local interpreter, for estimates. */
  private readonly environments = new Map<string, TrainerEnvironment>();
  private readonly lastEmit = new Map<RunId, number>();
  /** Byte progress of the phase each live run is in (the base model's download); not persisted. */
  private readonly transfers = new Map<RunId, TrainingTransfer>();
  /** Runs this process serves over the OpenAI protocol (the trainer's `serve`). */
  private readonly servers: ModelServers;
  /** Exports in progress (live state; the run's status stays `succeeded`), with the process doing each. */
  private readonly exports = new Map<RunId, TrainingExport>();
  /** Conversions for chat in progress, so a second `prepareChat` of the run waits for the first. */
  private readonly preparing = new Map<RunId, Promise<ChatGgufFiles>>();
  private settingUp = false;

  constructor(
    private readonly repo: TrainingRepo,
    private readonly dataset: DatasetRepo,
    private readonly characters: CharacterService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    private readonly options: TrainingServiceOptions,
    /** SSH hosts; without it only `target: 'local'` is accepted. */
    private readonly remote: RemoteHosts | null = null,
    /** Sums for the estimate, read off this thread when the studio has a reader. */
    private readonly sums: DatasetSums | null = null,
  ) {
    this.servers = new ModelServers(events, options.trainerDir, (id) => this.emit(id, true));
  }

  baseModels(): { baseModels: BaseModelOption[]; defaults: TrainingHyperparameters; presets: TrainingPreset[] } {
    return {
      baseModels: [...BASE_MODELS],
      defaults: { ...DEFAULT_HYPERPARAMETERS },
      presets: TRAINING_PRESETS.map((p) => ({ ...p, hyperparameters: { ...p.hyperparameters } })),
    };
  }

  async doctor(python: string): Promise<TrainerEnvironment> {
    const interpreter = python.trim() || this.options.defaultPython;
    const launcher = new LocalTrainerLauncher({ python: interpreter, trainerDir: this.options.trainerDir });
    try {
      const environment = environmentOf(await launcher.doctor(), interpreter);
      this.environments.set(interpreter, environment);
      return environment;
    } catch (error) {
      return failedEnvironment(interpreter, error instanceof Error ? error.message : String(error));
    }
  }

  /** The studio's managed environment: `<data>/python`, with the trainer's pinned requirements. */
  async setupPython(basePython: string): Promise<TrainerEnvironment> {
    if (this.settingUp)
      throw new StudioFailure('conflict', 'The Python environment is already being set up; wait for it to finish.');
    this.settingUp = true;
    const dir = path.join(this.options.dataDir, 'python');
    const say = (line: string) => this.events.emit('training/setup-progressed', { line });
    try {
      const { python } = await ensureVenv(dir, path.join(this.options.trainerDir, 'requirements.txt'), say, {
        ...(basePython.trim() && { basePython: basePython.trim() }),
      });
      say(`ready: ${python}`);
      return await this.doctor(python);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      say(`failed: ${message}`);
      return failedEnvironment(dir, message);
    } finally {
      this.settingUp = false;
    }
  }

  async estimate(characterId: CharacterId, config: TrainingConfig): Promise<TrainingEstimate> {
    this.characters.get(characterId);
    this.checkConfig(config);
    // From the figures stored with each scene (scene-figures.ts): no scene is read or rendered here,
    // and the sum over them runs on the reader thread.
    const figures = await (this.sums?.training(characterId) ?? this.dataset.trainingFigures(characterId));
    const character = this.characters.get(characterId);
    // About 4 characters a token in English prose.
    const meanTokens = figures.examples === 0 ? 0 : Math.round(figures.trainChars / figures.examples / 4);
    const machine =
      config.target === 'local'
        ? {
            gpuCount: 1,
            environment: this.environments.get(config.python.trim() || this.options.defaultPython) ?? null,
          }
        : (this.remote?.machineOf(config.target) ?? { gpuCount: 1, environment: null });
    const measured = this.repo.measuredSpeeds().map((row) => ({
      config: readStoredConfig(row.config),
      tokensPerSecond: row.tokens_per_s,
      at: row.updated_at,
    }));
    const estimate = estimateTraining(
      { examples: figures.examples, meanTokens },
      config,
      machine.environment,
      machine.gpuCount,
      measured,
    );
    // What the export will do to turns that do not fit the method, said before the run starts.
    if (character.fullName.trim() && character.shortName.trim())
      estimate.warnings.push(
        ...exportNotices({
          otherThinkingLeftOut: figures.otherThinking,
          scenesWithOtherThinking: figures.scenesWithOtherThinking,
        }),
      );
    return estimate;
  }

  async start(characterId: CharacterId, asked: TrainingConfig): Promise<TrainingRun> {
    const character = this.characters.get(characterId);
    this.checkConfig(asked);
    // Stored as the trainer will read them: no surrounding blanks, `~` spelled out (local runs).
    const local = asked.target === 'local';
    const config: TrainingConfig = {
      ...asked,
      baseModel: local ? expandHome(asked.baseModel.trim()) : asked.baseModel.trim(),
      python: local ? expandHome(asked.python.trim()) : asked.python.trim(),
    };
    const id = this.newId() as RunId;
    const runDir = path.join(this.options.dataDir, 'runs', id);
    let written;
    try {
      written = await writeTrainerDataset(
        path.join(runDir, 'dataset.jsonl'),
        { pages: this.dataset.trainableScenePages(characterId) },
        character,
      );
    } catch (error) {
      fs.rmSync(runDir, { recursive: true, force: true });
      if (error instanceof DatasetExportError) throw new StudioFailure('invalid_argument', error.message);
      throw error;
    }
    this.repo.insert({ id, characterId, config, runDir, examples: written.scenes }, this.clock.now());
    // What the dataset file left out by its stated rule is said on the run card, as trainer warnings are.
    for (const message of exportNotices(written.notes))
      this.repo.addWarning(
        id,
        { code: 'dataset_turns_left_out', message, sceneIds: [], at: this.clock.now() },
        this.clock.now(),
      );
    if (config.target === 'local') await this.launch(id);
    else this.launchRemote(id, 'start');
    return this.get(id);
  }

  list(characterId: CharacterId): TrainingRun[] {
    this.characters.get(characterId);
    return this.repo.listFor(characterId).map((row) => this.toRun(row));
  }

  get(id: RunId): TrainingRun {
    return this.toRun(this.row(id));
  }

  async stop(id: RunId): Promise<TrainingRun> {
    const row = this.row(id);
    this.refuseWhileExporting(id);
    const active = this.active.get(id);
    if (!active) throw new StudioFailure('invalid_argument', `A ${row.status} run cannot be stopped.`);
    if (active.kind === 'local') active.launcher.stop();
    else {
      if (active.launcher.remoteRunDir === null)
        throw new StudioFailure('conflict', `The run is still starting on ${active.label}; stop it once it trains.`);
      try {
        await active.launcher.stop();
      } catch (error) {
        throw new StudioFailure(
          'unavailable',
          `Could not ask the run on ${active.label} to stop: ${(error as Error).message}`,
        );
      }
    }
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
    const config = readStoredConfig(row.config);
    if (config.target === 'local') await this.launch(id);
    else this.launchRemote(id, 'resume');
    return this.get(id);
  }

  async cancel(id: RunId): Promise<TrainingRun> {
    const row = this.row(id);
    this.refuseWhileExporting(id);
    const active = this.active.get(id);
    if (active?.kind === 'local') active.launcher.cancel();
    else if (active?.kind === 'remote') {
      if (active.launcher.remoteRunDir === null)
        throw new StudioFailure('conflict', `The run is still starting on ${active.label}; cancel it once it trains.`);
      active.cancelRequested = true;
      try {
        await active.launcher.kill();
      } catch (error) {
        active.cancelRequested = false;
        throw new StudioFailure(
          'unavailable',
          `Could not cancel the run on ${active.label}: ${(error as Error).message}`,
        );
      }
    } else if (['stopped', 'interrupted', 'failed', 'queued'].includes(row.status)) {
      this.repo.update(
        id,
        { status: 'cancelled', message: 'Cancelled.', finishedAt: this.clock.now() },
        this.clock.now(),
      );
      this.emit(id, true);
    } else throw new StudioFailure('invalid_argument', `A ${row.status} run cannot be cancelled.`);
    return this.get(id);
  }

  /**
   * Exports a finished run (adapter, merged model, Modelfile, GGUF) by the trainer's `export`. The
   * export is its own state (`exporting` on the run) and never changes the run's status: it stays
   * `succeeded` throughout, and a failed or cancelled export leaves a message and nothing else.
   */
  async export(id: RunId, options: { merged: boolean; gguf: boolean; ollamaName?: string }): Promise<TrainingRun> {
    const row = this.row(id);
    if (this.exports.has(id)) throw new StudioFailure('conflict', 'This run is already exporting; wait for it to end.');
    if (this.active.has(id)) throw new StudioFailure('conflict', 'This run is busy; wait until it finishes.');
    if (row.status !== 'succeeded') {
      throw new StudioFailure('invalid_argument', 'Only a finished run can be exported. Resume it to the end first.');
    }
    // A remote run's adapter was downloaded into its local folder: export runs here, and needs the base model here too.
    // GGUF means both files llama.cpp and Ollama take: the merged model and, for a LoRA run, the adapter.
    const lora = !readStoredConfig(row.config).hyperparameters.fullFinetune;
    const merged = options.merged || options.gguf;
    const llamaCppDir = options.gguf ? await this.llamaCppDir() : null;
    this.exports.set(id, {
      phase: null,
      target: null,
      merged,
      gguf: options.gguf,
      startedAt: this.clock.now(),
      cancelling: false,
    });
    await this.launch(id, 'export', {
      merged,
      gguf: options.gguf,
      gguf_adapter: options.gguf && lora,
      ...(llamaCppDir && { llama_cpp_dir: llamaCppDir }),
      ...(options.ollamaName && { ollama_model_name: options.ollamaName }),
    });
    return this.get(id);
  }

  /**
   * The GGUF files the embedded chat runtime loads for a finished run: the base model unmerged
   * (shared by the runs of that base model) and the run's LoRA adapter, or a full fine-tune's model.
   * Returns at once when both are there; else converts them with the trainer's `export` and the
   * llama.cpp converters node-llama-cpp ships (nothing downloaded), shown on the run card as an
   * export (`purpose: 'chat'`, phase `converting`), and resolves when done. A second call while one
   * converts waits for it.
   */
  prepareChat(id: RunId): Promise<ChatGgufFiles> {
    let pending = this.preparing.get(id);
    if (!pending) {
      pending = this.prepareChatOnce(id).finally(() => this.preparing.delete(id));
      this.preparing.set(id, pending);
    }
    return pending;
  }

  private async prepareChatOnce(id: RunId): Promise<ChatGgufFiles> {
    const row = this.row(id);
    if (row.status !== 'succeeded') {
      throw new StudioFailure(
        'invalid_argument',
        'Only a finished run can be chatted with. Resume it to the end first.',
      );
    }
    const lora = !readStoredConfig(row.config).hyperparameters.fullFinetune;
    const plan = () => chatGgufPlan(this.options.dataDir, row.run_dir, lora, readRunManifest(row.run_dir));
    const files = (started: number | null): ChatGgufFiles => {
      const done = plan();
      const character = this.characters.get(row.character_id);
      return {
        runId: id,
        baseGguf: done.baseGguf,
        adapterGguf: done.adapterGguf,
        format: done.format,
        character: done.character ?? { fullName: character.fullName, shortName: character.shortName },
        seconds: started === null ? 0 : (this.clock.now() - started) / 1000,
      };
    };
    const before = plan();
    if (before.ready) return files(null);
    if (this.exports.has(id) || this.active.has(id))
      throw new StudioFailure('conflict', 'This run is exporting; wait for it to end, then open the chat again.');
    const started = this.clock.now();
    const llamaCppDir = await this.llamaCppDir().catch((error: unknown) => {
      // On the run card too, where the conversion's own failures are told (git missing, a damaged bundle).
      this.repo.update(id, { message: error instanceof Error ? error.message : String(error) }, this.clock.now());
      this.emit(id, true);
      throw error;
    });
    if (lora) removeStalePartials(before.baseGguf, started);
    this.exports.set(id, {
      phase: null,
      target: null,
      merged: false,
      gguf: true,
      purpose: 'chat',
      startedAt: started,
      cancelling: false,
    });
    await this.launch(id, 'export', {
      merged: false,
      gguf: !lora, // a full fine-tune's model itself
      gguf_adapter: lora,
      gguf_outtype: CHAT_GGUF_OUTTYPE,
      ...(lora && { gguf_base: before.baseGguf }),
      ...(llamaCppDir && { llama_cpp_dir: llamaCppDir }),
    });
    await this.active.get(id)?.exited;
    if (!plan().ready) {
      throw new StudioFailure(
        'unavailable',
        `Converting the run for chat did not finish: ${this.row(id).message ?? 'the trainer ended without writing the GGUF files'}`,
      );
    }
    return files(started);
  }

  /**
   * The llama.cpp folder the trainer converts with: null when the user set LLAMA_CPP_DIR (the trainer
   * reads it), else the converters node-llama-cpp ships, unpacked once into the data folder's cache.
   */
  private async llamaCppDir(): Promise<string | null> {
    if (process.env.LLAMA_CPP_DIR) return null;
    return (await unpackLlamaCppConverters(path.join(this.options.dataDir, 'cache', 'llama.cpp'))).root;
  }

  /**
   * Ends the run's export now (the trainer is killed: an export saves nothing worth waiting for).
   * What it was rewriting when it ended (the merged model, a GGUF file) is removed, since it is
   * half-written; the adapter and the run are untouched.
   */
  async cancelExport(id: RunId): Promise<TrainingRun> {
    this.row(id);
    const state = this.exports.get(id);
    const active = this.active.get(id);
    if (!state || active?.kind !== 'local')
      throw new StudioFailure('invalid_argument', 'This run is not exporting; there is nothing to cancel.');
    state.cancelling = true;
    this.emit(id, true);
    active.launcher.kill();
    await active.exited;
    return this.get(id);
  }

  /**
   * Serves a finished run over the OpenAI protocol on 127.0.0.1; resolves once the model is loaded
   * and the port answers. A run trained on an SSH host that is still configured is served there,
   * on its GPU, through an SSH tunnel whose local end is `serving.url`; other runs (and remote runs
   * whose host was deleted: their adapter was downloaded here) use the local Python.
   * `others: 'stop'` first stops every other run this studio serves (each holds a model in memory).
   */
  async serve(id: RunId, others: 'stop' | 'keep' = 'keep'): Promise<TrainingRun> {
    const row = this.row(id);
    if (!this.servers.servingOf(id)) {
      if (row.status !== 'succeeded')
        throw new StudioFailure('invalid_argument', 'Only a finished run can be served. Resume it to the end first.');
      if (this.active.has(id)) throw new StudioFailure('conflict', 'This run is busy; wait until it finishes.');
    }
    if (others === 'stop')
      await Promise.all(
        this.servers
          .served()
          .filter((other) => other !== id)
          .map((other) => this.servers.stop(other)),
      );
    const config = readStoredConfig(row.config);
    await this.servers.serve({
      id,
      runDir: row.run_dir,
      config,
      modelName: servedModelName(this.characters.get(row.character_id).shortName, id),
      python: config.python.trim() || this.options.defaultPython,
      remote: config.target === 'local' ? null : (this.remote?.launcherFor(config.target) ?? null),
    });
    return this.get(id);
  }

  /** The runs this studio serves now, of every character. */
  served(): ServedRun[] {
    return this.servers.served().flatMap((runId) => {
      const row = this.repo.get(runId);
      const serving = this.servers.servingOf(runId);
      if (!row || !serving) return [];
      const character = this.characters.get(row.character_id);
      return [{ runId, characterId: row.character_id, characterName: character.fullName, serving }];
    });
  }

  /** Stops serving the run; resolves once the server process has exited (on its host too, when reachable). */
  async stopServing(id: RunId): Promise<TrainingRun> {
    this.row(id);
    await this.servers.stop(id);
    return this.get(id);
  }

  /** Resolves when the run's process has exited (for the CLI and tests). */
  async whenIdle(id: RunId): Promise<TrainingRun> {
    await this.active.get(id)?.exited;
    return this.get(id);
  }

  /**
   * At start-up: local runs whose trainer died with the previous studio process become resumable;
   * remote runs outlive the studio, so they are re-attached (from the last stored seq) instead.
   */
  recover(options: { reattachRemote: boolean } = { reattachRemote: true }): void {
    for (const row of this.repo.unfinished()) {
      if (this.active.has(row.id)) continue;
      // A run that another live studio process (the desktop app, `serve`) is supervising is its own.
      if (runnerAlive(row.runner) === true) continue;
      if (row.target !== 'local' && row.status !== 'queued') {
        // Remote runs go on without us; only a long-lived door follows them again.
        if (options.reattachRemote) this.launchRemote(row.id, 'attach');
        continue;
      }
      this.repo.update(
        row.id,
        {
          status: 'interrupted',
          message: 'The studio closed while this run was training; resume to continue from its last checkpoint.',
        },
        this.clock.now(),
      );
    }
  }

  /**
   * Stops following remote runs and closes their connections; they go on training on their hosts
   * and stay `running` here, so the next studio start re-attaches to them. Model servers stop.
   */
  async detachRemote(): Promise<void> {
    const remote = [...this.active.values()].filter((run) => run.kind === 'remote');
    await Promise.all([
      ...remote.map(async (run) => {
        run.detaching = true;
        await detachWithin(run.launcher);
        run.settle();
      }),
      // A model server is only reachable through this studio's tunnel: none is left running on a host.
      this.servers.stopAll(),
    ]);
  }

  /**
   * Asks local trainers to save and stop (up to `graceMs`), leaving them resumable; remote runs are
   * detached and go on. Every model server stops, remote ones on their hosts too.
   */
  async shutdown(graceMs = 15_000): Promise<void> {
    await this.detachRemote(); // stops every model server too
    const all = [...this.active.entries()].filter(
      (entry): entry is [RunId, Extract<ActiveRun, { kind: 'local' }>] => entry[1].kind === 'local',
    );
    for (const [id, run] of all) {
      try {
        // An export saves nothing worth waiting for; it ends as cancelled and the run stays finished.
        const exporting = this.exports.get(id);
        if (exporting) {
          exporting.cancelling = true;
          run.launcher.kill();
        } else run.launcher.stop();
      } catch {
        // already exiting
      }
    }
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled(all.map(([, run]) => run.exited)), timeout]);
    for (const [id, run] of all) {
      if (run.launcher.running) {
        run.launcher.kill();
        this.repo.update(
          id,
          {
            status: 'interrupted',
            message: 'The studio closed during training; resume to continue from the last checkpoint.',
          },
          this.clock.now(),
        );
      }
    }
  }

  private jobFor(row: TrainingRunRow, exportOptions?: TrainerJob['export']): TrainerJob {
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

  private async launch(
    id: RunId,
    command: 'train' | 'export' = 'train',
    exportOptions?: TrainerJob['export'],
  ): Promise<void> {
    const row = this.row(id);
    const config = readStoredConfig(row.config);
    const python = config.python.trim() || this.options.defaultPython;
    const launcher = new LocalTrainerLauncher({ python, trainerDir: this.options.trainerDir });
    const job = this.jobFor(row, exportOptions);
    launcher.on('event', (event) => this.onEvent(id, event, command));
    launcher.on('log', (line) => this.events.emit('training/logged', { runId: id, line }));
    // An export is not training: the run stays `succeeded` (and out of recover()'s reach).
    this.repo.update(
      id,
      command === 'train'
        ? { status: 'running', message: null, runner: runnerId(), finishedAt: null }
        : { message: null },
      this.clock.now(),
    );
    const exited = new Promise<void>((resolve) => {
      launcher.once('exit', (exit) => {
        this.onExit(id, exit, command);
        this.active.delete(id);
        resolve();
      });
    });
    this.active.set(id, { kind: 'local', launcher, exited });
    try {
      await launcher.start(job, command);
    } catch (error) {
      this.active.delete(id);
      this.exports.delete(id);
      const message = error instanceof Error ? error.message : String(error);
      this.repo.update(
        id,
        command === 'export' ? { message } : { status: 'failed', message, runner: null },
        this.clock.now(),
      );
      this.emit(id, true);
      throw new StudioFailure('unavailable', message);
    }
    this.emit(id, true);
  }

  /**
   * Drives a remote run in the background (uploading and pip can take minutes): `start` uploads
   * and launches it, `resume` re-attaches when its process is still alive on the host and else
   * restarts it from its last checkpoint, `attach` follows a run an earlier studio started.
   * The run is registered at once, so `whenIdle` waits for it; failures land on the run's row.
   */
  private launchRemote(id: RunId, mode: 'start' | 'resume' | 'attach'): void {
    const row = this.row(id);
    const hostId = row.target as HostId;
    const found = this.remote?.launcherFor(hostId) ?? null;
    if (!found) {
      this.repo.update(
        id,
        {
          status: mode === 'start' ? 'failed' : 'interrupted',
          message: 'The SSH host of this run was deleted; add it again in Settings → Hosts to reach the run.',
          runner: null,
        },
        this.clock.now(),
      );
      this.emit(id, true);
      return;
    }
    const { launcher, label } = found;
    let settle = (): void => undefined;
    const exited = new Promise<void>((resolve) => (settle = resolve));
    const active: Extract<ActiveRun, { kind: 'remote' }> = {
      kind: 'remote',
      launcher,
      label,
      exited,
      settle: () => undefined,
      cancelRequested: false,
      detaching: false,
    };
    active.settle = () => {
      if (this.active.get(id) === active) this.active.delete(id);
      settle();
    };
    this.active.set(id, active);

    const mapPath = (remotePath: string): string => localPathOf(remotePath, launcher.remoteRunDir, row.run_dir);
    launcher.on('event', (event) => this.onEvent(id, event, 'train', mapPath));
    launcher.on('log', (line) => this.events.emit('training/logged', { runId: id, line }));
    launcher.on('connection', (state, detail) => {
      if (state === 'failed') {
        if (active.detaching) return;
        this.repo.update(
          id,
          {
            status: 'interrupted',
            message: `Lost the connection to ${label} (${detail}). The run may still be running there: resume to re-attach to it, or to restart it from its last checkpoint if it has ended.`,
            runner: null,
          },
          this.clock.now(),
        );
        this.emit(id, true);
        active.settle();
        return;
      }
      this.repo.update(id, { message: state === 'lost' ? 'Connection lost, reconnecting…' : null }, this.clock.now());
      this.emit(id, true);
    });
    launcher.once('exit', (exit) => {
      void this.finishRemote(id, active, exit).finally(() => active.settle());
    });

    const begin = async (): Promise<void> => {
      if (mode !== 'start') await launcher.connect();
      const alive = mode === 'attach' || (mode === 'resume' && (await remoteRunAlive(launcher, id)));
      if (active.detaching) return;
      if (alive) {
        const run = await launcher.attach(id, this.row(id).last_seq);
        this.repo.update(
          id,
          { status: 'running', message: null, runner: `${label} pid ${run.pid}`, finishedAt: null },
          this.clock.now(),
        );
      } else {
        this.repo.update(
          id,
          { status: 'running', message: `Uploading the trainer and the dataset to ${label}…`, finishedAt: null },
          this.clock.now(),
        );
        this.emit(id, true);
        const { run_dir: _runDir, dataset: _dataset, ...job } = this.jobFor(this.row(id));
        const run = await launcher.start(id, job, path.join(row.run_dir, 'dataset.jsonl'));
        this.repo.update(id, { status: 'running', message: null, runner: `${label} pid ${run.pid}` }, this.clock.now());
      }
      this.emit(id, true);
    };
    if (mode !== 'attach') {
      this.repo.update(
        id,
        { status: 'running', message: `Connecting to ${label}…`, runner: null, finishedAt: null },
        this.clock.now(),
      );
      this.emit(id, true);
    }
    begin().catch(async (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      // A connection lost before the launch left nothing running and nothing torn: resumable, and its message says so.
      const lost = error instanceof TrainerLaunchError && error.reason === 'connection_lost';
      const status: RunStatus = mode === 'start' && !lost ? 'failed' : 'interrupted';
      const text =
        mode === 'start' || lost
          ? message
          : `Cannot reach the run on ${label}: ${message} The run may still be running there: resume to re-attach to it, or to restart it from its last checkpoint if it has ended.`;
      if (!active.detaching && this.repo.get(id)) {
        this.repo.update(
          id,
          { status, message: text, runner: null, ...(status === 'failed' && { finishedAt: this.clock.now() }) },
          this.clock.now(),
        );
        this.emit(id, true);
      }
      await detachWithin(launcher);
      active.settle();
    });
  }

  /** The remote run is over: bring its artifacts home (adapter, manifest, checkpoint), then record the end as a local run would. */
  private async finishRemote(
    id: RunId,
    active: Extract<ActiveRun, { kind: 'remote' }>,
    exit: TrainerExit,
  ): Promise<void> {
    const { launcher, label } = active;
    let ended = exit;
    if (active.cancelRequested && exit.meaning !== 'done')
      ended = {
        ...exit,
        meaning: 'cancelled',
        message: 'Training cancelled; nothing was saved beyond the last checkpoint on the host.',
      };
    let problem: string | null = null;
    if (ended.meaning === 'done' || ended.meaning === 'stopped') {
      const row = this.row(id);
      const outputs = JSON.parse(row.outputs) as Record<string, string>;
      const wanted = Object.entries(outputs).filter(([kind]) => ended.meaning === 'done' || kind === 'checkpoint');
      this.repo.update(
        id,
        { message: `Downloading ${wanted.map(([kind]) => kind).join(', ')} from ${label}…` },
        this.clock.now(),
      );
      this.emit(id, true);
      for (const [kind, local] of wanted) {
        const remote = remotePathOf(local, row.run_dir, launcher.remoteRunDir);
        if (remote === null) continue;
        try {
          fs.rmSync(local, { recursive: true, force: true });
          await launcher.download(remote, path.dirname(local));
        } catch (error) {
          problem = `Could not download the ${kind} from ${label} (${(error as Error).message}); it is still there in ${remote}.`;
        }
      }
    }
    this.onExit(id, ended, 'train');
    if (problem) {
      this.repo.update(id, { message: problem }, this.clock.now());
      this.emit(id, true);
    }
    await detachWithin(launcher);
  }

  private onEvent(
    id: RunId,
    event: TrainerEvent,
    command: 'train' | 'export',
    mapPath: (p: string) => string = (p) => p,
  ): void {
    const now = this.clock.now();
    this.repo.update(id, { lastSeq: event.seq }, now);
    const transfer = foldTransfer(this.transfers.get(id) ?? null, event);
    if (transfer) this.transfers.set(id, transfer);
    else this.transfers.delete(id);
    const exporting = command === 'export' ? this.exports.get(id) : undefined;
    switch (event.type) {
      case 'phase':
        if (exporting) {
          exporting.phase = event.name;
          exporting.target = event.target ?? null;
          break;
        }
        this.repo.update(
          id,
          {
            phase: event.name,
            ...(event.total_steps !== undefined && { totalSteps: event.total_steps }),
            ...(event.name === 'loading_model' && event.device !== undefined && { device: event.device }),
          },
          now,
        );
        break;
      case 'stats':
        this.repo.update(
          id,
          {
            examples: event.examples + event.dev_examples,
            paddingShare: event.padding_share,
            paddingShareFixed: event.padding_share_fixed,
          },
          now,
        );
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
            ...(event.peak_memory_bytes !== undefined && { peakMemoryBytes: event.peak_memory_bytes }),
          },
          now,
        );
        this.repo.addPoint(id, event.step, event.loss ?? null, event.eval_loss ?? null, event.lr ?? null);
        break;
      case 'checkpoint':
        this.repo.mergeOutputs(id, { checkpoint: mapPath(event.path) }, now);
        break;
      case 'done':
        this.repo.mergeOutputs(
          id,
          Object.fromEntries(Object.entries(event.outputs).map(([kind, p]) => [kind, mapPath(p)])),
          now,
        );
        break;
      case 'warning':
        this.repo.addWarning(
          id,
          { code: event.code, message: event.message, sceneIds: event.scene_ids ?? [], at: event.ts * 1000 },
          now,
        );
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
    this.transfers.delete(id); // a killed trainer sends no terminal event
    if (command === 'export') {
      this.onExportExit(id, exit);
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

  /** Exporting never changes what the run is: it stays finished, with a note when something failed. */
  private onExportExit(id: RunId, exit: TrainerExit): void {
    const state = this.exports.get(id);
    this.exports.delete(id);
    let message = exit.meaning === 'done' ? null : exit.message;
    if (state?.cancelling) {
      // What was being rewritten is half-written: removed, so no listed artifact is broken.
      const row = this.row(id);
      const torn = (
        state.phase === 'merging'
          ? ['merged']
          : state.phase === 'converting' && state.target !== 'gguf_base' // the base is renamed into place whole
            ? [state.target === 'adapter_gguf' ? 'adapter_gguf' : 'gguf']
            : []
      ).filter((kind) => fs.existsSync(path.join(row.run_dir, EXPORT_FILES[kind]!)));
      for (const kind of torn) fs.rmSync(path.join(row.run_dir, EXPORT_FILES[kind]!), { recursive: true, force: true });
      this.repo.dropOutputs(id, torn, this.clock.now());
      message = `Export cancelled${torn.length ? `; the half-written ${torn.join(', ')} was removed` : ''}. The run and its adapter are unchanged.`;
    }
    this.repo.update(id, { message }, this.clock.now());
    this.emit(id, true);
  }

  private emit(id: RunId, force: boolean): void {
    const now = this.clock.now();
    if (!force && now - (this.lastEmit.get(id) ?? 0) < PROGRESS_INTERVAL_MS) return;
    this.lastEmit.set(id, now);
    this.events.emit('training/progressed', this.get(id));
  }

  /** Stop and cancel are about training; an export in flight has its own cancel. */
  private refuseWhileExporting(id: RunId): void {
    if (this.exports.has(id))
      throw new StudioFailure(
        'conflict',
        'The run has finished and is exporting now; cancel the export (training/export-cancel) to end it.',
      );
  }

  private row(id: RunId): TrainingRunRow {
    const row = this.repo.get(id);
    if (!row) throw new StudioFailure('not_found', 'That training run no longer exists.');
    return row;
  }

  /** What is wrong with `baseModel` for a run on `target` (base-model-check.ts); null when nothing is. */
  baseModelProblem(baseModel: string, target: 'local' | HostId): string | null {
    return baseModelProblem(baseModel, target === 'local' ? 'local' : 'remote');
  }

  private checkConfig(config: TrainingConfig): void {
    if (config.target !== 'local' && !this.remote?.launcherFor(config.target)) {
      throw new StudioFailure(
        'invalid_argument',
        `There is no SSH host "${config.target}" to train on: choose one from Settings → Hosts (hosts/list), or "local".`,
      );
    }
    const problem = this.baseModelProblem(config.baseModel, config.target);
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

  private toRun(row: TrainingRunRow): TrainingRun {
    return {
      id: row.id,
      characterId: row.character_id,
      status: row.status,
      config: readStoredConfig(row.config),
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
      device: row.device,
      peakMemoryBytes: row.peak_memory_bytes,
      outputs: JSON.parse(row.outputs) as Record<string, string>,
      message: row.message,
      points: this.repo.points(row.id),
      transfer: this.transfers.get(row.id) ?? null,
      serving: this.servers.servingOf(row.id),
      exporting: this.exports.get(row.id) ?? null,
      warnings: readWarnings(row.warnings),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      finishedAt: row.finished_at,
    };
  }
}

/** Where a remote artifact lands locally: the same place under the local run folder; paths elsewhere stay as they are. */
function localPathOf(remotePath: string, remoteRunDir: string | null, localRunDir: string): string {
  if (!remoteRunDir || !remotePath.startsWith(`${remoteRunDir}/`)) return remotePath;
  return path.join(localRunDir, ...remotePath.slice(remoteRunDir.length + 1).split('/'));
}

/** The inverse of localPathOf; null when the path is not inside the local run folder. */
function remotePathOf(localPath: string, localRunDir: string, remoteRunDir: string | null): string | null {
  const rel = path.relative(localRunDir, localPath);
  if (!remoteRunDir || rel.startsWith('..') || path.isAbsolute(rel) || rel === '') return null;
  return posix.join(remoteRunDir, ...rel.split(path.sep));
}

/**
 * Detaches, waiting at most `ms` for the follow loop: an SSH request in flight when the connection
 * is closed may never be answered, and the studio must still close. Milliseconds.
 */
async function detachWithin(launcher: SshTrainerLauncher, ms = 3_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([launcher.detach(), timeout]);
  clearTimeout(timer);
}

/** Whether the run's detached process (its recorded pid) still lives on the host. */
async function remoteRunAlive(launcher: SshTrainerLauncher, id: RunId): Promise<boolean> {
  const pidFile = posix.join(launcher.remoteRoot, 'runs', id, 'pid');
  const probe = await launcher.exec(
    `pid=$(cat ${shellQuote(pidFile)} 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo alive`,
  );
  return probe.stdout.includes('alive');
}

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
