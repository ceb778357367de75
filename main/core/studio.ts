import os from 'node:os';
import path from 'node:path';
import type { AppInfo, DatabaseCheck, Door } from '../../common/contract';
import { CharactersRepo } from '../store/characters-repo';
import { openDatabase, pendingCrashCheck, pendingUpgrade, type Db, type OpenOptions } from '../store/database';
import { checkIntegrity } from '../store/integrity';
import { migrations } from '../store/migrations';
import { DatasetSums } from '../store/dataset-sums';
import { ReadWorker } from '../store/read-worker';
import { warmFile, warmLimit, type WarmResult } from '../store/file-warmer';
import { WalCheckpointer } from '../store/wal-checkpointer';
import { DatasetRepo } from '../store/dataset-repo';
import { SceneBrowserRepo } from '../store/scene-browser-repo';
import { SceneRevisionsRepo } from '../store/scene-revisions-repo';
import { SceneService } from './dataset/scene-service';
import { RegenerateService } from './dataset/regenerate-service';
import { JobsRepo } from '../store/jobs-repo';
import { ProfilesRepo } from '../store/profiles-repo';
import { ProvidersRepo } from '../store/providers-repo';
import { HostsRepo } from '../store/hosts-repo';
import { TrainingRepo } from '../store/training-repo';
import { PreferencesRepo } from '../store/preferences-repo';
import { ReviewRepo } from '../store/review-repo';
import { ReviewService } from './dataset/review-service';
import { FilterCountsService } from './dataset/filter-counts-service';
import { DatasetChartsService } from './dataset/charts-service';
import { DatasetChartsRepo } from '../store/dataset-charts-repo';
import { DatasetImportRepo } from '../store/dataset-import-repo';
import { sweepOrphanStages } from '../store/import-stage-files';
import { DatasetExportService } from './interop/dataset-export';
import { DatasetImportService, IoRequests } from './interop/dataset-import';
import { HostService, type HostServiceOptions } from './training/host-service';
import { defaultPython } from './training/python-location';
import { TrainingService } from './training/training-service';
import { TrainingPreviewService } from './training/preview-service';
import { CharacterService } from './character-service';
import { systemClock, type Clock, type IdFactory } from './clock';
import { timeOrderedId } from './ids';
import { ensureDataDir } from './data-dir';
import { dispatch, type Handlers, type Outcome } from './dispatch';
import { EventBus } from './events';
import { DEFAULT_SETTINGS, GenerationService } from './pipeline/generation-service';
import { LimitsService } from './pipeline/limits-service';
import { PromptBuilder } from './pipeline/prompt-builder';
import { PromptService } from './pipeline/prompt-service';
import { PromptsRepo } from '../store/prompts-repo';
import { JobService, type JobRetryTiming } from './jobs/job-service';
import { ProfileService } from './profile-service';
import { bundledManuscriptWorker, manuscriptReaderAt } from './manuscripts/manuscript-reader';
import { AppearanceService } from './onboarding/appearance-service';
import { onboardingHandlers } from './onboarding/onboarding-handlers';
import { SampleService } from './onboarding/sample-service';
import { modelHandlers } from './models/model-handlers';
import { characterHandlers } from './character-handlers';
import { providerHandlers } from './providers/provider-handlers';
import { generationHandlers } from './pipeline/generation-handlers';
import { jobHandlers } from './jobs/job-handlers';
import { datasetHandlers } from './dataset/dataset-handlers';
import { sceneHandlers } from './dataset/scene-handlers';
import { interopHandlers } from './interop/interop-handlers';
import { trainingHandlers } from './training/training-handlers';
import { DEFAULT_MODEL_BASE_URL } from './models/model-catalog';
import { ModelService } from './models/model-service';
import { MANUSCRIPT_LIMITS } from './manuscripts/limits';
import { FileSecretStore, type SecretStore } from './providers/secret-store';
import { ProviderService } from './providers/provider-service';
import { MAX_CHUNK_CHARS, MAX_PROFILE_BYTES } from './profile-text';
import { ConversationsRepo } from '../store/conversations-repo';
import { ChatService } from './chat/chat-service';
import { ChatRuntimes } from './chat/chat-runtimes';
import { chatHandlers } from './chat/chat-handlers';
import { EvalReportRepo } from '../store/eval-report-repo';
import { OutputsImportService } from './eval/outputs-import';
import { EvalReportService } from './eval/report-service';
import { evalReportHandlers } from './eval/report-handlers';
import { callRow, llmCalls, startedRow } from './jobs/call-log';
import { EvalRepo } from '../store/eval-repo';
import { judgeHandlers } from './eval/judge-handlers';
import { evalHandlers } from './eval/eval-handlers';
import { evaluationServices } from './eval/eval-services';
import { CardService } from './cards/card-service';
import { WIKIPEDIA_API } from './wikipedia/article';
import { WikipediaService } from './wikipedia/wikipedia-service';

