import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { canConnect, listenSshd } from '../../support/sshd';
import { tempDir } from '../../support/paths';

// The test sshd asks for a free port and binds it a moment later: a port taken in between (CI runs
// many servers at once) made sshd exit and the remote tests' setup fail. It now tries a fresh port.

let taken: Server | undefined;
const tmp = tempDir('cs-sshd-port-');
afterEach(async () => {
  await new Promise((resolve) => (taken ? taken.close(resolve) : resolve(undefined)));
  tmp.cleanup();
});

it('starts on a fresh port when the free port it was given is taken before sshd binds it', async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken!.listen(0, '127.0.0.1', resolve));
  const busy = (taken.address() as { port: number }).port;
  const hostKey = join(tmp.dir, 'host_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const offered: number[] = [];
  // The first port offered is the taken one, as when another process wins the race for it.
  const { child, port, exited } = await listenSshd(tmp.dir, [hostKey], async () => {
    const next = offered.length === 0 ? busy : await freeOne();
    offered.push(next);
    return next;
  });
  try {
    expect(offered).toHaveLength(2);
    expect(port).toBe(offered[1]);
    expect(child.exitCode).toBeNull();
    expect(await canConnect(port)).toBe(true);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}, 30_000);

async function freeOne(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
