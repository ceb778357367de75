import fs from 'node:fs';
import path from 'node:path';
import type {
  BaseModelOption,
  CharacterId,
  HostId,
  RunId,
  TrainerEnvironment,
  TrainingConfig,
  TrainingEstimate,
  TrainingHyperparameters,
  TrainingPreset,
  TrainingLog,
  TrainingRun,
  ServedRun,
  ChatGgufFiles,
} from '../../../common/contract';
import type { DatasetSums } from '../../store/dataset-sums';
import type { DatasetRepo } from '../../store/dataset-repo';
import type { TrainingLogRepo } from '../../store/training-log-repo';
import { readWarnings, type TrainingRepo, type TrainingRunRow } from '../../store/training-repo';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import { runnerAlive } from '../runner';
import type { EventBus } from '../events';
import { DatasetExportError, exportNotices, writeTrainerDataset } from '../trainer/dataset-export';
import { BASE_MODELS, DEFAULT_HYPERPARAMETERS, TRAINING_PRESETS } from './catalog';
import { ModelServers } from '../runtimes/model-servers';
import { expandHome } from './base-model-check';
import type { RemoteHosts } from './host-service';
import { ActiveRuns } from './active-runs';
import { ChatPreparation } from './chat-preparation';
import { LocalRuns } from './local-runs';
import { LocalPython } from './local-python';
import { RemoteRuns } from './remote-runs';
import { UnfollowedRemoteRuns } from './remote-unfollowed';
import type { RunContext } from './run-context';
import { baseModelProblemFor, checkTrainingConfig, readStoredConfig } from './run-config';
import { RunControl } from './run-control';
import { RunEstimates } from './run-estimate';
import { RunLog } from './run-log';
import { RunMirror } from './run-mirror';
import { RunServing } from './run-serving';
import { StopRequests } from './stop-requests';
import { TrainingExports } from './training-exports';

const PROGRESS_INTERVAL_MS = 250;

export interface TrainingServiceOptions {
  dataDir: string;
  /** The folder holding `character_trainer` (resources/trainer, or the packaged app's copy). */
  trainerDir: string;
  /** The interpreter used when a config names none. */
  defaultPython: string;
}

/**
 * Experience upload: trains a character's model with the Python trainer as a supervised child
 * process, mirroring its protocol events into the store and out as `training/progressed`.
 *
 * A run folder (`<data>/runs/<id>`) holds everything the trainer writes; the row is the studio's
 * view of it. A run whose process is gone (crash, quit) becomes `interrupted` and resumes from its
 * last checkpoint; the trainer itself refuses a resume whose data or base model changed.
 *
 * The parts that drive a run live beside this file and share one RunContext: local-runs.ts and
 * remote-runs.ts (launching), run-mirror.ts (events into the store), training-exports.ts (exports),
 * chat-preparation.ts (the conversion for chat), run-serving.ts (serving finished runs, by model-servers.ts),
 * run-control.ts (stop and cancel, wherever the run trains) with stop-requests.ts (across processes),
 * run-estimate.ts (what a run would take, before it starts).
 */
export class TrainingService {
  private readonly active = new ActiveRuns();
  /** The local Python: doctor reports (for estimates) and the managed environment. */
  private readonly python: LocalPython;
  private readonly lastEmit = new Map<RunId, number>();
  /** Runs this process serves over the OpenAI protocol (the trainer's `serve`). */
  private readonly servers: ModelServers;
  private readonly serving: RunServing;
  private readonly exports: TrainingExports;
  private readonly mirror: RunMirror;
  private readonly local: LocalRuns;
  private readonly remoteRuns: RemoteRuns;
  private readonly chat: ChatPreparation;
  /** The trainer's log lines, stored per run (training/log). */
  private readonly runLog: RunLog;
  private readonly requests: StopRequests;
  private readonly control: RunControl;
  private readonly estimates: RunEstimates;