export const DATABASE_FILE = 'studio.sqlite';

export interface StudioOptions {
  dataDir: string;
  door: Door;
  version: string;
  nativeBinding?: string;
  clock?: Clock;
  newId?: IdFactory;
  /** Where API keys are kept; defaults to a private file in the data folder. */
  secrets?: SecretStore;
  /** CPU threads for the embedded model. */
  embeddedThreads?: number;
  /** The app's folder (the repository in development): resources/trainer and .venv are found there. */
  appRoot?: string;
  /** Where the packaged app keeps the trainer (Electron's process.resourcesPath/trainer). */
  trainerDir?: string;
  /**
   * The MediaWiki Action API with `{lang}` for the edition; default Wikipedia's
   * (`CHARACTER_STUDIO_WIKIPEDIA_API` overrides it for every door, e.g. a local mirror or a test's fake).
   */
  wikipediaApi?: string;
  /** The curated model list's folder (resources/models); defaults to appRoot/resources/models. */
  modelCatalogDir?: string;
  /**
   * Where catalog models download from (default https://huggingface.co, or the
   * CHARACTER_STUDIO_MODEL_BASE_URL environment variable): a mirror, or a test server.
   */
  modelBaseUrl?: string;
  /** The sample characters (resources/samples); defaults to appRoot/resources/samples. */
  samplesDir?: string;
  /**
   * The bundled manuscript worker (manuscripts/worker.ts); defaults to manuscript-worker.mjs beside
   * the running bundle. Where it is missing (running from source) manuscripts are read in-process.
   */
  manuscriptWorker?: string;
  /** Remote-run tuning (poll interval, reconnect waits) and extra environment for remote trainers. */
  remote?: Pick<HostServiceOptions, 'launcher' | 'remoteEnv'>;
  /** Told when an existing database is brought up to this studio's schema as it opens (store/database.ts `onUpgrade`). */
  onDatabaseUpgrade?: OpenOptions['onUpgrade'];
  /** Told before the database's pages are all read as it opens, after an unclean shutdown (store/database.ts `onFullCheck`). */
  onDatabaseCheck?: OpenOptions['onFullCheck'];
  /** The backoff between a job's retried LLM calls (jobs/job-service.ts `JobRetryTiming`); the gateway's by default. */
  jobRetry?: JobRetryTiming;
}

/**
 * The schema upgrade opening the studio in `dataDir` will run first, or null. Some upgrades rebuild
 * an index over every scene (seconds per 100,000), so the desktop door shows a window saying so
 * before it opens the studio (which blocks its process while migrating).
 */
export function pendingDatabaseUpgrade(dataDir: string, nativeBinding?: string): { from: number; to: number } | null {
  return pendingUpgrade(path.join(dataDir, DATABASE_FILE), nativeBinding ? { nativeBinding } : {});
}

/** The page-by-page check opening the studio in `dataDir` will run first, after an unclean shutdown, or null. */
export function pendingDatabaseCheck(dataDir: string): { bytes: number } | null {
  return pendingCrashCheck(path.join(dataDir, DATABASE_FILE));
}

/**
 * The core behind every door: opens the store in the data folder, builds the services and
 * exposes the contract as `handlers` plus `invoke` (validated) and `events`.
 */
