import type { AppInfo, DatabaseCheck } from '../../common/contract';
import type { Db } from '../store/database';
import type { WarmResult } from '../store/file-warmer';
import { checkIntegrity } from '../store/integrity';
import { migrations } from '../store/migrations';
import type { WalCheckpointer } from '../store/wal-checkpointer';
import type { ChatService } from './chat/chat-service';
import { dispatch, type Handlers, type Outcome } from './dispatch';
import { EventBus } from './events';
import type { JobService } from './jobs/job-service';
import { MANUSCRIPT_LIMITS } from './manuscripts/limits';
import type { GenerationService } from './pipeline/generation-service';
import { MAX_CHUNK_CHARS, MAX_PROFILE_BYTES } from './profile-text';
import type { ProviderService } from './providers/provider-service';
import { studioHandlers } from './studio-handlers';
import type { StudioOptions } from './studio-options';
import { studioServices } from './studio-services';
import type { TrainingPreviewService } from './training/preview-service';
import { StudioStore } from './studio-store';
import type { HostService } from './training/host-service';
import type { TrainingService } from './training/training-service';

export type { StudioOptions } from './studio-options';
export { DATABASE_FILE, pendingDatabaseCheck, pendingDatabaseUpgrade } from './studio-store';

/**
 * The core behind every door: opens the store in the data folder (studio-store.ts), builds the
 * services (studio-services.ts) and exposes the contract as `handlers` (studio-handlers.ts) plus
 * `invoke` (validated) and `events`.
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
  /** The training preview, with its warm trainer processes (stopped at shutdown). */
  readonly previews: TrainingPreviewService;
  /** The database file warming as the studio opens (`StudioStore.cacheWarmed`); null for the CLI. */
  readonly cacheWarmed: Promise<WarmResult> | null;
  /** Copies the write-ahead log into the database file on a thread of its own (store/wal-checkpointer.ts). */
  readonly checkpointer: WalCheckpointer;
  private readonly store: StudioStore;

  constructor(readonly options: StudioOptions) {
    this.store = new StudioStore(options);
    this.db = this.store.db;
    this.databasePath = this.store.databasePath;
    this.cacheWarmed = this.store.cacheWarmed;
    this.checkpointer = this.store.checkpointer;
    const services = studioServices(this.store, options, this.events);
    this.generation = services.generation;
    this.jobs = services.jobs;
    this.previews = services.previews;
    this.providers = services.providers;
    this.training = services.training;
    this.hosts = services.hosts;
    this.chat = services.chat;
    this.handlers = studioHandlers(services, this);
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
    await Promise.all([
      this.jobs.shutdown(),
      this.training.shutdown(),
      this.store.imports.closeWriters(),
      this.previews.close(),
    ]);
    await this.providers.dispose();
    this.close();
  }

  /** Ends the preview's trainers, writes the training logs still waiting, ends the store's threads and closes the database (`StudioStore.close`). */
  close(): void {
    this.previews.kill();
    this.training.flushLogs();
    this.store.close();
  }
}