  constructor(
    private readonly repo: TrainingRepo,
    logs: TrainingLogRepo,
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
    this.python = new LocalPython(events, options);
    this.estimates = new RunEstimates(repo, dataset, characters, this.python, remote, sums);
    // A model server's lines go out live but are not kept: a server runs for hours and its lines
    // would push a failed run's traceback out of the capped log; they are not the run's training.
    this.servers = new ModelServers(events, options.trainerDir, (id) => this.emit(id, true));
    this.runLog = new RunLog(logs);
    const context: RunContext = {
      repo,
      clock,
      active: this.active,
      row: (id) => this.row(id),
      changed: (id, force) => this.emit(id, force),
      logged: (id, line) => this.events.emit('training/logged', { runId: id, line, seq: this.runLog.add(id, line) }),
      logEnded: (id) => this.runLog.end(id),
    };
    this.requests = new StopRequests(context, (id, request) => (request === 'stop' ? this.stop(id) : this.cancel(id)));
    this.serving = new RunServing(context, this.servers, characters, remote, options.defaultPython);
    this.exports = new TrainingExports(context, options.dataDir, (id, job) => this.local.launch(id, 'export', job));
    this.mirror = new RunMirror(context, this.exports);
    this.local = new LocalRuns(context, this.mirror, this.exports, options);
    this.remoteRuns = new RemoteRuns(context, this.mirror, remote);
    const unfollowed = new UnfollowedRemoteRuns(context, remote, (id) => this.remoteRuns.launch(id, 'attach'));
    this.control = new RunControl(context, this.exports, this.requests, unfollowed);
    this.chat = new ChatPreparation(
      context,
      this.exports,
      (characterId) => {
        const character = this.characters.get(characterId);
        return { fullName: character.fullName, shortName: character.shortName };
      },
      options.dataDir,
    );
  }

  baseModels(): { baseModels: BaseModelOption[]; defaults: TrainingHyperparameters; presets: TrainingPreset[] } {
    return {
      baseModels: [...BASE_MODELS],
      defaults: { ...DEFAULT_HYPERPARAMETERS },
      presets: TRAINING_PRESETS.map((p) => ({ ...p, hyperparameters: { ...p.hyperparameters } })),
    };
  }

  doctor(python: string): Promise<TrainerEnvironment> {
    return this.python.doctor(python);
  }

  /** The studio's managed environment: `<data>/python`, with the trainer's pinned requirements. */
  setupPython(basePython: string): Promise<TrainerEnvironment> {
    return this.python.setup(basePython);
  }

  estimate(characterId: CharacterId, config: TrainingConfig): Promise<TrainingEstimate> {
    return this.estimates.estimate(characterId, config);
  }

  async start(characterId: CharacterId, asked: TrainingConfig): Promise<TrainingRun> {
    const character = this.characters.get(characterId);
    checkTrainingConfig(asked, this.remote);
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
    if (config.target === 'local') await this.local.launch(id);
    else this.remoteRuns.launch(id, 'start');
    this.requests.watch();
    return this.get(id);
  }

  list(characterId: CharacterId): TrainingRun[] {
    this.characters.get(characterId);
    return this.repo.listFor(characterId).map((row) => this.toRun(row));
  }

  get(id: RunId): TrainingRun {
    return this.toRun(this.row(id));
  }

  /** Runs whose id is `key` or starts with it (the CLI names them so). */
  match(key: string): { id: RunId; characterId: CharacterId }[] {
    return this.repo.matchIds(key);
  }

  /** Stops a run wherever it trains, with a checkpoint to resume from (run-control.ts). */
  async stop(id: RunId): Promise<TrainingRun> {
    await this.control.stop(id);
    // A remote run nobody followed is followed from here now (remote-runs.ts): a cancel asked by another process comes through this one.
    if (this.active.has(id)) this.requests.watch();
    return this.get(id);
  }

  /** Whether this process follows the run now (drives its trainer, or its SSH host's): `whenIdle` waits for its end. */
  followed(id: RunId): boolean {
    return this.active.has(id);
  }

