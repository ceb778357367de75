import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Character, CommandArg, CommandName, CommandResult, Profile } from '../../common/contract';
import { resolveDataDir } from '../core/data-dir';
import { StudioFailure } from '../core/errors';
import { Studio } from '../core/studio';
import { STUDIO_VERSION } from '../core/version';
import { WebServer } from '../server/web-server';

/**
 * `character-studio`: the headless door. Human output by default; `--json` writes
 * machine-readable results to stdout. Progress and messages go to stderr.
 * Exit codes: 0 done, 1 the command failed, 2 bad usage.
 */

const USAGE = `Character Studio ${STUDIO_VERSION}

Usage: character-studio <command> [options]

Commands:
  serve                         Run the studio as a local web app (prints its address)
      --host <addr>             Interface to bind (default 127.0.0.1)
      --port <n>                Port (default 5757; 0 picks a free one)
  info                          Show the version and where data lives
  characters list               List characters
  characters create             Create a character
      --full-name <name> --short-name <name> [--era <text>] [--notes <text>]
  characters update <character> Change a character (same options as create)
  characters delete <character> Delete a character and everything made from it
  profiles import <character> <file.txt|file.md|->
                                Add a profile from a file or standard input ('-')
      [--title <title>]
  profiles show <character>     Show a character's profiles and chunks

Options for every command:
  --data-dir <dir>              Data folder (default: CHARACTER_STUDIO_HOME or the desktop app's folder)
  --json                        Machine-readable output on stdout
  -h, --help                    Show this help

<character> is an id, a full name or a short name.`;

class UsageError extends Error {}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  stdin: () => Promise<Buffer>;
}

const defaultIo: Io = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
};

