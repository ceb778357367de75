import { spawn } from 'node:child_process';
import readline from 'node:readline';

/**
 * The fake OpenAI-compatible server in its own process (`script`: test/bench/fake-server-main,
 * built), so a benchmark's CPU figures are the studio's alone; `env` sets its latency, responder and
 * models (see that file). Resolves once it listens.
 */
export async function startFakeServerProcess(
  script: string,
  env: Record<string, string>,
): Promise<{ baseURL: string; stop: () => void }> {
  const child = spawn(process.execPath, [script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const line = await new Promise<string>((resolve) =>
    readline.createInterface({ input: child.stdout }).once('line', resolve),
  );
  return { baseURL: (JSON.parse(line) as { baseURL: string }).baseURL, stop: () => child.kill('SIGTERM') };
}
