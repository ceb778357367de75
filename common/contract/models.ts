/** Local GGUF models for the embedded runtime: a curated list to download, or files added by hand. Types only. */

/** A model of the curated list (resources/models/catalog.json). */
export interface CatalogModel {
  id: string;
  name: string;
  /** File name on disk. */
  file: string;
  /** Where it downloads from: `<download base>/<repo>/resolve/<revision or main>/<file>`. */
  url: string;
  /** The repository commit the URL is pinned to, or null (the `main` branch, which may change). */
  revision: string | null;
  /** Size of the file in bytes: exact when `sha256` is pinned, else approximate. */
  sizeBytes: number;
  licence: string;
  goodFor: string;
  /**
   * Pinned sha256 of the file (from a public source), or null when none was found: then the
   * download is checked against the sha256 and size the host reports.
   */
  sha256: string | null;
}

/** What a stopped download kept on disk: the next download of the model continues from it. */
export interface PartialDownload {
  /** The temporary file (`<file>.ipull` in the models folder). */
  path: string;
  /** Bytes already complete (whole 5 MB pieces). */
  downloadedBytes: number;
  totalBytes: number;
}

/** A model of the list as Settings › Models shows it. */
export interface CatalogEntryView extends CatalogModel {
  installed: LocalModel | null;
  /** A download of it is running in this studio now. */
  downloading: boolean;
  /** What a stopped download kept (null when none, or when installed). */
  partial: PartialDownload | null;
}

/**
 * How a model file on disk was checked: against the list's pinned sha256, against the sha256 the
 * server reported for it (Hugging Face's x-linked-etag), or only by its size and GGUF header (a file
 * added by hand, or a server that reports no hash).
 */
export type ModelCheck = 'sha256-pinned' | 'sha256-server' | 'gguf-header';

export interface LocalModel {
  /** The catalog id, or `file:<name>` for a file added by hand. */
  id: string;
  name: string;
  /** Absolute path of the .gguf file. */
  path: string;
  sizeBytes: number;
  /** The GGUF's `general.architecture` (llama, qwen2…). */
  architecture: string;
  check: ModelCheck;
  /** sha256 of the file when it was computed (downloads), else null. */
  sha256: string | null;
  addedAt: number;
}

export interface ModelsView {
  /** Where downloads go. */
  dir: string;
  catalog: CatalogEntryView[];
  /** Every usable model file: downloads and files added by hand. */
  local: LocalModel[];
  /**
   * When `check` was asked and the download base did not answer: why, and how to add a model by
   * hand instead. Null when reachable or not checked.
   */
  offline: string | null;
}

export interface ModelCommands {
  /** `check`: also try the download base (a HEAD request, a few seconds at most) to say whether downloads can work. */
  'models/list': (arg: { check?: boolean }) => ModelsView;
  /**
   * Downloads a catalog model with node-llama-cpp's downloader (progress in `models/progressed`;
   * a cut connection is retried from the start of the 5 MB piece it cut), then checks it (see
   * ModelCheck). A stopped or failed download keeps its temporary file (`partial` in the list), and
   * the next call continues from it with Range requests. A file that fails the check is deleted; a
   * host whose reported sha256 or size differs from the list's pin is refused before any transfer.
   * Fails with `conflict` when `models/cancel` stopped it.
   */
  'models/download': (arg: { id: string }) => LocalModel;
  /**
   * Stops a running download of `id`, keeping what it fetched for the next `models/download`;
   * resolves once the temporary file is closed. `cancelled`: false when none was running.
   */
  'models/cancel': (arg: { id: string }) => { cancelled: boolean; partial: PartialDownload | null };
  /** Adds a .gguf already on this computer, in place (not copied), after checking its header. */
  'models/add': (arg: { path: string }) => LocalModel;
  /** Forgets a model; a downloaded file is deleted, a file added by hand is left where it is. */
  'models/remove': (arg: { id: string }) => { removed: true };
}

export interface ModelEvents {
  'models/progressed': { id: string; downloadedBytes: number; totalBytes: number };
  'models/changed': Record<string, never>;
}
