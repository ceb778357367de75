/** Local GGUF models for the embedded runtime: a curated list to download, or files added by hand. Types only. */

/** A model of the curated list (resources/models/catalog.json). */
export interface CatalogModel {
  id: string;
  name: string;
  /** File name on disk. */
  file: string;
  /** Where it downloads from (the download base + the list's path). */
  url: string;
  /** Approximate size of the file, bytes. */
  sizeBytes: number;
  licence: string;
  goodFor: string;
  /** Pinned sha256 of the file, or null: then the server's reported sha256 is checked. */
  sha256: string | null;
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
  catalog: (CatalogModel & { installed: LocalModel | null })[];
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
   * a cut connection is retried from the start of the 5 MB piece it cut; the temporary file is kept
   * on failure for the next call to continue from), then checks it (see ModelCheck). A file that
   * fails the check is deleted.
   */
  'models/download': (arg: { id: string }) => LocalModel;
  /** Adds a .gguf already on this computer, in place (not copied), after checking its header. */
  'models/add': (arg: { path: string }) => LocalModel;
  /** Forgets a model; a downloaded file is deleted, a file added by hand is left where it is. */
  'models/remove': (arg: { id: string }) => { removed: true };
}

export interface ModelEvents {
  'models/progressed': { id: string; downloadedBytes: number; totalBytes: number };
  'models/changed': Record<string, never>;
}
