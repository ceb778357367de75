/**
 * Reads a dataset file (or a Hugging Face folder) item by item, as an async generator, so a file
 * of a million lines is never held whole: JSON lines stream through readline; the paper's JSON
 * lists are parsed whole (they are tens of megabytes at most, and capped). Every bad item fails
 * with the file and the line (item number in a JSON list) and what to do.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ImportFormat } from '../../../common/contract';
import { StudioFailure } from '../errors';
import { isRecord, type CharacterNames } from './chat-codec';
import type { LineFormat } from './line-format';
import { readDialogueItem, readSceneItem } from './paper-generated';
import { detectLineFormat, detectListFormat, lineFormatOf } from './registry';
import { ItemError, type ImportedItem } from './scene-record';

/** The most a JSON list is read into memory; JSON lines stream and have no limit. */
export const MAX_JSON_LIST_BYTES = 512 * 1024 * 1024;

/** Where the bytes come from: a path on the studio's machine, or an uploaded file's bytes and name. */
export type ImportInput = { path: string } | { bytes: Buffer; name: string };

export interface ReadItem {
  /** The file as provenance records it (a name, or a path relative to an hf folder). */
  file: string;
  /** 1-based line (JSON lines) or item number (JSON lists). */
  line: number;
  item: ImportedItem;
}

export interface ReadResult {
  format: Exclude<ImportFormat, 'auto'>;
  /** Read with `for await`: JSON lines stream, a JSON list is already parsed. */
  items: AsyncIterable<ReadItem> | Iterable<ReadItem>;
}

function failure(file: string, where: string, message: string): StudioFailure {
  return new StudioFailure(
    'invalid_argument',
    `${file}, ${where}: ${message}. Fix or remove it and import again; nothing was imported.`,
  );
}

/** Opens the input and says which format it is (detected from its first item when `auto`). */
export async function openItems(input: ImportInput, format: ImportFormat, names: CharacterNames): Promise<ReadResult> {
  if ('path' in input) {
    const info = await stat(input.path).catch(() => null);
    if (!info)
      throw new StudioFailure('not_found', `There is no file or folder ${input.path}. Check the path and try again.`);
    if (info.isDirectory()) {
      if (format !== 'auto' && format !== 'hf') {
        throw new StudioFailure(
          'invalid_argument',
          `${input.path} is a folder; only a Hugging Face dataset (--format hf) is read from a folder.`,
        );
      }
      return { format: 'hf', items: hfItems(input.path, names) };
    }
    if (format === 'hf')
      throw new StudioFailure('invalid_argument', `${input.path} is a file; a Hugging Face dataset is a folder.`);
  }
  const name = 'path' in input ? basename(input.path) : input.name;
  const head = await firstByte(input);
  if (head === null) throw new StudioFailure('invalid_argument', `${name} is empty: there is nothing to import.`);
  const list = format === 'paper-dialogue' || format === 'paper-scenes' || (format === 'auto' && head === '[');
  if (list) return listItems(input, name, format);
  const fixed = format === 'auto' ? null : lineFormatOf(format);
  const detected = { format: (fixed?.id ?? 'auto') as ReadResult['format'] };
  const items = lineItems(input, name, fixed, names, (f) => (detected.format = f.id));
  // The format of an `auto` file is known once its first line is read: peek it.
  const first = await items.next();
  return { format: detected.format, items: prepend(first, items) };
}

async function* prepend(first: IteratorResult<ReadItem>, rest: AsyncGenerator<ReadItem>): AsyncGenerator<ReadItem> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}

async function firstByte(input: ImportInput): Promise<string | null> {
  const stream =
    'path' in input
      ? createReadStream(input.path, { start: 0, end: 4095 })
      : Readable.from([input.bytes.subarray(0, 4096)]);
  for await (const chunk of stream) {
    const text = (chunk as Buffer)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart();
    if (text) {
      stream.destroy();
      return text[0]!;
    }
  }
  return null;
}