export class Studio {
  readonly events = new EventBus();
  readonly handlers: Handlers;
  readonly db: Db;
  readonly databasePath: string;
  readonly generation: GenerationService;
  /** The job engine every long task of the studio runs on (generation, regeneration, …). */
  readonly jobs: JobService;
  readonly providers: ProviderService;
  readonly training: TrainingService;
  readonly hosts: HostService;
  readonly chat: ChatService;
  private readonly jobsRepo: JobsRepo;
  /** Runs the sums over many rows the doors ask for on a thread of its own (store/read-worker.ts). */
  private readonly reader: ReadWorker;
  /** Imports' staging and their copies' writer threads (store/import-writer.ts), ended before the database closes. */
  private readonly imports: DatasetImportRepo;
  /**
   * The database file read through once in the background as the studio opens, so the browser's
   * first searches read memory rather than a cold disk (store/file-warmer.ts); null for the CLI,
   * whose commands end before it would pay off. `close` stops it at its next chunk.
   */
  readonly cacheWarmed: Promise<WarmResult> | null;
  private readonly stopWarming = new AbortController();
  /** Copies the write-ahead log into the database file on a thread of its own (store/wal-checkpointer.ts). */
  readonly checkpointer: WalCheckpointer;

  constructor(readonly options: StudioOptions) {
    ensureDataDir(options.dataDir);
    this.databasePath = path.join(options.dataDir, DATABASE_FILE);
    this.db = openDatabase(this.databasePath, {
      ...(options.nativeBinding && { nativeBinding: options.nativeBinding }),
      ...(options.onDatabaseUpgrade && { onUpgrade: options.onDatabaseUpgrade }),
      ...(options.onDatabaseCheck && { onFullCheck: options.onDatabaseCheck }),
    });
    this.checkpointer = new WalCheckpointer(this.db, this.databasePath, {
      ...(options.nativeBinding && { nativeBinding: options.nativeBinding }),
    });
    const clock = options.clock ?? systemClock;
    const newId = options.newId ?? timeOrderedId;
    const characters = new CharacterService(new CharactersRepo(this.db), this.events, clock, newId);
    const profilesRepo = new ProfilesRepo(this.db);
    const profiles = new ProfileService(
      this.db,
      profilesRepo,
      characters,
      this.events,
      clock,
      newId,
      manuscriptReaderAt(options.manuscriptWorker ?? bundledManuscriptWorker()),
    );
    const secrets = options.secrets ?? new FileSecretStore(path.join(options.dataDir, 'secrets.json'));
    const providers = new ProviderService(new ProvidersRepo(this.db), secrets, this.events, clock, newId, {
      ...(options.embeddedThreads !== undefined && { embeddedThreads: options.embeddedThreads }),
    });
    const dataset = new DatasetRepo(this.db);
    this.reader = new ReadWorker(this.databasePath, options.nativeBinding);
    this.cacheWarmed =
      options.door === 'cli'
        ? null
        : warmFile(this.databasePath, { signal: this.stopWarming.signal, maxBytes: warmLimit(os.totalmem()) });
    const sums = new DatasetSums(this.db, this.reader);
    const browser = new SceneBrowserRepo(this.db);
    const filterCounts = new FilterCountsService(this.db, this.reader, characters);
    this.jobsRepo = new JobsRepo(this.db, { generation: DEFAULT_SETTINGS });
    const jobs = new JobService(this.db, this.jobsRepo, providers, this.events, clock, newId, options.jobRetry);
    this.jobs = jobs;
    const promptsRepo = new PromptsRepo(this.db);
    const promptBuilder = new PromptBuilder(dataset, profilesRepo, promptsRepo);
    const generation = new GenerationService(
      this.db,
      this.jobsRepo,
      dataset,
      promptBuilder,
      characters,
      providers,
      jobs,
      this.events,
      clock,
      newId,
      new PreferencesRepo(this.db),
      sums,
    );
    const prompts = new PromptService(promptsRepo, characters, clock, newId);
    const limits = new LimitsService(
      this.db,
      this.jobsRepo,
      dataset,
      characters,
      providers,
      promptBuilder,
      this.events,
      clock,
      newId,
    );
    jobs.recover();
    // Windows (desktop, serve) show live the jobs a terminal runs beside them; a CLI command has none.
    if (options.door !== 'cli') jobs.watchOtherRuns();
    this.generation = generation;
    const review = new ReviewService(
      new ReviewRepo(this.db),
      dataset,
      characters,
      generation,
      this.events,
      clock,
      newId,
    );
    this.providers = providers;
    const appRoot = options.appRoot ?? process.cwd();
    const trainerDir = options.trainerDir ?? path.join(appRoot, 'resources', 'trainer');
    const hosts = new HostService(new HostsRepo(this.db), secrets, this.events, clock, newId, {
      dataDir: options.dataDir,
      trainerDir,
      ...options.remote,
    });
    this.hosts = hosts;
    const training = new TrainingService(
      new TrainingRepo(this.db),
      dataset,
      characters,
      this.events,
      clock,
      newId,
      { dataDir: options.dataDir, trainerDir, defaultPython: defaultPython(options.dataDir, appRoot) },
      hosts,
      sums,
    );
    training.recover({ reattachRemote: options.door !== 'cli' });
    const scenes = new SceneService(
      dataset,
      new SceneRevisionsRepo(this.db),
      (id) => characters.get(id),
      this.events,
      clock,
      newId,
    );
    const charts = new DatasetChartsService(new DatasetChartsRepo(this.db), (id) => characters.get(id));
    this.training = training;
    const previews = new TrainingPreviewService(
      (id) => scenes.open(id),
      (id) => characters.get(id),
      clock,
      { trainerDir, defaultPython: defaultPython(options.dataDir, appRoot) },
    );
    const jobsRepo = this.jobsRepo;
    // One registry of loaded models for the Chat tab and the interviews alike.
    const chatRuntimes = new ChatRuntimes({
      runs: training,
      providers,
      // Chat replies are LLM calls on record like any other, linked to no job.
      recorder: {
        onStart: (record) => jobsRepo.callRecords.start(startedRow(null, record)),
        onCall: (record) => jobsRepo.callRecords.finish(callRow(null, record)),
      },
      embeddedThreads: options.embeddedThreads ?? Math.max(1, os.availableParallelism()),
    });
    this.chat = new ChatService({
      repo: new ConversationsRepo(this.db),
      runtimes: chatRuntimes,
      characters,
      runs: training,
      providers,
      scenes: { get: (id) => dataset.scene(id) ?? null, create: (id, doc, origin) => scenes.create(id, doc, origin) },
      events: this.events,
      clock,
      newId,
    });
    this.chat.recover();
    const ioRequests = new IoRequests();
    const exporter = new DatasetExportService(dataset, (id) => characters.get(id), this.events, ioRequests, sums);
    const importRepo = new DatasetImportRepo(this.db, {
      file: this.databasePath,
      ...(options.nativeBinding && { nativeBinding: options.nativeBinding }),
    });
    this.imports = importRepo;
    // An import the last stop of the studio cut short mid-copy leaves nothing (see DatasetImportService.copy).
    importRepo.undoInterrupted();
    // And the scratch files such a stop left in the temporary folder (off the event loop; best effort).
    void sweepOrphanStages().catch(() => undefined);
    const importer = new DatasetImportService(
      importRepo,
      (id) => characters.get(id),
      this.events,
      clock,
      newId,
      ioRequests,
      undefined,
      this.checkpointer,
    );
    const regenerate = new RegenerateService(
      this.db,
      this.jobsRepo,
      characters,
      generation,
      scenes,
      jobs,
      this.events,
      clock,
      newId,
    );
    const evaluation = evaluationServices({
      db: this.db,
      jobsRepo,
      jobs,
      events: this.events,
      characters,
      profiles: profilesRepo,
      providers,
      training,
      runtimes: chatRuntimes,
      clock,
      newId,
    });

    const cards = new CardService({
      characters,
      profiles,
      runs: training,
      clock,
      dataDir: options.dataDir,
      studioVersion: options.version,
    });
    const wikipedia = new WikipediaService(profiles, clock, {
      apiTemplate: options.wikipediaApi ?? process.env.CHARACTER_STUDIO_WIKIPEDIA_API ?? WIKIPEDIA_API,
      userAgent: `CharacterStudio/${options.version} (desktop app; Character-LLM role-play studio)`,
    });

    const samples = new SampleService(
      options.samplesDir ?? path.join(appRoot, 'resources', 'samples'),
      characters,
      profiles,
      importer,
    );
    const appearance = new AppearanceService(new PreferencesRepo(this.db), this.events, clock);
    const models = new ModelService(
      {
        dir: path.join(options.dataDir, 'models'),
        catalogFile: path.join(options.modelCatalogDir ?? path.join(appRoot, 'resources', 'models'), 'catalog.json'),
        baseUrl: options.modelBaseUrl ?? process.env.CHARACTER_STUDIO_MODEL_BASE_URL ?? DEFAULT_MODEL_BASE_URL,
      },
      this.events,
      clock,
    );

    const reports = new EvalReportService(new EvalReportRepo(this.db), (id) => characters.get(id), clock);
    const outputs = new OutputsImportService({
      db: this.db,
      repo: new EvalRepo(this.db),
      characters: () => characters.list(),
      clock,
      newId,
      changed: (characterId) => this.events.emit('eval/systems/changed', { characterId }),
    });

    // One line per area: each area's commands are wired in its own `*-handlers.ts`.
    this.handlers = {
      'app/info': () => this.info(),
      'app/check-database': () => this.checkDatabase(),
      ...characterHandlers({ characters, profiles, wikipedia, cards }),
      ...providerHandlers(providers),
      ...generationHandlers({ generation, prompts, limits, calls: (id) => llmCalls(jobsRepo.callRecords, id) }),
      ...jobHandlers(jobs, characters),
      ...datasetHandlers({ characters, dataset, browser, filterCounts, sums, charts }),
      ...sceneHandlers({ scenes, regenerate, review, filterCounts }),
      ...interopHandlers(exporter, importer, ioRequests),
      ...trainingHandlers(training, previews, hosts),
      ...chatHandlers(this.chat),
      ...evalHandlers(evaluation),
      ...judgeHandlers(evaluation.judge, reports),
      ...evalReportHandlers(reports, outputs),
      ...onboardingHandlers(appearance, samples),
      ...modelHandlers(models),
    } satisfies Handlers;
  }

