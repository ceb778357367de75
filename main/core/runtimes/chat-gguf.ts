/**
 * Where the embedded chat runtime's GGUF files of a run live, and what the run's manifest says about
 * how to prompt it. The conversion itself is the trainer's `export` (TrainingService.prepareChat),
 * with the converters node-llama-cpp ships (llama-cpp-source.ts).
 *
 * Layout (cached; a file that exists is complete, since the trainer writes each beside it and renames):
 * - the base model, unmerged: `<dataDir>/gguf/<base slug>-<key>.f16.gguf`, shared by every run trained
 *   on the same base model at the same revision (`key`: sha256 of the manifest's id and revision, or
 *   its folder for a local model);
 * - the LoRA adapter: `<run>/exports/adapter.gguf`, per run;
 * - a full fine-tune has no adapter: its model is `<run>/exports/model.gguf`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TrainingFormat } from '../../../common/contract';
import { StudioFailure } from '../errors';

/** How the base model is written: f16 keeps the trained weights' precision at half the size of f32. */
export const CHAT_GGUF_OUTTYPE = 'f16';

export interface RunManifest {
  format?: unknown;
  base_model?: { id?: unknown; revision?: unknown; path?: unknown; source?: unknown } | null;
  characters?: { full_name?: unknown; short_name?: unknown }[] | null;
}

export interface ChatGgufPlan {
  baseGguf: string;
  adapterGguf: string | null;
  format: TrainingFormat;
  /** Whom the run plays (the manifest's first character), null when the manifest names none. */
  character: { fullName: string; shortName: string } | null;
  /** Whether every file is there already. */
  ready: boolean;
}

export function readRunManifest(runDir: string): RunManifest {
  const file = path.join(runDir, 'manifest.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunManifest;
  } catch (error) {
    throw new StudioFailure(
      'not_found',
      `This run has no readable manifest (${file}: ${error instanceof Error ? error.message : String(error)}), ` +
        'so how it was trained is unknown. Train it to the end (or resume it) first.',
    );
  }
}

/** The files of a finished run's chat, and whether they exist; `lora` is false for a full fine-tune. */
export function chatGgufPlan(dataDir: string, runDir: string, lora: boolean, manifest: RunManifest): ChatGgufPlan {
  const format: TrainingFormat = manifest.format === 'character-llm' ? 'character-llm' : 'chat';
  const first = manifest.characters?.[0];
  const character =
    typeof first?.full_name === 'string' && typeof first.short_name === 'string'
      ? { fullName: first.full_name, shortName: first.short_name }
      : null;
  const baseGguf = lora ? baseGgufPath(dataDir, manifest) : path.join(runDir, 'exports', 'model.gguf');
  const adapterGguf = lora ? path.join(runDir, 'exports', 'adapter.gguf') : null;
  const ready = fs.existsSync(baseGguf) && (adapterGguf === null || fs.existsSync(adapterGguf));
  return { baseGguf, adapterGguf, format, character, ready };
}

function baseGgufPath(dataDir: string, manifest: RunManifest): string {
  const base = manifest.base_model;
  const id = typeof base?.id === 'string' ? base.id : '';
  if (!id) {
    throw new StudioFailure(
      'not_found',
      "This run's manifest records no base model, so its adapter cannot be paired with one. Train the run again.",
    );
  }
  const revision = typeof base?.revision === 'string' ? base.revision : null;
  const where = typeof base?.path === 'string' ? base.path : '';
  const key = createHash('sha256')
    .update(revision ? `${id}@${revision}` : `${id}\n${where}`)
    .digest('hex')
    .slice(0, 16);
  const slug =
    path
      .basename(id)
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .slice(0, 60) || 'base';
  return path.join(dataDir, 'gguf', `${slug}-${key}.${CHAT_GGUF_OUTTYPE}.gguf`);
}

/** A conversion writes `.<name>.<pid>.partial` and keeps its mtime fresh; one untouched this long was killed. */
const STALE_PARTIAL_MS = 30 * 60_000;

/** Removes what killed conversions of `gguf` left beside it (the trainer renames a partial only when complete). */
export function removeStalePartials(gguf: string, now: number): void {
  const folder = path.dirname(gguf);
  const prefix = `.${path.basename(gguf)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.partial')) continue;
    const file = path.join(folder, name);
    try {
      if (now - fs.statSync(file).mtimeMs > STALE_PARTIAL_MS) fs.rmSync(file, { force: true });
    } catch {
      // gone meanwhile: nothing to do
    }
  }
}
