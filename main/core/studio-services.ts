import os from 'node:os';
import path from 'node:path';
import { CharactersRepo } from '../store/characters-repo';
import { DatasetSums } from '../store/dataset-sums';
import { sweepOrphanStages } from '../store/import-stage-files';
import { DatasetRepo } from '../store/dataset-repo';
import { SceneBrowserRepo } from '../store/scene-browser-repo';
import { SceneRevisionsRepo } from '../store/scene-revisions-repo';
import { JobsRepo } from '../store/jobs-repo';
import { ProfilesRepo } from '../store/profiles-repo';
import { ProfileText } from './eval/profile-text';
import { PromptsRepo } from '../store/prompts-repo';
import { ProvidersRepo } from '../store/providers-repo';
import { HostsRepo } from '../store/hosts-repo';
import { TrainingLogRepo } from '../store/training-log-repo';
import { TrainingRepo } from '../store/training-repo';
import { PreferencesRepo } from '../store/preferences-repo';
import { ReviewRepo } from '../store/review-repo';
import { DatasetChartsRepo } from '../store/dataset-charts-repo';
import { ConversationsRepo } from '../store/conversations-repo';
import { EvalReportRepo } from '../store/eval-report-repo';
import { EvalRepo } from '../store/eval-repo';
import { SceneService } from './dataset/scene-service';
import { RegenerateService } from './dataset/regenerate-service';
import { ReviewService } from './dataset/review-service';
import { FilterCountsService } from './dataset/filter-counts-service';
import { DatasetChartsService } from './dataset/charts-service';
import { DatasetExportService } from './interop/dataset-export';
import { DatasetImportService, IoRequests } from './interop/dataset-import';
import { HostService } from './training/host-service';
import { defaultPython } from './training/python-location';
import { TrainingService } from './training/training-service';
import { TrainingPreviewService } from './training/preview-service';
import { CharacterService } from './character-service';
import { systemClock } from './clock';
import { timeOrderedId } from './ids';
import type { EventBus } from './events';
import { DEFAULT_SETTINGS, GenerationService } from './pipeline/generation-service';
import { LimitsService } from './pipeline/limits-service';
import { PromptBuilder } from './pipeline/prompt-builder';
import { PromptService } from './pipeline/prompt-service';
import { JobService } from './jobs/job-service';
import { callRow, startedRow } from './jobs/call-log';
import { ProfileService } from './profile-service';
import { bundledManuscriptWorker, manuscriptReaderAt } from './manuscripts/manuscript-reader';
import { AppearanceService } from './onboarding/appearance-service';
import { SampleService } from './onboarding/sample-service';
import { DEFAULT_MODEL_BASE_URL } from './models/model-catalog';
import { ModelService } from './models/model-service';
import { FileSecretStore } from './providers/secret-store';
import { ProviderService } from './providers/provider-service';
import { ChatService } from './chat/chat-service';
import { ChatRuntimes } from './chat/chat-runtimes';
import { OutputsImportService } from './eval/outputs-import';
import { EvalReportService } from './eval/report-service';
import { evaluationServices } from './eval/eval-services';
import { CardService } from './cards/card-service';
import { WIKIPEDIA_API } from './wikipedia/article';
import { WikipediaService } from './wikipedia/wikipedia-service';
import type { StudioOptions } from './studio-options';
import type { StudioStore } from './studio-store';

/** Every service of the studio, as `studioServices` builds them; the handlers table reads them all. */
export type StudioServices = ReturnType<typeof studioServices>;

/**
 * Builds the studio's services on its opened store (each given what it uses, nothing global), and
 * runs their start-up as it goes: jobs a crash or quit left running become `interrupted`, remote
 * training runs are re-attached (not by the CLI), chats recovered, an import cut short undone.
 */
