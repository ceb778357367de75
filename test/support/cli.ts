import { runCli } from '../../main/cli/main';

/** Runs the CLI in-process on the data folder `dataDir`, capturing what it prints. */
export async function runCliIn(
  dataDir: string,
  args: string[],
  stdin = '',
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, '--data-dir', dataDir], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    stdin: () => Promise.resolve(Buffer.from(stdin)),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
