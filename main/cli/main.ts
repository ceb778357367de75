import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CommandResult } from '../../common/contract';
import { resolveDataDir } from '../core/data-dir';
import { StudioFailure } from '../core/errors';
import { Studio } from '../core/studio';
import { STUDIO_VERSION } from '../core/version';
import { charactersCommand, profilesCommand } from './commands/characters';
import { datasetCommand } from './commands/dataset';
import { exportCommand, importDatasetCommand } from './commands/interop';
import { reviewCommand } from './commands/review';
import { dbCommand } from './commands/db';
import { generateCommand } from './commands/generate';
import { hostsCommand } from './commands/hosts';
import { jobsCommand } from './commands/jobs';
import { limitsCommand, promptsCommand } from './commands/prompts';
import { providersCommand } from './commands/providers';
import { scenesCommand } from './commands/scenes';
import { serveCommand } from './commands/serve';
import { chatGgufCommand, chatServerCommand, doctorCommand, trainCommand } from './commands/train';
import { chatCommand } from './commands/chat';
import { interviewCommand } from './commands/interview';
import { questionsCommand } from './commands/questions';
import { judgeCommand } from './commands/judge';
import { cardCommand } from './commands/cards';
import { samplesCommand } from './commands/samples';
import { modelsCommand } from './commands/models';
import { importOutputsCommand, reportCommand } from './commands/report';
import { CLI_OPTIONS } from './options';
import {
  databaseOpenNotice,
  Declined,
  embeddedThreadsFromEnv,
  terminalAsk,
  UsageError,
  type CliContext,
  type Io,
} from './shared';
import { USAGE } from './usage';
import { commandWords, unknownCommand, unknownSubcommand } from './command-hints';

/**
 * `character-studio`: the headless door. Human output by default; `--json` writes
 * machine-readable results to stdout. Progress and messages go to stderr.
 * Exit codes: 0 done, 1 the command failed, 2 bad usage.
 */

/** The checkout (or installed package) root: two levels above both main/cli/ and dist/main/. */
const APP_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The process's own terminal to ask on (deletes, an edit conflict); none when run from a script or a pipe. */
const ask = terminalAsk();

const defaultIo: Io = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
  write: (text) => process.stdout.write(text),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
  ...(ask && { ask }),
};

/** Command groups: `<group> <sub>` ones get the sub-command, single-word ones run as they are. */
const GROUPS: Record<string, (sub: string, ctx: CliContext) => Promise<number>> = {
  characters: charactersCommand,
  profiles: profilesCommand,
  card: cardCommand,
  providers: providersCommand,
  hosts: hostsCommand,
  dataset: datasetCommand,
  jobs: jobsCommand,
  scenes: scenesCommand,
  db: dbCommand,
  samples: samplesCommand,
  models: modelsCommand,
};
const SINGLE: Record<string, (ctx: CliContext) => Promise<number>> = {
  generate: generateCommand,
  limits: limitsCommand,
  prompts: promptsCommand,
  review: reviewCommand,
  export: exportCommand,
  'import-dataset': importDatasetCommand,
  train: trainCommand,
  'chat-server': chatServerCommand,
  'chat-gguf': chatGgufCommand,
  chat: chatCommand,
  doctor: doctorCommand,
  questions: questionsCommand,
  interview: interviewCommand,
  judge: judgeCommand,
  report: reportCommand,
  'import-outputs': importOutputsCommand,
};

export async function runCli(argv: string[], plainIo: Io = defaultIo): Promise<number> {
  let studio: Studio | null = null;
  // Everything printed passes the studio's redactor once it is open: a provider error echoing an
  // API key (in any encoding) is never shown, whichever command prints it.
  const redact = (text: string): string => (studio ? studio.redact(text) : text);
  const io: CliContext['io'] = {
    ...plainIo,
    out: (text) => plainIo.out(redact(text)),
    err: (text) => plainIo.err(redact(text)),
    write: (text) => (plainIo.write ?? defaultIo.write!)(redact(text)),
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: CLI_OPTIONS,
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
  const [command = '', ...rest] = positionals;
  const dataDir = resolveDataDir(values['data-dir']);
  if (command === 'serve') return serveCommand(APP_ROOT, dataDir, values.host, values.port, values.json, io);

  try {
    if (!(command in GROUPS) && !(command in SINGLE) && command !== 'info') throw unknownCommand(command, rest[0]);
    // Known before anything is opened or read: `scenes shwo <id>` is a slip to point out, not an id to look up.
    if (command in GROUPS && !commandWords(command).includes(rest[0] ?? ''))
      throw unknownSubcommand(command, rest[0] ?? '');
    const embeddedThreads = embeddedThreadsFromEnv();
    const upgrade = databaseOpenNotice(io);
    studio = new Studio({
      dataDir,
      door: 'cli',
      version: STUDIO_VERSION,
      appRoot: APP_ROOT,
      ...(embeddedThreads !== undefined && { embeddedThreads }),
      onDatabaseUpgrade: upgrade.onDatabaseUpgrade,
      onDatabaseCheck: upgrade.onDatabaseCheck,
    });
    upgrade.done();
    const open = studio;
    const ctx: CliContext = {
      studio: open,
      call: async (name, arg) => {
        const outcome = await open.invoke(name, arg);
        if (!outcome.ok) throw new StudioFailure(outcome.error.code, outcome.error.message);
        return outcome.result as CommandResult<typeof name>;
      },
      values,
      rest,
      io,
      print: (value, human) => io.out(values.json ? JSON.stringify(value, null, 2) : human()),
    };
    if (command === 'info') {
      const info = await ctx.call('app/info', {});
      ctx.print(
        info,
        () => `Character Studio ${info.version}\nData folder: ${info.dataDir}\nDatabase: ${info.databasePath}`,
      );
      return 0;
    }
    const single = SINGLE[command];
    if (single) return await single(ctx);
    return await GROUPS[command]!(rest[0] ?? '', ctx);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\nRun character-studio --help for usage.`);
      return 2;
    }
    if (error instanceof Declined) {
      io.err(error.message);
      return 1;
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
    studio = null; // closed: nothing left to redact with, and nothing after this prints secrets
  }
}
