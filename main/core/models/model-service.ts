import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {
  CatalogEntryView,
  CatalogModel,
  LocalModel,
  ModelCheck,
  ModelsView,
  PartialDownload,
} from '../../../common/contract';
import type { Clock } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { megabytes } from '../profile-text';
import { readGgufFacts } from './gguf-file';
import { readCatalog } from './model-catalog';
import { readPartial, serverFacts, startTransfer, type ServerFacts, type Transfer } from './model-download';

export interface ModelServiceOptions {
  /** Downloads and the list of models (`models.json`) live here: `<data dir>/models`. */
  dir: string;
  /** resources/models/catalog.json */
  catalogFile: string;
  /** Hugging Face, or a mirror; tests point it at a local server. */
  baseUrl: string;
  /** Longest wait for the reachability check of `models/list` (ms). */
  checkTimeoutMs?: number;
}

/** A download in progress: its transfer once started, whether a stop was asked, and when it ended. */
interface Run {
  transfer: Transfer | null;
  stopped: boolean;
  settled: Promise<void>;
}

/**
 * Local GGUF models for the embedded runtime (generation and chat on this computer): the curated
 * list downloaded with node-llama-cpp's downloader (model-download.ts: parallel pieces, a cut piece
 * retried, a stopped download continued from its temporary file on the next call), or a file
 * already on disk added in place. `cancel` stops a download and keeps what it fetched.
 *
 * What is verified, and how (ModelCheck): a download's sha256 and size are compared with the
 * list's pinned ones when it pins them, else with those the server reports for the file (Hugging
 * Face's `x-linked-etag`, the hash of the LFS object, and `x-linked-size` or content-length); a
 * mismatch deletes the file. A host reporting another sha256 or size than the pin is refused before
 * any transfer. Every file, downloaded or added, must also open as a GGUF with an architecture
 * (gguf-file.ts). A server reporting no hash leaves only the size and header checks (`gguf-header`).
 *
 * State: `models.json` in `dir`, the list of local models; rewritten whole (a small file) on change.
 */
export class ModelService {
  private readonly running = new Map<string, Run>();

