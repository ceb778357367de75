/** Datasets in and out of the studio, in the formats other tools read. Types only. */

import type { CharacterId } from './base';
import type { SceneKind } from './review';

/**
 * Formats a dataset leaves in (and comes back from):
 * - `paper`: the paper's SFT lines `{prompt, output, source}` (METHOD.md §2, byte for byte);
 * - `sharegpt`: `{conversations: [{from, value}]}` lines;
 * - `openai`: OpenAI chat fine-tuning lines `{messages: [{role, content}]}`;
 * - `alpaca`: `{instruction, input, output, system}` lines;
 * - `hf`: a Hugging Face dataset folder (`data/<split>.jsonl` in the openai shape, README.md card).
 */
export type DatasetFormat = 'paper' | 'sharegpt' | 'openai' | 'alpaca' | 'hf';

/**
 * What an import reads: the export formats, the paper's generated JSON lists
 * (`paper-dialogue`: generated_agent_dialogue / _hallucination, `paper-scenes`:
 * generated_agent_scene), or `auto` (from the file's name and first item).
 */
export type ImportFormat = DatasetFormat | 'paper-dialogue' | 'paper-scenes' | 'auto';

/**
 * Which scenes an export takes, by how they came to be: generated (or imported) `normal` ones,
 * `protective` ones, `hand`-written ones, and `chat_correction`s (a chat reply a person rewrote).
 */

export interface DatasetExportRequest {
  /** One or more characters; each scene's meta prompt names its own character. */
  characterIds: CharacterId[];
  format: DatasetFormat;
  /** A folder (created when missing, must be empty or hold an earlier export) on the studio's machine. */
  out: string;
  /** Absent: every kind. */
  kinds?: SceneKind[];
  /** Share of scenes in the train split, (0, 1]; 1 writes no validation split. Default 1. */
  trainShare?: number;
  /** Seed of the split: the same seed and scenes give the same split. Default 42. */
  seed?: number;
  /**
   * Scenes whose experience has format problems are left out unless this is true; then they go in
   * under the training export's rule (other speakers' thinking left out).
   */
  includeProblems?: boolean;
  /** The dataset card's licence (an SPDX id or `other`). Default `other`. */
  licence?: string;
  /** Names this export in `dataset/io-progress` events and for `dataset/io-cancel`. */
  requestId?: string;
}

export interface ExportedFile {
  /** Absolute path. */
  path: string;
  /** `train` / `validation` for data, `config` for the tool configs and the card. */
  role: 'train' | 'validation' | 'config';
  /** Data lines in the file (0 for configs). */
  items: number;
}

export interface DatasetExportReport {
  format: DatasetFormat;
  out: string;
  files: ExportedFile[];
  /** Scenes written, per split and per kind. */
  train: number;
  validation: number;
  byKind: Record<SceneKind, number>;
  /** Scenes read (accepted and unreviewed, of the chosen kinds). */
  read: number;
  /** Left out because their experience has format problems (see `includeProblems`). */
  skippedForProblems: number;
  /** Left out because they cannot be training examples (no experience yet, cut off…), with the first reasons. */
  skippedUnusable: number;
  skippedExamples: { sceneId: string; reason: string }[];
  /** Other speakers' thinking turns left out (the training export's rule). */
  otherThinkingLeftOut: number;
  /** Sentences for a person: what the rules did. */
  notices: string[];
  durationMs: number;
}

export interface DatasetImportRequest {
  characterId: CharacterId;
  format?: ImportFormat;
  /** A file (or, for `hf`, a folder) on the studio's machine. Exactly one of `path` and `fileBase64`. */
  path?: string;
  /** An uploaded file's bytes, base64. */
  fileBase64?: string;
  /** The uploaded file's name: shown in provenance and used to guess the format. */
  fileName?: string;
  requestId?: string;
}

export interface DatasetImportReport {
  importId: string;
  file: string;
  format: Exclude<ImportFormat, 'auto'>;
  /** Scenes added, of which protective, and those with an experience (a scene file has none). */
  scenes: number;
  protective: number;
  experiences: number;
  notices: string[];
  durationMs: number;
}

/** Where an imported scene came from: the file, its line (JSON lines) or item index (JSON lists, 1-based), its own id. */
export interface ImportProvenance {
  file: string;
  format: string;
  line: number;
  source: string | null;
  importedAt: number;
}

export interface InteropCommands {
  'dataset/export': (arg: DatasetExportRequest) => DatasetExportReport;
  /**
   * All or nothing: a bad item fails the whole import, naming the file and the line; a cancel, or
   * a stop of the studio, while the scenes are copied into the store removes those already copied.
   */
  'dataset/import': (arg: DatasetImportRequest) => DatasetImportReport;
  /** Stops a running export or import; it fails with `cancelled`, leaving nothing half written. */
  'dataset/io-cancel': (arg: { requestId: string }) => { cancelled: boolean };
}

export interface InteropEvents {
  /**
   * Progress of a long export or import: `done` items of `total` (null while unknown). An import
   * reports twice over: items read from the file (`total` null), then scenes copied into the store
   * of all it read (`total` set; the scenes copied so far can be seen meanwhile).
   */
  'dataset/io-progress': {
    requestId: string;
    direction: 'export' | 'import';
    done: number;
    total: number | null;
  };
}