async function* lineItems(
  input: ImportInput,
  file: string,
  fixed: LineFormat | null,
  names: CharacterNames,
  detected: (format: LineFormat) => void,
): AsyncGenerator<ReadItem> {
  const stream = 'path' in input ? createReadStream(input.path) : Readable.from([input.bytes]);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let format = fixed;
  let number = 0;
  let any = false;
  try {
    for await (const raw of lines) {
      number++;
      const line = number === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw failure(
          file,
          `line ${number}`,
          `the line is not JSON (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      if (!isRecord(value)) throw failure(file, `line ${number}`, 'the line is not a JSON object');
      try {
        if (!format) {
          format = detectLineFormat(value);
          detected(format);
        }
        any = true;
        yield { file, line: number, item: format.read(value, names) };
      } catch (error) {
        if (error instanceof ItemError) throw failure(file, `line ${number}`, error.message);
        throw error;
      }
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  if (!any) throw new StudioFailure('invalid_argument', `${file} holds no items: every line is empty.`);
}

async function listItems(input: ImportInput, file: string, format: ImportFormat): Promise<ReadResult> {
  const size = 'path' in input ? (await stat(input.path)).size : input.bytes.length;
  if (size > MAX_JSON_LIST_BYTES) {
    throw new StudioFailure(
      'too_large',
      `${file} is ${Math.round(size / 1048576)} MB; a JSON list can be at most ${MAX_JSON_LIST_BYTES / 1048576} MB. Convert it to JSON lines (one item a line) and import that.`,
    );
  }
  const text = ('path' in input ? await readFile(input.path) : input.bytes).toString('utf8').replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /position (\d+)/.exec(message);
    const line = at ? text.slice(0, Number(at[1])).split('\n').length : null;
    throw failure(file, line ? `line ${line}` : 'the file', `the file is not valid JSON (${message})`);
  }
  if (!Array.isArray(value)) throw failure(file, 'the file', 'expected a JSON list of items');
  if (value.length === 0)
    throw new StudioFailure('invalid_argument', `${file} is an empty list: there is nothing to import.`);
  const list = value as unknown[];
  const first = list[0];
  if (!isRecord(first)) throw failure(file, 'item 1', 'the item is not a JSON object');
  let kind: 'paper-dialogue' | 'paper-scenes';
  try {
    kind = format === 'paper-dialogue' || format === 'paper-scenes' ? format : detectListFormat(first);
  } catch (error) {
    throw error instanceof ItemError ? failure(file, 'item 1', error.message) : error;
  }
  const protective = /hallucination/i.test(file);
  function* items(): Generator<ReadItem> {
    for (const [index, raw] of list.entries()) {
      const where = `item ${index + 1}`;
      if (!isRecord(raw)) throw failure(file, where, 'the item is not a JSON object');
      try {
        yield {
          file,
          line: index + 1,
          item: kind === 'paper-dialogue' ? readDialogueItem(raw, protective) : readSceneItem(raw),
        };
      } catch (error) {
        throw error instanceof ItemError ? failure(file, where, error.message) : error;
      }
    }
  }
  return { format: kind, items: items() };
}

/** A Hugging Face folder: its JSON-lines files under data/ (or at the top), train first. */
async function* hfItems(folder: string, names: CharacterNames): AsyncGenerator<ReadItem> {
  const found: string[] = [];
  for (const dir of [join(folder, 'data'), folder]) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) if (entry.endsWith('.jsonl')) found.push(join(dir, entry));
    if (found.length > 0) break;
  }
  if (found.length === 0) {
    throw new StudioFailure(
      'invalid_argument',
      `${folder} holds no .jsonl split (data/train.jsonl…): it is not a Hugging Face dataset folder the studio reads.`,
    );
  }
  const rank = (p: string) => ['train', 'validation', 'test'].findIndex((s) => basename(p).startsWith(s)) >>> 0;
  found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const path of found) {
    const file = relative(folder, path);
    for await (const read of lineItems({ path }, file, null, names, () => undefined)) yield read;
  }
}
