import { execFile } from 'node:child_process';
import { builtCliBin, fixture } from './paths';

/** Runs one CLI command; resolves with its exit code and stderr (0 and '' when it does not say). */
export type CliRunner = (...args: string[]) => Promise<{ code: number; err: string }>;

/**
 * Beethoven (of `era`, when given) with the paper's profile and a provider named `provider` at
 * `llmBaseUrl` (the fake LLM server; `providerArgs` added to its `providers add`), all through the
 * CLI `cli` runs. Throws with the CLI's message when a step fails.
 */
export async function beethovenWithCli(
  cli: CliRunner,
  llmBaseUrl: string,
  { provider = 'Fake', era, providerArgs = [] }: { provider?: string; era?: string; providerArgs?: string[] } = {},
): Promise<void> {
  await cliSteps(cli, [
    ['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven'].concat(
      era ? ['--era', era] : [],
    ),
    ['profiles', 'import', 'Beethoven', fixture('wiki_Beethoven.txt')],
    ['providers', 'add', '--name', provider, '--preset', 'custom', '--base-url', llmBaseUrl].concat(
      ['--model', 'fake-model', '--api-key', 'test-key'],
      providerArgs,
    ),
  ]);
}

/**
 * Beethoven as `beethovenWithCli` makes him, then `target` scenes generated (`protective` of them
 * protective, none by default): the setup every door's dataset test starts from.
 */
export async function generateWithCli(
  cli: CliRunner,
  llmBaseUrl: string,
  {
    target,
    perCall,
    provider = 'Fake',
    protective = 0,
  }: { target: number; perCall: number; provider?: string; protective?: number },
): Promise<void> {
  await beethovenWithCli(cli, llmBaseUrl, { provider });
  await cliSteps(cli, [
    ['generate', 'Beethoven', '--provider', provider, '--target', `${target}`, '--per-call', `${perCall}`].concat([
      '--protective',
      `${protective}`,
    ]),
  ]);
}

/** Runs each command in turn; throws with the CLI's message at the first that fails. */
async function cliSteps(cli: CliRunner, steps: string[][]): Promise<void> {
  for (const step of steps) {
    const { code, err } = await cli(...step);
    if (code !== 0) throw new Error(`character-studio ${step.join(' ')} failed (${code}): ${err}`);
  }
}

/** The built CLI (bin/character-studio.cjs) in a child process on `dataDir`, as a user runs it. */
export function builtCli(dataDir: string): CliRunner {
  return (...args) =>
    new Promise((resolve) => {
      execFile(process.execPath, [builtCliBin, ...args, '--data-dir', dataDir], (error, _out, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          err: stderr || (error?.message ?? ''),
        }),
      );
    });
}