  constructor(
    private readonly options: ModelServiceOptions,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  async list(check = false): Promise<ModelsView> {
    const local = this.local();
    const catalog = this.catalog().map((model): CatalogEntryView => {
      const installed = local.find((m) => m.id === model.id) ?? null;
      return {
        ...model,
        installed,
        downloading: this.running.has(model.id),
        partial: installed ? null : readPartial(this.options.dir, model.file),
      };
    });
    return {
      dir: this.options.dir,
      catalog,
      local,
      offline: check ? await this.reachability() : null,
    };
  }

  async download(id: string): Promise<LocalModel> {
    const model = this.catalog().find((m) => m.id === id);
    if (!model) {
      throw new StudioFailure(
        'not_found',
        `There is no model "${id}" in the list. See \`character-studio models list\`; to use another model, add its .gguf file with \`models add <file>\`.`,
      );
    }
    const installed = this.local().find((m) => m.id === id);
    if (installed && fs.existsSync(installed.path)) return installed;
    if (this.running.has(id)) {
      throw new StudioFailure('conflict', `${model.name} is already downloading. Wait for it to finish, or cancel it.`);
    }
    const run: Run = { transfer: null, stopped: false, settled: Promise.resolve() };
    let settle = () => {};
    run.settled = new Promise<void>((resolve) => (settle = resolve));
    this.running.set(id, run);
    this.events.emit('models/changed', {});
    try {
      const facts = await serverFacts(model, (error) => this.unreachable(model, error));
      this.refuseChangedHost(model, facts);
      const resumed = readPartial(this.options.dir, model.file) !== null;
      const file = await this.fetchFile(model, run);
      try {
        return await this.verify(model, file, facts);
      } catch (error) {
        // A download continued from kept pieces that then fails its checks is fetched whole once
        // more: a process killed mid-download can leave a piece recorded as complete whose bytes
        // never reached the file. `verify` deleted the file, so this try starts from nothing.
        if (!resumed || !(error instanceof StudioFailure) || error.code !== 'invalid_argument') throw error;
        return await this.verify(model, await this.fetchFile(model, run), facts);
      }
    } finally {
      this.running.delete(id);
      settle();
      this.events.emit('models/changed', {});
    }
  }

  /** Stops the download of `id` (see `models/cancel`). */
  async cancel(id: string): Promise<{ cancelled: boolean; partial: PartialDownload | null }> {
    const run = this.running.get(id);
    const file = this.catalog().find((m) => m.id === id)?.file;
    if (run) {
      run.stopped = true;
      await run.transfer?.stop();
      await run.settled;
    }
    return { cancelled: run !== undefined, partial: file ? readPartial(this.options.dir, file) : null };
  }

  async add(file: string): Promise<LocalModel> {
    const absolute = path.resolve(file);
    const facts = await readGgufFacts(absolute);
    const existing = this.local().find((m) => m.path === absolute);
    if (existing) return existing;
    const base = path.basename(absolute);
    return this.remember({
      id: `file:${base}`,
      name: facts.name ?? base.replace(/\.gguf$/i, ''),
      path: absolute,
      sizeBytes: facts.sizeBytes,
      architecture: facts.architecture,
      check: 'gguf-header',
      sha256: null,
      addedAt: this.clock.now(),
    });
  }

  remove(id: string): { removed: true } {
    const models = this.local();
    const model = models.find((m) => m.id === id);
    if (!model)
      throw new StudioFailure('not_found', `There is no local model "${id}". See \`character-studio models list\`.`);
    // Only files the studio downloaded are deleted; a file added by hand stays where the user keeps it.
    if (path.dirname(model.path) === path.resolve(this.options.dir)) fs.rmSync(model.path, { force: true });
    this.save(models.filter((m) => m.id !== id));
    this.events.emit('models/changed', {});
    return { removed: true };
  }

  private catalog(): CatalogModel[] {
    return readCatalog(this.options.catalogFile, this.options.baseUrl);
  }

  private get registry(): string {
    return path.join(this.options.dir, 'models.json');
  }

  /** Local models whose files still exist (one moved away by hand drops out of the list). */
  private local(): LocalModel[] {
    if (!fs.existsSync(this.registry)) return [];
    const models = JSON.parse(fs.readFileSync(this.registry, 'utf8')) as LocalModel[];
    return models.filter((m) => fs.existsSync(m.path));
  }

  private save(models: LocalModel[]): void {
    fs.mkdirSync(this.options.dir, { recursive: true });
    const temp = `${this.registry}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(models, null, 1));
    fs.renameSync(temp, this.registry);
  }

  private remember(model: LocalModel): LocalModel {
    this.save([...this.local().filter((m) => m.id !== model.id && m.path !== model.path), model]);
    this.events.emit('models/changed', {});
    return model;
  }

  /** A pinned file the host now reports differently was changed upstream: refused before any transfer. */
  private refuseChangedHost(model: CatalogModel, facts: ServerFacts): void {
    if (!model.sha256) return;
    const sha = facts.sha256 !== null && facts.sha256 !== model.sha256;
    const size = facts.size !== null && facts.size !== model.sizeBytes;
    if (!sha && !size) return;
    throw new StudioFailure(
      'invalid_argument',
      `${new URL(model.url).host} offers a ${model.file} that is not the file the list pins (${
        sha
          ? `its sha256 is ${facts.sha256!.slice(0, 12)}…, the list's ${model.sha256.slice(0, 12)}…`
          : `${facts.size} bytes, the list's ${model.sizeBytes}`
      }), so nothing was downloaded. The file was replaced upstream, or a mirror serves another one: check the model's page, then download it by hand and add it with "Add a .gguf file".`,
    );
  }

  /** Fetches the file; a stop (models/cancel) ends it with a `conflict` failure saying what was kept. */
  private async fetchFile(model: CatalogModel, run: Run): Promise<string> {
    if (run.stopped) throw this.stoppedFailure(model);
    let file: string | null;
    try {
      run.transfer = await startTransfer(model, this.options.dir, (downloadedBytes, totalBytes) =>
        this.events.emit('models/progressed', { id: model.id, downloadedBytes, totalBytes }),
      );
      if (run.stopped) await run.transfer.stop();
      file = await run.transfer.done;
    } catch (error) {
      if (error instanceof StudioFailure) throw error;
      if (!run.stopped) throw this.unreachable(model, error);
      file = null;
    }
    if (file === null || run.stopped) throw this.stoppedFailure(model);
    return file;
  }