export function studioServices(store: StudioStore, options: StudioOptions, events: EventBus) {
  const { db } = store;
  const clock = options.clock ?? systemClock;
  const newId = options.newId ?? timeOrderedId;
  const characters = new CharacterService(new CharactersRepo(db), events, clock, newId);
  const profilesRepo = new ProfilesRepo(db);
  const profiles = new ProfileService(
    db,
    profilesRepo,
    characters,
    events,
    clock,
    newId,
    manuscriptReaderAt(options.manuscriptWorker ?? bundledManuscriptWorker()),
  );
  const secrets = options.secrets ?? new FileSecretStore(path.join(options.dataDir, 'secrets.json'));
  const providers = new ProviderService(new ProvidersRepo(db), secrets, events, clock, newId, {
    ...(options.embeddedThreads !== undefined && { embeddedThreads: options.embeddedThreads }),
  });
  const dataset = new DatasetRepo(db);
  const sums = new DatasetSums(db, store.reader);
  const browser = new SceneBrowserRepo(db);
  const filterCounts = new FilterCountsService(db, store.reader, characters);
  const jobsRepo = new JobsRepo(db, { generation: DEFAULT_SETTINGS });
  const jobs = new JobService(db, jobsRepo, providers, events, clock, newId, options.jobRetry);
  const promptsRepo = new PromptsRepo(db);
  const promptBuilder = new PromptBuilder(dataset, profilesRepo, promptsRepo);
  const generation = new GenerationService(
    db,
    jobsRepo,
    dataset,
    promptBuilder,
    characters,
    providers,
    jobs,
    events,
    clock,
    newId,
    new PreferencesRepo(db),
    sums,
  );
  const prompts = new PromptService(promptsRepo, (id) => characters.get(id), clock, newId);
  const limits = new LimitsService(
    db,
    jobsRepo,
    dataset,
    (id) => characters.get(id),
    providers,
    promptBuilder,
    events,
    clock,
    newId,
  );
  jobs.recover();
  // Windows (desktop, serve) show live the jobs a terminal runs beside them; a CLI command has none.
  if (options.door !== 'cli') jobs.watchOtherRuns();
  const review = new ReviewService(new ReviewRepo(db), dataset, characters, generation, events, clock, newId);
  const appRoot = options.appRoot ?? process.cwd();
  const trainerDir = options.trainerDir ?? path.join(appRoot, 'resources', 'trainer');
  const hosts = new HostService(new HostsRepo(db), secrets, events, clock, newId, {
    dataDir: options.dataDir,
    trainerDir,
    ...options.remote,
  });
  const training = new TrainingService(
    new TrainingRepo(db),
    new TrainingLogRepo(db),
    dataset,
    characters,
    events,
    clock,
    newId,
    { dataDir: options.dataDir, trainerDir, defaultPython: defaultPython(options.dataDir, appRoot) },
    hosts,
    sums,
  );
  training.recover({ reattachRemote: options.door !== 'cli' });
  const scenes = new SceneService(
    dataset,
    new SceneRevisionsRepo(db),
    (id) => characters.get(id),
    events,
    clock,
    newId,
  );
  const charts = new DatasetChartsService(new DatasetChartsRepo(db), (id) => characters.get(id));
  const previews = new TrainingPreviewService(
    (id) => scenes.open(id),
    (id) => characters.get(id),
    clock,
    { trainerDir, defaultPython: defaultPython(options.dataDir, appRoot) },
  );
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
  const chat = new ChatService({
    repo: new ConversationsRepo(db),
    runtimes: chatRuntimes,
    characters,
    profile: new ProfileText(profilesRepo),
    runs: training,
    providers,
    scenes: { get: (id) => dataset.scene(id) ?? null, create: (id, doc, origin) => scenes.create(id, doc, origin) },
    events,
    clock,
    newId,
  });
  chat.recover();
  const ioRequests = new IoRequests();
  const exporter = new DatasetExportService(dataset, (id) => characters.get(id), events, ioRequests, sums);
  // An import the last stop of the studio cut short mid-copy leaves nothing (see DatasetImportService.copy).
  store.imports.undoInterrupted();
  // And the scratch files such a stop left in the temporary folder (off the event loop; best effort).
  void sweepOrphanStages().catch(() => undefined);
  const importer = new DatasetImportService(
    store.imports,
    (id) => characters.get(id),
    events,
    clock,
    newId,
    ioRequests,
    undefined,
    store.checkpointer,
  );
  const regenerate = new RegenerateService(db, jobsRepo, characters, generation, scenes, jobs, events, clock, newId);
  const evaluation = evaluationServices({
    db,
    jobsRepo,
    jobs,
    events,
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
  const appearance = new AppearanceService(new PreferencesRepo(db), events, clock);
  const models = new ModelService(
    {
      dir: path.join(options.dataDir, 'models'),
      catalogFile: path.join(options.modelCatalogDir ?? path.join(appRoot, 'resources', 'models'), 'catalog.json'),
      baseUrl: options.modelBaseUrl ?? process.env.CHARACTER_STUDIO_MODEL_BASE_URL ?? DEFAULT_MODEL_BASE_URL,
    },
    events,
    clock,
  );

  const reports = new EvalReportService(new EvalReportRepo(db), (id) => characters.get(id), clock);
  const outputs = new OutputsImportService({
    db,
    repo: new EvalRepo(db),
    characters: () => characters.list(),
    clock,
    newId,
    changed: (characterId) => events.emit('eval/systems/changed', { characterId }),
  });
  return {
    characters,
    profiles,
    wikipedia,
    cards,
    providers,
    dataset,
    browser,
    filterCounts,
    sums,
    charts,
    jobsRepo,
    jobs,
    generation,
    prompts,
    limits,
    scenes,
    regenerate,
    review,
    ioRequests,
    exporter,
    importer,
    hosts,
    training,
    previews,
    chat,
    evaluation,
    reports,
    outputs,
    appearance,
    samples,
    models,
  };
}