  /** Every door's entry; error text leaves with every configured API key masked (see `redact`). */
  async invoke(name: string, arg: unknown): Promise<Outcome> {
    const outcome = await dispatch(this.handlers, name, arg, this.redact);
    if (outcome.ok) return outcome;
    return { ok: false, error: { ...outcome.error, message: this.redact(outcome.error.message) } };
  }

  /** Masks every encoding of every configured API key: for text on its way to a screen or a log. */
  readonly redact = (text: string): string => this.providers.redactor.redact(text);

  async checkDatabase(): Promise<DatabaseCheck> {
    const report = await checkIntegrity(this.databasePath, this.options.nativeBinding);
    return { ...report, databasePath: this.databasePath };
  }

  info(): AppInfo {
    return {
      version: this.options.version,
      door: this.options.door,
      dataDir: this.options.dataDir,
      databasePath: this.databasePath,
      schemaVersion: migrations.at(-1)?.id ?? 0,
      limits: {
        maxProfileBytes: MAX_PROFILE_BYTES,
        maxChunkChars: MAX_CHUNK_CHARS,
        maxManuscriptBytes: MANUSCRIPT_LIMITS.maxFileBytes,
      },
    };
  }

  /**
   * Closes the studio without stopping anything that can go on without it: remote training runs
   * keep running on their hosts (the next studio re-attaches). Local work is left as a crash would.
   */
  async detach(): Promise<void> {
    await this.training.detachRemote();
    this.close();
  }

  /** Stops running jobs (left `interrupted`, resumable; remote runs go on, detached), frees models, closes the database. */
  async shutdown(): Promise<void> {
    // Chat first: a served runtime stops its model server through the training service.
    await this.chat.shutdown();
    await Promise.all([this.jobs.shutdown(), this.training.shutdown(), this.imports.closeWriters()]);
    await this.providers.dispose();
    this.close();
  }

  close(): void {
    this.stopWarming.abort();
    this.reader.close();
    void this.imports.closeWriters();
    // First: the studio's connection must be the last to close (it then checkpoints the whole log).
    this.checkpointer.close();
    if (this.db.open) this.db.close();
  }
}
