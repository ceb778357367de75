/**
 * Every dataset format the studio writes and reads, and how an import finds which one a file is:
 * a folder is a Hugging Face dataset; a file starting with `[` is one of the paper's generated JSON
 * lists (by the first item's keys; `hallucination` in the name makes its scenes protective);
 * anything else is JSON lines, recognised by the first line's keys.
 */
import type { DatasetFormat, ImportFormat } from '../../../common/contract';
import { alpacaFormat } from './alpaca';
import type { LineFormat } from './line-format';
import { openaiFormat } from './openai';
import { paperFormat } from './paper';
import { looksLikeDialogue, looksLikeScene } from './paper-generated';
import { ItemError } from './scene-record';
import { sharegptFormat } from './sharegpt';

export const LINE_FORMATS: Readonly<Record<Exclude<DatasetFormat, 'hf'>, LineFormat>> = {
  paper: paperFormat,
  sharegpt: sharegptFormat,
  openai: openaiFormat,
  alpaca: alpacaFormat,
};

/** The line format a format's data files hold (a Hugging Face folder holds OpenAI-shaped lines). */
export function lineFormatOf(format: DatasetFormat): LineFormat {
  return LINE_FORMATS[format === 'hf' ? 'openai' : format];
}

export const DATASET_FORMATS: readonly DatasetFormat[] = ['paper', 'sharegpt', 'openai', 'alpaca', 'hf'];
export const IMPORT_FORMATS: readonly ImportFormat[] = [...DATASET_FORMATS, 'paper-dialogue', 'paper-scenes', 'auto'];

const KNOWN = [
  ...Object.values(LINE_FORMATS).map((f) => `${f.id} (${f.describe})`),
  "paper-dialogue (the paper's generated_agent_dialogue/_hallucination JSON lists)",
  "paper-scenes (the paper's generated_agent_scene JSON lists)",
  'hf (a Hugging Face dataset folder)',
].join('; ');

/** The line format of a JSON-lines file from its first item; a clear error naming the formats when none fits. */
export function detectLineFormat(first: Record<string, unknown>): LineFormat {
  const found = Object.values(LINE_FORMATS).find((f) => f.looks(first));
  if (!found)
    throw new ItemError(
      `the first item (keys: ${Object.keys(first).slice(0, 8).join(', ') || 'none'}) is not a dataset format the studio reads. Known formats: ${KNOWN}`,
    );
  return found;
}

/** Which of the paper's generated lists the first item of a JSON list is. */
export function detectListFormat(first: Record<string, unknown>): 'paper-dialogue' | 'paper-scenes' {
  if (looksLikeDialogue(first)) return 'paper-dialogue';
  if (looksLikeScene(first)) return 'paper-scenes';
  throw new ItemError(
    `the first item (keys: ${Object.keys(first).slice(0, 8).join(', ') || 'none'}) is not a scene or dialogue of the paper's generated files. Known formats: ${KNOWN}`,
  );
}
