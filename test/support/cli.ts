import { Readable } from 'node:stream';
import { runCli } from '../../main/cli/main';

/**
 * Runs the CLI in-process on the data folder `dataDir`, capturing what it prints (`streamed`: what
 * it wrote without line ends, a reply as it streamed). `lines`: what an interactive command (the
 * terminal chat) reads, as typed. `onErr` sees each stderr line as it is printed, to act while the
 * command runs (press Ctrl+C once it has started, say).
 */
export async function runCliIn(
  dataDir: string,
  args: string[],
  stdin = '',
  lines?: string,
  onErr?: (line: string) => void,
): Promise<{ code: number; out: string; err: string; streamed: string }> {
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
  });
  return { code, out: out.join('\n'), err: err.join('\n'), streamed };
}
