import { execFile } from 'node:child_process';
import path from 'node:path';
import { fixture, repoRoot } from './paths';

/** Runs one CLI command; resolves with its exit code and stderr (0 and '' when it does not say). */
export type CliRunner = (...args: string[]) => Promise<{ code: number; err: string }>;

/**
 * Beethoven with the paper's profile, a provider named `provider` at `llmBaseUrl` (the fake LLM
 * server) and `target` scenes generated (`protective` of them protective, none by default), all
 * through the CLI `cli` runs:
 * the setup every door's dataset test starts from. Throws with the CLI's message when a step fails.
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
  const steps = [
    ['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven'],
    ['profiles', 'import', 'Beethoven', fixture('wiki_Beethoven.txt')],
    ['providers', 'add', '--name', provider, '--preset', 'custom', '--base-url', llmBaseUrl],
    ['generate', 'Beethoven', '--provider', provider, '--target', `${target}`, '--per-call', `${perCall}`],
  ];
  steps[2]!.push('--model', 'fake-model', '--api-key', 'test-key');
  steps[3]!.push('--protective', `${protective}`);
  for (const step of steps) {
    const { code, err } = await cli(...step);
    if (code !== 0) throw new Error(`character-studio ${step.join(' ')} failed (${code}): ${err}`);
  }
}

/** The built CLI (bin/character-studio.cjs) in a child process on `dataDir`, as a user runs it. */
export function builtCli(dataDir: string): CliRunner {
  return (...args) =>
    new Promise((resolve) => {
      const bin = path.join(repoRoot, 'bin', 'character-studio.cjs');
      execFile(process.execPath, [bin, ...args, '--data-dir', dataDir], (error, _out, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          err: stderr || (error?.message ?? ''),
        }),
      );
    });
}
