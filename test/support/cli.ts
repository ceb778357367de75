import { Readable } from 'node:stream';
import { runCli } from '../../main/cli/main';

/**
 * Runs the CLI in-process on the data folder `dataDir`, capturing what it prints. `lines`: what an
 * interactive command (the terminal chat) reads, as typed.
 */
export async function runCliIn(
  dataDir: string,
  args: string[],
  stdin = '',
  lines?: string,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, '--data-dir', dataDir], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    stdin: () => Promise.resolve(Buffer.from(stdin)),
    ...(lines !== undefined && { input: Readable.from([lines]) }),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
