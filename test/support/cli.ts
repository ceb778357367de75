import { Readable } from 'node:stream';
import { runCli } from '../../main/cli/main';
import type { Io } from '../../main/cli/shared';

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