  private stoppedFailure(model: CatalogModel): StudioFailure {
    const kept = readPartial(this.options.dir, model.file);
    return new StudioFailure(
      'conflict',
      `The download of ${model.name} was stopped. ${
        kept
          ? `${sizeText(kept.downloadedBytes)} of ${sizeText(kept.totalBytes)} are kept in ${kept.path}; downloading it again continues from there`
          : 'Nothing complete was kept yet; downloading it again starts from the beginning'
      } (Settings › Models, or \`character-studio models download ${model.id}\`).`,
    );
  }

  /**
   * Checks a fetched file: its size (the pinned one, else the host's), its sha256 (the pinned one,
   * else the host's) and its GGUF header; a file failing any check is deleted.
   */
  private async verify(model: CatalogModel, file: string, facts: ServerFacts): Promise<LocalModel> {
    const size = fs.statSync(file).size;
    const expectedSize = model.sha256 ? model.sizeBytes : facts.size;
    if (expectedSize !== null && size !== expectedSize) {
      fs.rmSync(file, { force: true });
      throw new StudioFailure(
        'invalid_argument',
        `The downloaded ${model.file} has ${size} bytes, but ${model.sha256 ? 'the list pins' : 'the server said'} ${expectedSize}, so it was deleted. Download it again.`,
      );
    }
    const sha256 = await sha256Of(file);
    const expected = model.sha256 ?? facts.sha256;
    if (expected && sha256 !== expected) {
      fs.rmSync(file, { force: true });
      throw new StudioFailure(
        'invalid_argument',
        `The downloaded ${model.file} does not match its checksum (sha256 ${sha256.slice(0, 12)}…, expected ${expected.slice(0, 12)}… ${model.sha256 ? 'as the list pins' : 'as the server reports'}), so it was deleted. Download it again; if this repeats, the file on the server has changed or the connection alters it.`,
      );
    }
    const gguf = await readGgufFacts(file).catch((error: unknown) => {
      fs.rmSync(file, { force: true });
      throw error;
    });
    const check: ModelCheck = model.sha256 ? 'sha256-pinned' : facts.sha256 ? 'sha256-server' : 'gguf-header';
    return this.remember({
      id: model.id,
      name: model.name,
      path: file,
      sizeBytes: gguf.sizeBytes,
      architecture: gguf.architecture,
      check,
      sha256,
      addedAt: this.clock.now(),
    });
  }

  private unreachable(model: CatalogModel, error: unknown): StudioFailure {
    return new StudioFailure(
      'unavailable',
      `${model.name} could not be downloaded: ${reason(error)}. ${this.byHand()}`,
    );
  }

  private byHand(): string {
    return (
      `To add a model by hand: download its .gguf file on a machine with internet (the list gives each URL), copy it here, ` +
      `then use Settings › Models › "Add a .gguf file" or \`character-studio models add <file.gguf>\`. A download that stops keeps what it fetched, and the next one continues from there.`
    );
  }

  /** Null when the download base answers; else why not and what to do. */
  private async reachability(): Promise<string | null> {
    try {
      await fetch(this.options.baseUrl, {
        method: 'HEAD',
        signal: AbortSignal.timeout(this.options.checkTimeoutMs ?? 3_000),
      });
      return null;
    } catch (error) {
      return `Downloads cannot work now: ${new URL(this.options.baseUrl).host} cannot be reached (${reason(error)}). ${this.byHand()}`;
    }
  }
}

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN')
    return 'the address cannot be resolved: no internet connection?';
  if (cause?.code === 'ECONNREFUSED') return 'the connection was refused';
  if (error.name === 'TimeoutError' || cause?.code === 'ETIMEDOUT') return 'no answer in time';
  return cause?.message ?? error.message;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of fs.createReadStream(file)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/** For messages: "1.1 GB". */
export function sizeText(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : megabytes(bytes);
}
