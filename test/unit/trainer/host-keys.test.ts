/**
 * Host key decisions: the known_hosts reader (wildcards, negations, `@revoked`), and against a real
 * OpenSSH server holding an ed25519 and an RSA host key (test/support/sshd.ts): a pinned key of
 * either type is the one the server is asked for, a server offering only another type counts as a
 * changed key, and a revoked key is refused, with no offer to trust it anywhere.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fingerprint,
  hostKeyAlgorithms,
  judgeHostKey,
  keyType,
  KnownHostsFile,
} from '../../../main/core/trainer/known-hosts';
import { SshHostKeyError, SshTrainerLauncher, type SshHostConfig } from '../../../main/core/trainer/ssh-launcher';
import { presentedHostKey } from '../../../main/core/training/host-service';
import { tempDir } from '../../support/paths';
import { startSshd, type TestSshd } from '../../support/sshd';
import { call, callError, makeStudio } from '../../support/studio';
import { trainerDir } from './fixtures';

const tmp = tempDir('cs-host-keys-');
let sshd: TestSshd;
let host: SshHostConfig & { port: number; privateKeyPath: string; python: string; remoteRoot: string };

/** `type base64` of a freshly generated key of `type`, one the server does not hold. */
function strangerKey(type: 'ed25519' | 'ecdsa'): string {
  const file = join(tmp.dir, `stranger_${type}_${Math.random().toString(36).slice(2)}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
}

function blob(keyFields: string): Buffer {
  return Buffer.from(keyFields.split(' ')[1]!, 'base64');
}

function knownHosts(name: string, lines: string[]): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function connectWith(file: string): Promise<unknown> {
  const launcher = new SshTrainerLauncher(host, { hostKeys: new KnownHostsFile(file), trainerDir });
  return launcher.connect().then(
    async () => {
      await launcher.detach();
      return 'connected';
    },
    (error: unknown) => error,
  );
}

describe('known_hosts lines', () => {
  const ed = strangerKey('ed25519');
  const other = strangerKey('ed25519');

  it('reads wildcards, negations and @revoked markers as OpenSSH does', async () => {
    const file = knownHosts('patterns', [
      `gpu-?.lab,!gpu-9.lab ${ed}`,
      `[*.example.org]:2222 ${other}`,
      `@revoked * ${other}`,
      `@cert-authority *.lab ${ed}`,
      `# a comment ${ed}`,
    ]);
    const store = new KnownHostsFile(file);
    expect((await store.keysFor('GPU-1.lab', 22)).trusted.map(fingerprint)).toEqual([fingerprint(blob(ed))]);
    expect((await store.keysFor('gpu-9.lab', 22)).trusted).toEqual([]);
    expect((await store.keysFor('gpu-10.lab', 22)).trusted).toEqual([]);
    const lab = await store.keysFor('a.example.org', 2222);
    expect(lab.trusted.map(fingerprint)).toEqual([fingerprint(blob(other))]);
    expect(lab.revoked.map(fingerprint)).toEqual([fingerprint(blob(other))]);
    expect(judgeHostKey(lab, blob(other))).toBe('revoked');
    expect((await store.keysFor('a.example.org', 22)).revoked).toHaveLength(1);
  });

  it('judges a key of another type than the pinned one as changed, never as unknown', () => {
    const pinned = { trusted: [blob(ed)], revoked: [] };
    const rsaLike = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), Buffer.alloc(8)]);
    expect(keyType(rsaLike)).toBe('ssh-rsa');
    expect(judgeHostKey(pinned, rsaLike)).toBe('changed');
    expect(judgeHostKey(pinned, blob(other))).toBe('changed');
    expect(judgeHostKey({ trusted: [], revoked: [] }, rsaLike)).toBe('unknown');
    expect(judgeHostKey({ trusted: [], revoked: [rsaLike] }, rsaLike)).toBe('revoked');
    expect(hostKeyAlgorithms([rsaLike]).slice(0, 4)).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
    expect(hostKeyAlgorithms([])[0]).toBe('ssh-ed25519');
  });
});

describe('against a server with an ed25519 and an RSA host key', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    sshd = await startSshd(['ed25519', 'rsa']);
    host = {
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKeyPath: sshd.userKeyPath,
      python: 'python3',
      remoteRoot: join(tmp.dir, 'remote'),
    };
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
    tmp.cleanup();
  });

  const name = (): string => `[127.0.0.1]:${sshd.port}`;

  it('asks for the pinned key type, so a host pinned by its RSA key connects', async () => {
    const file = knownHosts('pinned_rsa', [`${name()} ${sshd.hostKeys.rsa!}`]);
    expect(await connectWith(file)).toBe('connected');
    const pinned = (await new KnownHostsFile(file).keysFor(sshd.host, sshd.port)).trusted;
    const shown = await presentedHostKey({ host: sshd.host, port: sshd.port, username: sshd.username }, pinned);
    expect(keyType(shown)).toBe('ssh-rsa');
  });

  it('refuses a server that offers only another type than the pinned key, and offers no trust', async () => {
    const file = knownHosts('pinned_ecdsa', [`${name()} ${strangerKey('ecdsa')}`]);
    const refused = await connectWith(file);
    expect(refused).toBeInstanceOf(SshHostKeyError);
    expect(refused).toMatchObject({ verdict: 'changed', reason: 'ssh_host_changed' });
    expect((refused as Error).message).toMatch(/has CHANGED .*only another key type.*refuses to connect/);

    // The same through the studio: hosts/test shows the warning without a trust button, hosts/trust refuses.
    const { studio, dir, cleanup } = makeStudio();
    try {
      const before = `${name()} ${strangerKey('ecdsa')}\n`;
      writeFileSync(join(dir, 'known_hosts'), before);
      const { host: address, port, username, privateKeyPath, python, remoteRoot } = host;
      const draft = { host: address, port, username, privateKeyPath, python, remoteRoot };
      const saved = await call(studio, 'hosts/save', { ...draft, name: 'lab', gpuCount: 1 });
      const check = await call(studio, 'hosts/test', { id: saved.id });
      expect(check).toMatchObject({ ok: false, needsTrust: false });
      expect(check.summary).toMatch(/CHANGED/);
      const trust = await callError(studio, 'hosts/trust', { id: saved.id, fingerprint: check.fingerprint! });
      expect(trust.code).toBe('conflict');
      expect(readFileSync(join(dir, 'known_hosts'), 'utf8')).toBe(before);
    } finally {
      cleanup();
    }
  });

  it('refuses a key marked @revoked, even when it is also listed as trusted', async () => {
    const revoked = `@revoked * ${sshd.hostKeys.ed25519!}`;
    for (const lines of [[revoked], [`${name()} ${sshd.hostKeys.ed25519!}`, revoked]]) {
      const refused = await connectWith(knownHosts(`revoked_${lines.length}`, lines));
      expect(refused).toMatchObject({ verdict: 'revoked', reason: 'ssh_host_revoked' });
      expect((refused as Error).message).toMatch(/marked @revoked .*refuses to connect/);
    }
  });
});