  async resume(id: RunId): Promise<TrainingRun> {
    const row = this.row(id);
    if (this.active.has(id)) return this.get(id);
    if (!['stopped', 'interrupted', 'failed'].includes(row.status)) {
      throw new StudioFailure('invalid_argument', `A ${row.status} run cannot be resumed.`);
    }
    const config = readStoredConfig(row.config);
    if (config.target === 'local') await this.local.launch(id);
    else this.remoteRuns.launch(id, 'resume');
    this.requests.watch();
    return this.get(id);
  }

  /** Cancels a run wherever it trains (run-control.ts); a stopped one is cancelled in the store. */
  async cancel(id: RunId): Promise<TrainingRun> {
    await this.control.cancel(id);
    return this.get(id);
  }

  /** The run's stored trainer log (run-log.ts): the last `limit` lines, or those after `afterSeq`. */
  log(id: RunId, afterSeq: number | null, limit?: number): TrainingLog {
    this.row(id);
    return this.runLog.read(id, afterSeq, limit);
  }

  /** Writes the log lines still waiting (the studio is about to close its database). */
  flushLogs(): void {
    this.runLog.flushAll();
  }

  /**
   * Exports a finished run (adapter, merged model, Modelfile, GGUF) by the trainer's `export`
   * (training-exports.ts); the run stays `succeeded` throughout.
   */
  async export(id: RunId, options: { merged: boolean; gguf: boolean; ollamaName?: string }): Promise<TrainingRun> {
    await this.exports.export(id, options);
    return this.get(id);
  }

  /**
   * The GGUF files the embedded chat runtime loads for a finished run, converted first when missing
   * (chat-preparation.ts); the conversion shows on the run card as an export.
   */
  prepareChat(id: RunId): Promise<ChatGgufFiles> {
    return this.chat.prepare(id);
  }

  /** Ends the run's export now; what it was rewriting is removed, the adapter and the run are untouched. */
  async cancelExport(id: RunId): Promise<TrainingRun> {
    this.row(id);
    await this.exports.cancel(id);
    return this.get(id);
  }

  /** Serves a finished run over the OpenAI protocol (run-serving.ts: where, and with what). */
  async serve(id: RunId, others: 'stop' | 'keep' = 'keep'): Promise<TrainingRun> {
    await this.serving.serve(id, others);
    return this.get(id);
  }

  /** The runs this studio serves now, of every character. */
  served(): ServedRun[] {
    return this.serving.served();
  }

  /** Stops serving the run; resolves once the server process has exited (on its host too, when reachable). */
  async stopServing(id: RunId): Promise<TrainingRun> {
    this.row(id);
    await this.servers.stop(id);
    return this.get(id);
  }

  /** Resolves when the run's process has exited (for the CLI and tests). */
  async whenIdle(id: RunId): Promise<TrainingRun> {
    await this.active.exited(id);
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
        if (options.reattachRemote) {
          this.remoteRuns.launch(row.id, 'attach');
          // Followed here now: a stop or cancel asked by another process comes through this one.
          this.requests.watch();
        }
        continue;
      }
      this.repo.update(
        row.id,
        {
          status: 'interrupted',
          message: 'The studio closed while this run was training; resume to continue from its last checkpoint.',
          stopRequest: null,
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
    // A model server is only reachable through this studio's tunnel: none is left running on a host.
    await Promise.all([this.remoteRuns.detachAll(), this.servers.stopAll()]);
  }

  /**
   * Asks local trainers to save and stop (up to `graceMs`), leaving them resumable; remote runs are
   * detached and go on. Every model server stops, remote ones on their hosts too.
   */
  async shutdown(graceMs = 15_000): Promise<void> {
    await this.detachRemote(); // stops every model server too
    await this.local.shutdown(graceMs);
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

  /** What is wrong with `baseModel` for a run on `target` (base-model-check.ts); null when nothing is. */
  baseModelProblem(baseModel: string, target: 'local' | HostId): string | null {
    return baseModelProblemFor(baseModel, target);
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
      transfer: this.mirror.transferOf(row.id),
      serving: this.servers.servingOf(row.id),
      exporting: this.exports.stateOf(row.id),
      warnings: readWarnings(row.warnings),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      finishedAt: row.finished_at,
      followed: this.active.has(row.id),
    };
  }
}
