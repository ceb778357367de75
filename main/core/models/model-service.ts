import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CatalogModel, LocalModel, ModelCheck, ModelsView } from '../../../common/contract';
import type { Clock } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { nodeLlamaCpp } from '../llm/embedded-model';
import { megabytes } from '../profile-text';
import { readGgufFacts } from './gguf-file';
import { readCatalog } from './model-catalog';

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

/** Least time between two `models/progressed` events of one download (ms). */
const PROGRESS_EVERY_MS = 250;

/**
 * Local GGUF models for the embedded runtime (generation and chat on this computer): the curated
 * list downloaded with node-llama-cpp's downloader (ipull under it: parallel pieces, a cut piece
 * retried, an interrupted download continued from its temporary file on the next call), or a
 * file already on disk added in place.
 *
 * What is verified, and how (ModelCheck): a download's sha256 is computed and compared with the
 * list's pinned sha256 when there is one, else with the sha256 the server reports for the file
 * (Hugging Face's `x-linked-etag`, the hash of the LFS object); a mismatch deletes the file, and so
 * does a size other than the server's (`x-linked-size` or content-length). Every
 * file, downloaded or added, must also open as a GGUF with an architecture (gguf-file.ts). A
 * server reporting no hash leaves only that header check, said as `gguf-header`.
 *
 * State: `models.json` in `dir`, the list of local models; rewritten whole (a small file) on change.
 */
export class ModelService {
  private readonly downloading = new Set<string>();

  constructor(
    private readonly options: ModelServiceOptions,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  async list(check = false): Promise<ModelsView> {
    const local = this.local();
    const catalog = this.catalog().map((model) => ({
      ...model,
      installed: local.find((m) => m.id === model.id) ?? null,
    }));
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
    if (this.downloading.has(id)) {
      throw new StudioFailure('conflict', `${model.name} is already downloading. Wait for it to finish.`);
    }
    this.downloading.add(id);
    try {
      const { sha256: serverSha, size: serverSize } = await this.serverFacts(model);
      const file = await this.fetchFile(model);
      const size = fs.statSync(file).size;
      if (serverSize !== null && size !== serverSize) {
        fs.rmSync(file, { force: true });
        throw new StudioFailure(
          'invalid_argument',
          `The downloaded ${model.file} has ${size} bytes, but the server said ${serverSize}, so it was deleted. Download it again.`,
        );
      }
      const sha256 = await sha256Of(file);
      const expected = model.sha256 ?? serverSha;
      if (expected && sha256 !== expected) {
        fs.rmSync(file, { force: true });
        throw new StudioFailure(
          'invalid_argument',
          `The downloaded ${model.file} does not match its checksum (sha256 ${sha256.slice(0, 12)}…, expected ${expected.slice(0, 12)}…), so it was deleted. Download it again; if this repeats, the file on the server has changed or the connection alters it.`,
        );
      }
      const facts = await readGgufFacts(file).catch((error: unknown) => {
        fs.rmSync(file, { force: true });
        throw error;
      });
      const check: ModelCheck = model.sha256 ? 'sha256-pinned' : serverSha ? 'sha256-server' : 'gguf-header';
      return this.remember({
        id: model.id,
        name: model.name,
        path: file,
        sizeBytes: facts.sizeBytes,
        architecture: facts.architecture,
        check,
        sha256,
        addedAt: this.clock.now(),
      });
    } finally {
      this.downloading.delete(id);
    }
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

  /**
   * What the server reports about the file: its sha256 (x-linked-etag, else a 64-hex ETag) and its
   * size (x-linked-size, else content-length), each null when not reported.
   */
  private async serverFacts(model: CatalogModel): Promise<{ sha256: string | null; size: number | null }> {
    let response: Response;
    try {
      // Hugging Face answers a resolve URL with a redirect to its CDN; the hash is on the redirect.
      response = await fetch(model.url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      throw this.unreachable(model, error);
    }
    if (response.status === 404) {
      throw new StudioFailure(
        'not_found',
        `${model.url} answered 404: the file has moved. Download it by hand from the model's page and add it with "Add a .gguf file".`,
      );
    }
    const tag = (response.headers.get('x-linked-etag') ?? response.headers.get('etag') ?? '')
      .replace(/^W\//, '')
      .replace(/"/g, '')
      .toLowerCase();
    const size = Number(response.headers.get('x-linked-size') ?? response.headers.get('content-length') ?? NaN);
    return {
      sha256: /^[0-9a-f]{64}$/.test(tag) ? tag : null,
      size: Number.isSafeInteger(size) && size > 0 ? size : null,
    };
  }

  private async fetchFile(model: CatalogModel): Promise<string> {
    const { createModelDownloader } = await nodeLlamaCpp();
    let last = 0;
    try {
      const downloader = await createModelDownloader({
        modelUri: model.url,
        dirPath: this.options.dir,
        fileName: model.file,
        // Kept on failure, so the next call continues where this one stopped.
        deleteTempFileOnCancel: false,
        parallelDownloads: 4,
        onProgress: ({ downloadedSize, totalSize }) => {
          const now = Date.now();
          if (now - last < PROGRESS_EVERY_MS && downloadedSize < totalSize) return;
          last = now;
          this.events.emit('models/progressed', {
            id: model.id,
            downloadedBytes: downloadedSize,
            totalBytes: totalSize,
          });
        },
      });
      return await downloader.download();
    } catch (error) {
      if (error instanceof StudioFailure) throw error;
      throw this.unreachable(model, error);
    }
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
      `then use Settings › Models › "Add a .gguf file" or \`character-studio models add <file.gguf>\`. Downloads resume where they stopped.`
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
    return 'the address cannot be resolved (no internet connection?)';
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