export async function runCli(argv: string[], io: Io = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        host: { type: 'string' },
        port: { type: 'string' },
        'full-name': { type: 'string' },
        'short-name': { type: 'string' },
        era: { type: 'string' },
        notes: { type: 'string' },
        title: { type: 'string' },
      },
    });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\nRun character-studio --help for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    io.out(USAGE);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const [command, ...rest] = positionals;
  const dataDir = resolveDataDir(values['data-dir']);
  if (command === 'serve') return serve(dataDir, values.host, values.port, values.json, io);

  let studio: Studio | null = null;
  try {
    studio = new Studio({ dataDir, door: 'cli', version: STUDIO_VERSION });
    const call = async <K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>> => {
      const outcome = await studio!.invoke(name, arg);
      if (!outcome.ok) throw new StudioFailure(outcome.error.code, outcome.error.message);
      return outcome.result as CommandResult<K>;
    };
    const print = (value: unknown, human: () => string) =>
      io.out(values.json ? JSON.stringify(value, null, 2) : human());
    const draft = {
      ...(values['full-name'] !== undefined && { fullName: values['full-name'] }),
      ...(values['short-name'] !== undefined && { shortName: values['short-name'] }),
      ...(values.era !== undefined && { era: values.era }),
      ...(values.notes !== undefined && { notes: values.notes }),
    };
    const sub = `${command} ${rest[0] ?? ''}`.trim();
    switch (sub) {
      case 'info': {
        const info = await call('app/info', {});
        print(
          info,
          () => `Character Studio ${info.version}\nData folder: ${info.dataDir}\nDatabase: ${info.databasePath}`,
        );
        return 0;
      }
      case 'characters list': {
        const list = await call('characters/list', {});
        print(list, () => (list.length === 0 ? 'No characters yet.' : list.map(describeCharacter).join('\n')));
        return 0;
      }
      case 'characters create': {
        const created = await call('characters/create', {
          fullName: draft.fullName ?? '',
          shortName: draft.shortName ?? '',
          era: draft.era ?? '',
          notes: draft.notes ?? '',
        });
        print(created, () => `Created ${describeCharacter(created)}`);
        return 0;
      }
      case 'characters update': {
        const character = await findCharacter(call, argument(rest, 1, '<character>'));
        const updated = await call('characters/update', { id: character.id, ...draft });
        print(updated, () => `Updated ${describeCharacter(updated)}`);
        return 0;
      }
      case 'characters delete': {
        const character = await findCharacter(call, argument(rest, 1, '<character>'));
        const result = await call('characters/delete', { id: character.id });
        print(result, () => `Deleted ${character.fullName}.`);
        return 0;
      }
      case 'profiles import': {
        const character = await findCharacter(call, argument(rest, 1, '<character>'));
        const file = argument(rest, 2, '<file>');
        const bytes = file === '-' ? await io.stdin() : readFile(file);
        const profile = await call('profiles/import', {
          characterId: character.id,
          fileBase64: bytes.toString('base64'),
          fileName: file === '-' ? 'stdin.txt' : path.basename(file),
          ...(values.title !== undefined && { title: values.title }),
        });
        print(
          profile,
          () =>
            `Imported "${profile.title}" (${profile.format}): ${profile.chunks.length} chunks, ${profile.words} words.`,
        );
        return 0;
      }
      case 'profiles show': {
        const character = await findCharacter(call, argument(rest, 1, '<character>'));
        const profiles = await call('profiles/list', { characterId: character.id });
        print(profiles, () => describeProfiles(character, profiles));
        return 0;
      }
      default:
        throw new UsageError(`Unknown command "${sub}".`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\nRun character-studio --help for usage.`);
      return 2;
    }
    if (error instanceof StudioFailure) {
      io.err(`Error: ${error.message}`);
      if (values.json) io.out(JSON.stringify({ error: error.toJSON() }));
      return 1;
    }
    io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    studio?.close();
  }
}

function argument(rest: string[], index: number, name: string): string {
  const value = rest[index];
  if (value === undefined) throw new UsageError(`Missing ${name}.`);
  return value;
}

function readFile(file: string): Buffer {
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

async function findCharacter(
  call: <K extends CommandName>(name: K, arg: CommandArg<K>) => Promise<CommandResult<K>>,
  key: string,
): Promise<Character> {
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

function describeCharacter(c: Character): string {
  const era = c.era ? `, ${c.era}` : '';
  return `${c.fullName} (${c.shortName}${era}) — ${c.profileCount} profile(s), ${c.chunkCount} chunks, ${c.wordCount} words  [${c.id}]`;
}

function describeProfiles(character: Character, profiles: Profile[]): string {
  if (profiles.length === 0)
    return `${character.fullName} has no profile yet. Add one with: character-studio profiles import`;
  return profiles
    .map((p) => {
      const lines = p.chunks.map((chunk) => {
        const text = chunk.text.replace(/\s+/g, ' ');
        return `  ${String(chunk.position + 1).padStart(3)}. ${text.length > 100 ? text.slice(0, 99) + '…' : text} (${chunk.words} words)`;
      });
      return [`${p.title} (${p.format}, ${p.chunks.length} chunks, ${p.words} words)`, ...lines].join('\n');
    })
    .join('\n\n');
}

async function serve(
  dataDir: string,
  host: string | undefined,
  portText: string | undefined,
  json: boolean,
  io: Io,
): Promise<number> {
  const port = portText === undefined ? 5757 : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err(`--port must be a number from 0 to 65535, not "${portText}".`);
    return 2;
  }
  let studio: Studio;
  try {
    studio = new Studio({ dataDir, door: 'web', version: STUDIO_VERSION });
  } catch (error) {
    io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const staticDir = path.join(__dirname, '..', 'renderer');
  const make = (p: number) => new WebServer({ studio, staticDir, port: p, ...(host && { host }), log: io.err });
  let server = make(port);
  let url: string;
  try {
    url = await server.start();
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    if (code === 'EADDRINUSE' && portText === undefined) {
      io.err(`Port ${port} is busy; using a free one instead.`);
      server = make(0);
      url = await server.start();
    } else {
      io.err(`Error: cannot listen on ${host ?? '127.0.0.1'}:${port} (${code || String(error)}). Try another --port.`);
      studio.close();
      return 1;
    }
  }
  if (json) io.out(JSON.stringify({ event: 'ready', url, origin: server.origin, dataDir }));
  else {
    io.out(`Character Studio is running at:\n\n  ${url}\n\nData folder: ${dataDir}\nPress Ctrl+C to stop.`);
  }
  if (host && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    io.err('Warning: the studio is reachable from other machines on this network; anyone with the address can use it.');
  }
  return new Promise<number>((resolve) => {
    const stop = () => {
      void server.close().then(() => {
        studio.close();
        resolve(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
