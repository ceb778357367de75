import { Readable } from 'node:stream';
import { afterEach, beforeEach } from 'vitest';
import type { SceneDoc } from '../../common/contract';
import { runCli } from '../../main/cli/main';
import type { Io } from '../../main/cli/shared';
import { tempDir } from './paths';

export interface CliOutcome {
  code: number;
  out: string;
  err: string;
  streamed: string;
}

/**
 * Runs the CLI in-process on the data folder `dataDir`, capturing what it prints (`streamed`: what
 * it wrote without line ends, a reply as it streamed). `lines`: what an interactive command (the
 * terminal chat) reads, as typed. `onErr` sees each stderr line as it is printed, to act while the
 * command runs (press Ctrl+C once it has started, say). No terminal to ask on, as in a script.
 */
export async function runCliIn(
  dataDir: string,
  args: string[],
  stdin = '',
  lines?: string,
  onErr?: (line: string) => void,
  ask?: Io['ask'],
): Promise<CliOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  let streamed = '';
  const code = await runCli([...args, '--data-dir', dataDir], {
    out: (t) => out.push(t),
    err: (t) => {
      err.push(t);
      onErr?.(t);
    },
    write: (t) => (streamed += t),
    stdin: () => Promise.resolve(Buffer.from(stdin)),
    ...(lines !== undefined && { input: Readable.from([lines]) }),
    ...(ask && { ask }),
  });
  return { code, out: out.join('\n'), err: err.join('\n'), streamed };
}

/**
 * As runCliIn, at a terminal: each question the CLI asks is recorded (`asked`) and answered with
 * the next of `answers`, as typed (an empty string: Enter). Asking past the answers fails the run.
 */
export async function runCliAtTerminal(
  dataDir: string,
  args: string[],
  answers: string[],
): Promise<CliOutcome & { asked: string[] }> {
  const asked: string[] = [];
  const left = [...answers];
  const outcome = await runCliIn(dataDir, args, '', undefined, undefined, (question) => {
    asked.push(question);
    const answer = left.shift();
    return answer === undefined
      ? Promise.reject(new Error(`asked "${question}" with no answer left`))
      : Promise.resolve(answer);
  });
  return { ...outcome, asked };
}

/**
 * The CLI on a fresh data folder for each test of the file (made before it, removed after):
 * `cli(args, stdin)` as a script runs it, `atTerminal(args, ...answers)` as a person at a terminal
 * does, `dir()` the folder (to open a Studio on it, or write a file beside it).
 */
export function cliForEachTest(prefix: string) {
  let tmp: ReturnType<typeof tempDir> | undefined;
  beforeEach(() => {
    tmp = tempDir(prefix);
  });
  afterEach(() => tmp?.cleanup());
  const dir = () => tmp!.dir;
  return {
    dir,
    cli: (args: string[], stdin?: string) => runCliIn(dir(), args, stdin),
    atTerminal: (args: string[], ...answers: string[]) => runCliAtTerminal(dir(), args, answers),
  };
}

/** A scene as a person writes it by hand for `scenes create <character> -`: Beethoven's walk with Ries. */
export const WALK_SCENE: SceneDoc = {
  type: 'Walk',
  location: 'Heiligenstadt',
  time: '1802',
  background: 'Beethoven walks alone.',
  people: ['Ries'],
  experienceBackground: '',
  turns: [{ speaker: 'Ries', kind: 'speaking', text: 'Do you hear the shepherd’s flute?' }],
};

/**
 * Beethoven created through `cli`, and `scene` written by hand for him from standard input:
 * resolves to the new scene's id; throws with the CLI's message when either step fails.
 */
export async function handSceneOfBeethoven(
  cli: (args: string[], stdin?: string) => Promise<CliOutcome>,
  scene: SceneDoc = WALK_SCENE,
): Promise<string> {
  const ran = async (args: string[], stdin?: string) => {
    const outcome = await cli(args, stdin);
    if (outcome.code !== 0)
      throw new Error(`character-studio ${args.join(' ')} failed (${outcome.code}): ${outcome.err}`);
    return outcome;
  };
  await ran(['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven']);
  const created = await ran(['scenes', 'create', 'Beethoven', '-', '--json'], JSON.stringify(scene));
  return (JSON.parse(created.out) as { id: string }).id;
}
