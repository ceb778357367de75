import type { Door } from '../../common/contract';
import type { OpenOptions } from '../store/database';
import type { Clock, IdFactory } from './clock';
import type { JobRetryTiming } from './jobs/job-calls';
import type { SecretStore } from './providers/secret-store';
import type { HostServiceOptions } from './training/host-service';

/** What a door opens the studio with (studio.ts): the data folder, the door, and what tests and packaging change. */
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
