import { createInterface } from 'node:readline/promises';
import fs from 'node:fs';
import path from 'node:path';
import type {
  Character,
  CommandArg,
  CommandName,
  CommandResult,
  ConversationId,
  Host,
  JobId,
  Provider,
  RunId,
  SceneId,
} from '../../common/contract';
import { fileSize } from '../../common/file-size';
import { ID_MATCH_LIMIT } from '../../common/id-match';
import { StudioFailure } from '../core/errors';
import { expandHome } from '../core/training/base-model-check';
import type { Studio } from '../core/studio';

/** Pieces every command group shares: the context a group runs in, argument checks, lookups. */

/** Bad usage: the CLI prints the message with a pointer to --help and exits with 2. */
export class UsageError extends Error {}

/** The person at the terminal answered no: the CLI prints the message (what was left as it was) and exits with 1. */
export class Declined extends Error {}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Standard output without a line end: a reply as it streams (the terminal chat); stdout when not given. */
  write?: (text: string) => void;
  stdin: () => Promise<Buffer>;
  /** The lines an interactive command reads (the terminal chat); standard input when not given. */
  input?: NodeJS.ReadableStream;
  /**
   * Asks the person at the terminal and resolves to the line they typed. Absent without a terminal
   * (standard input or error not a TTY: a script, a pipe): a command that would ask refuses
   * instead, naming the flag that decides (`--yes`, `--on-conflict`).
   */
  ask?: (question: string) => Promise<string>;
}

export type Call = <K extends CommandName>(name: K, arg: CommandArg<K>) => Promise<CommandResult<K>>;

/** Parsed options; repeatable ones (`--map`) are lists. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** What a command group gets: the open studio, a throwing `call`, the parsed options and the output. */
export interface CliContext {
  studio: Studio;
  call: Call;
  values: Values;
  /** Positionals after the command word (`rest[0]` is the sub-command of a group). */
  rest: string[];
  /** The command's output, every line passed through the redactor (`write` always there). */
  io: Io & Required<Pick<Io, 'write'>>;
  /** Prints `value` as JSON with --json, else the human text. */
  print: (value: unknown, human: () => string) => void;
}

/**
 * What the CLI and `serve` hand the studio to say, on stderr, why opening waits: while a database
 * made by an older studio is brought up to date (a step may rebuild the search index: seconds per
 * 100,000 scenes), and while every page is read after an unclean shutdown (~10 s for 1.2 GB on a
 * slow machine). `done()`, called once the studio is open, says how long that took.
 */
