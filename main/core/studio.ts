import os from 'node:os';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AppInfo, DatabaseCheck, Door } from '../../common/contract';
import { CharactersRepo } from '../store/characters-repo';
import { openDatabase, type Db } from '../store/database';
import { checkIntegrity } from '../store/integrity';
import { migrations } from '../store/migrations';
import { DatasetSums } from '../store/dataset-sums';
import { ReadWorker } from '../store/read-worker';
import { DatasetRepo } from '../store/dataset-repo';
import { SceneBrowserRepo } from '../store/scene-browser-repo';
import { browsePage } from './dataset/browse';
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
import { DatasetExportService } from './interop/dataset-export';
import { DatasetImportService, IoRequests } from './interop/dataset-import';
import { HostService, type HostServiceOptions } from './training/host-service';
import { defaultPython } from './training/python-location';
import { TrainingService } from './training/training-service';
import { TrainingPreviewService } from './training/preview-service';
import type { CallId, LlmCall } from '../../common/contract';
import { CharacterService } from './character-service';
import { systemClock, type Clock, type IdFactory } from './clock';
import { ensureDataDir } from './data-dir';
import { StudioFailure } from './errors';
import { dispatch, type Handlers, type Outcome } from './dispatch';
import { EventBus } from './events';
import { GenerationService } from './pipeline/generation-service';
import { JobService } from './jobs/job-service';
import { ProfileService } from './profile-service';
import { bundledManuscriptWorker, manuscriptReaderAt } from './manuscripts/manuscript-reader';
import { AppearanceService } from './onboarding/appearance-service';
import { onboardingHandlers } from './onboarding/onboarding-handlers';
import { SampleService } from './onboarding/sample-service';
import { modelHandlers } from './models/model-handlers';
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
import { callRow, startedRow } from './jobs/call-log';
import { EvalRepo } from '../store/eval-repo';
import { evalHandlers, type EvalServices } from './eval/eval-handlers';
import { judgeHandlers } from './eval/judge-handlers';
import { JudgeService } from './eval/judge-service';
import { JudgmentsRepo } from '../store/judgments-repo';
import { InterviewService } from './eval/interview-service';
import { ProfileText } from './eval/profile-text';
import { QuestionGenerator } from './eval/question-generator';
import { QuestionService } from './eval/question-service';
import { SystemService } from './eval/system-service';
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

  constructor(readonly options: StudioOptions) {
    ensureDataDir(options.dataDir);
    this.databasePath = path.join(options.dataDir, DATABASE_FILE);
    this.db = openDatabase(this.databasePath, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
    const clock = options.clock ?? systemClock;
    const newId = options.newId ?? randomUUID;
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
    const sums = new DatasetSums(this.db, this.reader);
    const browser = new SceneBrowserRepo(this.db);
    const filterCounts = new FilterCountsService(this.db, this.reader, characters);
    this.jobsRepo = new JobsRepo(this.db);
    const jobs = new JobService(this.db, this.jobsRepo, providers, this.events, clock, newId);
    this.jobs = jobs;
    const generation = new GenerationService(
      this.db,
      this.jobsRepo,
      dataset,
      profilesRepo,
      characters,
      providers,
      jobs,
      this.events,
      clock,
      newId,
      new PreferencesRepo(this.db),
      sums,
    );
    jobs.recover();
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
        onStart: (record) => jobsRepo.startCall(startedRow(null, record)),
        onCall: (record) => jobsRepo.insertCall(callRow(null, record)),
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
    const exporter = new DatasetExportService(dataset, (id) => characters.get(id), this.events, ioRequests);
    const importer = new DatasetImportService(
      new DatasetImportRepo(this.db),
      (id) => characters.get(id),
      this.events,
      clock,
      newId,
      ioRequests,
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
    const evaluation = this.evaluation(characters, profilesRepo, providers, training, chatRuntimes, clock, newId);
    const reports = new EvalReportService(new EvalReportRepo(this.db), (id) => characters.get(id), clock);

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

    this.handlers = {
      ...chatHandlers(this.chat),
      ...evalHandlers(evaluation),
      ...judgeHandlers(evaluation.judge, reports),
      ...onboardingHandlers(appearance, samples),
      ...modelHandlers(models),
      ...evalReportHandlers(
        reports,
        new OutputsImportService({
          db: this.db,
          repo: new EvalRepo(this.db),
          characters: () => characters.list(),
          clock,
          newId,
          changed: (characterId) => this.events.emit('eval/systems/changed', { characterId }),
        }),
      ),
      'app/info': () => this.info(),
      'app/check-database': () => this.checkDatabase(),
      'characters/list': () => characters.list(),
      'characters/get': ({ id }) => characters.get(id),
      'characters/create': (draft) => characters.create(draft),
      'characters/update': ({ id, ...patch }) => characters.update(id, patch),
      'characters/delete': ({ id }) => characters.delete(id),
      'profiles/list': ({ characterId }) => profiles.list(characterId),
      'profiles/import': (request) => profiles.import(request),
      'profiles/wikipedia': (request) => wikipedia.import(request),
      'characters/image': ({ id }) => characters.image(id),
      'cards/import': (request) => cards.import(request),
      'cards/export': (request) => cards.export(request),
      'profiles/rename': ({ id, title }) => profiles.rename(id, title),
      'profiles/delete': ({ id }) => profiles.delete(id),
      'chunks/update': ({ id, text }) => profiles.updateChunk(id, text),
      'chunks/split': ({ id, offset }) => profiles.split(id, offset),
      'chunks/merge': ({ id }) => profiles.merge(id),
      'chunks/delete': ({ id }) => profiles.deleteChunk(id),
      'providers/presets': () => providers.presets(),
      'providers/list': () => providers.list(),
      'providers/create': (draft) => providers.create(draft),
      'providers/update': ({ id, ...patch }) => providers.update(id, patch),
      'providers/delete': ({ id }) => providers.delete(id),
      'providers/test': (target) => providers.test(target),
      'prices/list': () => providers.prices(),
      'prices/set': (price) => providers.setPrice(price),
      'limits/list': ({ characterId }) => generation.limits(characterId),
      'limits/save': ({ characterId, limits }) => generation.saveLimits(characterId, limits),
      'limits/generate': ({ characterId, providerId }) => generation.generateLimits(characterId, providerId),
      'prompts/list': ({ characterId }) => generation.prompts(characterId),
      'prompts/save': (arg) => generation.savePrompt(arg.characterId, arg.stage, 'reset' in arg ? null : arg),
      'generation/defaults': ({ characterId, preset }) => generation.defaults(characterId, preset),
      'generation/estimate': ({ characterId, settings, more }) =>
        generation.estimateForDoor(characterId, settings, more),
      'generation/start': ({ characterId, settings, more }) => generation.start(characterId, settings, more),
      'generation/preferences': () => generation.runPreferences(),
      'generation/set-preferences': (preferences) => generation.setRunPreferences(preferences),
      'jobs/list': ({ characterId }) => {
        characters.get(characterId);
        return jobs.list(characterId);
      },
      'jobs/get': ({ id }) => jobs.get(id),
      'jobs/pause': ({ id }) => jobs.pause(id),
      'jobs/resume': ({ id }) => jobs.resume(id),
      'jobs/set-budget': ({ id, budgetUsd }) => jobs.setBudget(id, budgetUsd),
      'jobs/cancel': ({ id }) => jobs.cancel(id),
      'jobs/retry': ({ id, itemId }) => jobs.retry(id, itemId),
      'scenes/list': ({ characterId, limit, after, through, sort, ...filter }) => {
        characters.get(characterId);
        return browsePage(browser, characterId, { limit, after, through, sort, filter });
      },
      'scenes/facets': ({ characterId, filter }) => filterCounts.facets(characterId, filter),
      'scenes/get': ({ id }) => {
        const scene = dataset.scene(id);
        if (!scene) throw new StudioFailure('not_found', 'That scene no longer exists.');
        return scene;
      },
      'dataset/stats': ({ characterId }) => {
        characters.get(characterId);
        return sums.stats(characterId);
      },
      'dataset/charts': ({ characterId }) => charts.charts(characterId),
      'dataset/compare': () => charts.compare(),
      'scenes/open': ({ id }) => scenes.open(id),
      'scenes/save': ({ id, baseRevision, doc }) => scenes.save(id, baseRevision, doc),
      'scenes/revisions': ({ id }) => scenes.list(id),
      'scenes/diff': ({ id, from, to }) => scenes.diff(id, from, to),
      'scenes/restore': ({ id, revision, baseRevision }) => scenes.restore(id, revision, baseRevision),
      'scenes/create': ({ characterId, doc }) => scenes.create(characterId, doc),
      'scenes/regenerate': (request) => regenerate.start(request),
      'scenes/proposals': ({ id }) => scenes.proposals(id),
      'scenes/adopt': ({ id, proposalId, baseRevision }) => scenes.adopt(id, proposalId, baseRevision),
      'review/set': ({ characterId, ids, filter, ...change }) =>
        review.set(characterId, { ...(ids && { ids }), ...(filter && { filter }) }, change),
      'review/undo': ({ characterId }) => review.undo(characterId),
      'review/last': ({ characterId }) => review.last(characterId),
      'review/counts': ({ characterId, filter }) => filterCounts.counts(characterId, filter),
      'scenes/complete': ({ characterId, providerId }) => review.complete(characterId, providerId),
      'scenes/delete': ({ characterId, ids }) => review.delete(characterId, ids),
      'dataset/export': (request) => exporter.export(request),
      'dataset/import': (request) => importer.import(request),
      'dataset/io-cancel': ({ requestId }) => ioRequests.cancel(requestId),
      'calls/get': ({ id }) => this.calls(id),
      'hosts/list': () => hosts.list(),
      'hosts/save': (draft) => hosts.save(draft),
      'hosts/delete': ({ id }) => hosts.delete(id),
      'hosts/test': ({ id }) => hosts.test(id),
      'hosts/trust': ({ id, fingerprint }) => hosts.trust(id, fingerprint),
      'training/options': () => training.baseModels(),
      'training/doctor': ({ python }) => training.doctor(python),
      'training/setup': ({ basePython }) => training.setupPython(basePython),
      'training/estimate': ({ characterId, config }) => training.estimate(characterId, config),
      'training/start': ({ characterId, config }) => training.start(characterId, config),
      'training/list': ({ characterId }) => training.list(characterId),
      'training/get': ({ id }) => training.get(id),
      'training/stop': ({ id }) => training.stop(id),
      'training/resume': ({ id }) => training.resume(id),
      'training/cancel': ({ id }) => training.cancel(id),
      'training/export': ({ id, merged, gguf, ollamaName }) =>
        training.export(id, { merged, gguf, ...(ollamaName && { ollamaName }) }),
      'training/check-model': ({ baseModel, target }) => ({ problem: training.baseModelProblem(baseModel, target) }),
      'training/serve': ({ id, others }) => training.serve(id, others ?? 'keep'),
      'training/served': () => training.served(),
      'training/export-cancel': ({ id }) => training.cancelExport(id),
      'training/prepare-chat': ({ id }) => training.prepareChat(id),
      'training/serve-stop': ({ id }) => training.stopServing(id),
      'training/preview': (request) => previews.preview(request),
      'training/cached-models': () => previews.cachedModels(),
    } satisfies Handlers;
  }

  /** Question sets, systems and interviews (issue 12), on the job engine and the chat runtimes. */
  private evaluation(
    characters: CharacterService,
    profiles: ProfilesRepo,
    providers: ProviderService,
    training: TrainingService,
    runtimes: ChatRuntimes,
    clock: Clock,
    newId: IdFactory,
  ): EvalServices & { judge: JudgeService } {
    const repo = new EvalRepo(this.db);
    const profile = new ProfileText(profiles);
    const questions = new QuestionService(this.db, repo, (id) => characters.get(id), this.events, clock, newId);
    const systems = new SystemService(
      repo,
      characters,
      { run: (id) => training.get(id), provider: (id) => providers.get(id) },
      this.events,
      clock,
      newId,
    );
    const interviews = new InterviewService(
      this.db,
      repo,
      this.jobsRepo,
      characters,
      questions,
      systems,
      profile,
      {
        runtimeFor: (target, kind) => runtimes.runtimeFor(target, kind),
        provider: (id) => providers.get(id),
        instanceFor: (id, model) => providers.instanceFor(id, model),
      },
      this.jobs,
      this.events,
      clock,
      newId,
    );
    const generator = new QuestionGenerator(characters, providers, this.jobsRepo, profile, questions, newId);
    // The judge reads what the interviews wrote, through the same profile text and setting.
    const judge = new JudgeService(
      this.db,
      this.jobsRepo,
      new JudgmentsRepo(this.db),
      repo,
      characters,
      profile,
      this.jobs,
      this.events,
      clock,
      newId,
    );
    return { questions, generator, systems, interviews, judge };
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

  /** Every attempt of one LLM call, oldest first. */
  calls(id: CallId): LlmCall[] {
    const rows = this.jobsRepo.calls(id);
    if (rows.length === 0) throw new StudioFailure('not_found', 'No record of that LLM call.');
    return rows.map((r) => ({
      id: r.id as CallId,
      jobId: r.job_id as LlmCall['jobId'],
      attempt: r.attempt,
      provider: r.provider,
      model: r.response_model ?? r.model,
      params: JSON.parse(r.params) as Record<string, unknown>,
      messages: JSON.parse(r.messages) as LlmCall['messages'],
      response: r.response,
      finishReason: r.finish_reason,
      promptTokens: r.prompt_tokens,
      completionTokens: r.completion_tokens,
      costUsd: r.cost_usd,
      latencyMs: r.latency_ms,
      error: r.error,
      startedAt: r.started_at,
      status: r.status ?? 'done',
    }));
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
    await Promise.all([this.jobs.shutdown(), this.training.shutdown()]);
    await this.providers.dispose();
    this.close();
  }

  close(): void {
    this.reader.close();
    if (this.db.open) this.db.close();
  }
}