export function databaseOpenNotice(io: Io): {
  onDatabaseUpgrade: (step: { from: number; to: number }) => void;
  onDatabaseCheck: (check: { bytes: number; afterCrash: boolean }) => void;
  done: () => void;
} {
  let started: number | null = null;
  const done: string[] = [];
  return {
    onDatabaseCheck: ({ bytes, afterCrash }) => {
      started = performance.now();
      done.push('checked');
      io.err(
        `${afterCrash ? 'The studio was not shut down cleanly last time: checking' : 'Checking'} every page of the database (${fileSize(bytes)}) before it opens; with a large dataset this can take a minute…`,
      );
    },
    onDatabaseUpgrade: ({ from, to }) => {
      started ??= performance.now();
      done.push('updated');
      io.err(`Updating the studio database (schema ${from} → ${to}); with a large dataset this can take a minute…`);
    },
    done: () => {
      if (started !== null)
        io.err(`Database ${done.join(' and ')} in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
      started = null;
      done.length = 0;
    },
  };
}

/**
 * CPU threads of the models the studio runs itself (the embedded chat runtime and provider), from
 * CHARACTER_STUDIO_THREADS; undefined (every core) when unset. Fewer than the cores keeps a busy or
 * shared machine responsive: llama.cpp's threads spin while they wait for each other.
 */
export function embeddedThreadsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env['CHARACTER_STUDIO_THREADS']?.trim();
  if (!text) return undefined;
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1)
    throw new UsageError(
      `CHARACTER_STUDIO_THREADS must be a whole number of CPU threads, 1 or more, not "${text}"; unset it to use every core.`,
    );
  return threads;
}

/** A string option, or undefined when absent. */
export function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function argument(rest: string[], index: number, name: string, command?: string): string {
  const value = rest[index];
  if (value === undefined) throw new UsageError(`Missing ${name}${command ? ` for ${command}` : ''}.`);
  return value;
}

export function numberOption(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${flag} must be a number, not "${text}".`);
  return value;
}

export async function findHost(call: Call, key: string): Promise<Host> {
  const list = await call('hosts/list', {});
  const found = list.find((h) => h.id === key || h.name.toLowerCase() === key.toLowerCase());
  if (!found) throw new StudioFailure('not_found', `No SSH host "${key}". See them with: character-studio hosts list`);
  return found;
}

export async function findProvider(call: Call, key: string, listed?: readonly Provider[]): Promise<Provider> {
  const list = listed ?? (await call('providers/list', {}));
  const found = list.find((p) => p.id === key || p.name.toLowerCase() === key.toLowerCase());
  if (!found)
    throw new StudioFailure('not_found', `No provider "${key}". See them with: character-studio providers list`);
  return found;
}

/** A moment as the lists print it: UTC, to the minute (`2026-05-03 14:07`). */
export function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * A path the user typed, as an absolute path: relative to where the user stands (the process's
 * working folder), `~/` their home. The studio's services run children in other folders (the
 * trainer in its run folder), so no relative path may reach them.
 */
export function localPath(text: string): string {
  return path.resolve(expandHome(text));
}

/** A path option made absolute (localPath), or undefined when absent or empty. */
export function pathOption(values: Values, name: string): string | undefined {
  const value = str(values, name)?.trim();
  return value ? localPath(value) : undefined;
}

/**
 * An interpreter option: a path (anything with a slash) is made absolute; a bare name such as
 * `python3` stays a name, looked up on the PATH as a shell would.
 */
export function interpreterOption(values: Values, name: string): string | undefined {
  const value = str(values, name)?.trim();
  if (!value) return value;
  return /[\\/]/.test(value) || value.startsWith('~') ? localPath(value) : value;
}

/** A file's bytes, or standard input's for `-` (as every command that takes a file reads it). */
export async function readInput(given: string, io: Io): Promise<Buffer> {
  return given === '-' ? io.stdin() : readFile(given);
}

export function readFile(given: string): Buffer {
  const file = localPath(given);
  try {
    return fs.readFileSync(file);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    throw new StudioFailure(
      'not_found',
      code === 'ENOENT' ? `${file} does not exist.` : `${file} cannot be read (${code || String(error)}).`,
    );
  }
}

/**
 * The one row a person named by its id or the start of it, from what a `…/match` command found for
 * `key` (ids are long: the lists print them whole, and a unique start is enough, as with git's
 * commits). `noun` and `listedBy` (the command that lists them) word the refusals.
 */
export function pickById<Id extends string>(
  found: readonly { id: Id }[],
  key: string,
  noun: string,
  listedBy: string,
): Id {
  const exact = found.find((row) => row.id === key.trim());
  if (exact) return exact.id;
  if (found.length === 1) return found[0]!.id;
  if (found.length === 0)
    throw new StudioFailure(
      'not_found',
      `No ${noun} has the id "${key}" or one starting with it. See the ids with: character-studio ${listedBy}`,
    );
  const shown = found.slice(0, 3).map((row) => row.id);
  throw new StudioFailure(
    'conflict',
    `"${key}" starts the ids of ${found.length >= ID_MATCH_LIMIT ? `${ID_MATCH_LIMIT} or more` : found.length} ${noun}s (${shown.join(', ')}${found.length > 3 ? ', …' : ''}): type more of the id.`,
  );
}

/** A scene named by its id or a unique start of it. */
export async function findScene(call: Call, key: string): Promise<SceneId> {
  return pickById(await call('scenes/match', { key }), key, 'scene', 'scenes list <character>');
}

/** A job named by its id or a unique start of it. */
export async function findJob(call: Call, key: string): Promise<JobId> {
  return pickById(await call('jobs/match', { key }), key, 'job', 'jobs list <character>');
}

/** A training run named by its id or a unique start of it. */
export async function findRun(call: Call, key: string): Promise<RunId> {
  return pickById(await call('training/match', { key }), key, 'training run', 'train list <character>');
}

/** A conversation named by its id or a unique start of it. */
export async function findConversation(call: Call, key: string): Promise<ConversationId> {
  return pickById(await call('chat/match', { key }), key, 'conversation', 'chat list <character>');
}

export async function findCharacter(call: Call, key: string): Promise<Character> {
  const list = await call('characters/list', {});
  const lower = key.toLowerCase();
  const exact = list.filter((c) => c.id === key || c.fullName.toLowerCase() === lower);
  const matches = exact.length > 0 ? exact : list.filter((c) => c.shortName.toLowerCase() === lower);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new StudioFailure('not_found', `No character "${key}". See them with: character-studio characters list`);
  }
  throw new StudioFailure(
    'conflict',
    `"${key}" names ${matches.length} characters; use the id: ${matches.map((c) => `${c.id} (${c.fullName})`).join(', ')}`,
  );
}

/** `Io.ask` on the process's own terminal, when standard input and error are both one; undefined otherwise. */
export function terminalAsk(): Io['ask'] {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  };
}

/** Asks a yes/no question on the terminal, No unless answered y or yes; false without one (a script must say --yes). */
export async function confirmOnTerminal(io: Io, question: string): Promise<boolean> {
  if (!io.ask) return false;
  return /^y(es)?$/i.test((await io.ask(`${question} [y/N] `)).trim());
}

/**
 * A destructive command's question: goes ahead with --yes, or when the person at the terminal
 * answers yes to "Delete <what>?"; otherwise throws, nothing deleted, saying how to go ahead.
 */
export async function confirmDelete(ctx: Pick<CliContext, 'io' | 'values'>, what: string): Promise<void> {
  if (ctx.values.yes) return;
  if (!ctx.io.ask)
    throw new UsageError(
      `This deletes ${what}, and there is no terminal to ask on: nothing was deleted. Add --yes to delete without asking.`,
    );
  if (!(await confirmOnTerminal(ctx.io, `Delete ${what}? This cannot be undone.`)))
    throw new Declined('Nothing was deleted.');
}
