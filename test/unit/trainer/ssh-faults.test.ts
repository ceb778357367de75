/**
 * The remote launcher under faults, against a real OpenSSH server on 127.0.0.1
 * (test/support/sshd.ts): a connection dropped mid-upload by a TCP proxy that cuts the link after
 * a byte count, then a healthy retry that resumes the upload and trains; and the remote venv
 * bootstrap for real, with the system python3 (no torch) and a trainer whose requirements are two
 * small pinned packages from the local wheel index.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTrainerDataset } from '../../../main/core/trainer/dataset-export';
import { KnownHostsFile } from '../../../main/core/trainer/known-hosts';
import { TrainerLaunchError } from '../../../main/core/trainer/python-env';
import { SshTrainerLauncher, type SshHostConfig } from '../../../main/core/trainer/ssh-launcher';
import { tempDir } from '../../support/paths';
import { startSshd, startTcpProxy, type TcpProxy, type TestSshd } from '../../support/sshd';
import { beethoven, buildTinyModel, studioScenes, tinyJob, trainerDir, trainerEnv, venvPython } from './fixtures';

const tmp = tempDir('cs-trainer-ssh-faults-');
const SYSTEM_PYTHON = '/usr/bin/python3';
/** Big enough that a cut after 1 MB of client traffic lands inside it (it sorts after the package). */
const PADDING_BYTES = 4_000_000;
let sshd: TestSshd;
let proxy: TcpProxy;
let knownHosts: string;

/** A copy of the real trainer package (without caches) in `dir`, adjusted by `change`. */
function trainerCopy(dir: string, change: (dir: string) => void): string {
  cpSync(trainerDir, dir, { recursive: true, filter: (src) => !src.includes('__pycache__') && !src.endsWith('.pyc') });
  change(dir);
  return dir;
}

/** Every file under `dir`, relative, '/'-separated. */
function filesUnder(dir: string): string[] {
  return (
    readdirSync(dir, { recursive: true, withFileTypes: true }) as {
      isFile(): boolean;
      parentPath: string;
      name: string;
    }[]
  )
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

beforeAll(async () => {
  sshd = await startSshd();
  proxy = await startTcpProxy(sshd.port);
  knownHosts = join(tmp.dir, 'known_hosts');
  const key = sshd.hostPublicKey.split(' ').slice(0, 2).join(' ');
  writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${key}\n[127.0.0.1]:${proxy.port} ${key}\n`);
}, 30_000);
afterAll(async () => {
  await proxy?.close();
  await sshd?.stop();
  tmp.cleanup();
});

describe('a connection lost mid-upload', () => {
  it('fails with connection_lost, leaves no torn file under its final name, and a retry resumes the upload and trains', async () => {
    const padded = trainerCopy(join(tmp.dir, 'trainer-padded'), (dir) =>
      writeFileSync(join(dir, 'padding.bin'), randomBytes(PADDING_BYTES)),
    );
    const model = buildTinyModel(join(tmp.dir, 'tiny-llama'));
    const dataset = (await writeTrainerDataset(join(tmp.dir, 'scenes.jsonl'), studioScenes(6), beethoven)).path;
    const remoteRoot = join(tmp.dir, 'remote-drop');
    const host: SshHostConfig = {
      host: sshd.host,
      port: proxy.port,
      username: sshd.username,
      privateKeyPath: sshd.userKeyPath,
      python: venvPython,
      remoteRoot,
      env: trainerEnv,
    };
    const launcherFor = (logs: string[]): SshTrainerLauncher => {
      const launcher = new SshTrainerLauncher(host, {
        hostKeys: new KnownHostsFile(knownHosts),
        trainerDir: padded,
        pollMs: 150,
        reconnectDelaysMs: [200],
      });
      launcher.on('log', (line) => logs.push(line));
      return launcher;
    };
    const { run_dir: _r, dataset: _d, ...job } = tinyJob('unused', model, 'unused');

    // The link drops after 1 MB from the client: the handshake is a few KB, so this is inside the trainer upload.
    proxy.cutAfterBytes = 1_000_000;
    const firstLogs: string[] = [];
    const first = launcherFor(firstLogs);
    const error = await first.start('run-drop', job, dataset).catch((e: unknown) => e);
    expect(proxy.cuts).toBe(1);
    expect(error).toBeInstanceOf(TrainerLaunchError);
    expect(error).toMatchObject({
      reason: 'connection_lost',
      message: `The connection to 127.0.0.1 was lost while uploading the trainer; nothing was started there. Start the run again (Resume) when the host is reachable.`,
    });
    expect(first.connected).toBe(false);

    // The remote side is this machine: no marker, nothing started, every final-named file whole.
    const [hashDir, ...others] = readdirSync(join(remoteRoot, 'trainer'));
    expect(others).toEqual([]);
    const remoteTrainer = join(remoteRoot, 'trainer', hashDir!);
    const uploaded = filesUnder(remoteTrainer);
    expect(uploaded).not.toContain('.complete');
    expect(existsSync(join(remoteRoot, 'runs'))).toBe(false);
    expect(uploaded).not.toContain('padding.bin');
    const torn = uploaded.filter((file) => file.endsWith('.part'));
    expect(torn).toEqual(['padding.bin.part']);
    expect(statSync(join(remoteTrainer, 'padding.bin.part')).size).toBeLessThan(PADDING_BYTES);
    const whole = uploaded.filter((file) => !file.endsWith('.part'));
    expect(whole.length).toBeGreaterThan(5);
    for (const file of whole)
      expect(readFileSync(join(remoteTrainer, file)).equals(readFileSync(join(padded, file))), file).toBe(true);

    // The link is healthy again: a new start resumes the trainer upload, uploads the rest and trains.
    proxy.cutAfterBytes = null;
    const logs: string[] = [];
    const second = launcherFor(logs);
    const run = await second.start('run-drop', job, dataset);
    const exit = await second.waitForExit();
    expect(exit, logs.slice(-10).join('\n')).toMatchObject({ code: 0, meaning: 'done' });
    await second.detach();
    expect(run.runDir).toBe(join(remoteRoot, 'runs', 'run-drop'));
    expect(logs).toContain(
      `the trainer: ${whole.length} of ${filesUnder(padded).length} files are already on 127.0.0.1`,
    );
    expect(logs).toContainEqual(expect.stringMatching(/^uploading the trainer: 4\.\d\d of 4\.\d\d MB \(100%\)$/));
    expect(logs).toContainEqual(expect.stringMatching(/^uploading the dataset: \d+\.\d\d of \d+\.\d\d MB \(100%\)$/));
    const after = filesUnder(remoteTrainer).filter((file) => !file.includes('__pycache__/')); // written by the run
    expect(after.filter((file) => file.endsWith('.part'))).toEqual([]);
    expect(after).toEqual(['.complete', ...filesUnder(padded)].sort());
    expect(readFileSync(join(remoteTrainer, 'padding.bin')).equals(readFileSync(join(padded, 'padding.bin')))).toBe(
      true,
    );
    expect(filesUnder(run.runDir).filter((file) => file.endsWith('.part'))).toEqual([]);
    expect(existsSync(join(run.runDir, 'adapter', 'adapter_model.safetensors'))).toBe(true);
  }, 90_000);
});

describe('the remote venv bootstrap', () => {
  const remoteRoot = join(tmp.dir, 'remote-venv');
  const venv = join(remoteRoot, 'venv');
  const pipEnv = { PIP_RETRIES: '0', PIP_TIMEOUT: '5' };
  const launcherFor = (
    python: string,
    requirements: string,
    logs: string[],
    name: string,
  ): { launcher: SshTrainerLauncher; dir: string } => {
    const dir = trainerCopy(join(tmp.dir, `trainer-${name}`), (d) =>
      writeFileSync(join(d, 'requirements.txt'), requirements),
    );
    const launcher = new SshTrainerLauncher(
      {
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        privateKeyPath: sshd.userKeyPath,
        python,
        remoteRoot,
        env: pipEnv,
      },
      { hostKeys: new KnownHostsFile(knownHosts), trainerDir: dir },
    );
    launcher.on('log', (line) => logs.push(line));
    return { launcher, dir };
  };
  const small = 'iniconfig==2.3.0\ntomli_w==1.2.0\n';

  it('creates the venv with pip output as log lines, then reuses it without pip', async () => {
    // Precondition: the system python lacks the packages, so a venv must be made.
    expect(
      () => execFileSync(SYSTEM_PYTHON, ['-c', 'import iniconfig'], { stdio: 'ignore' }),
      `${SYSTEM_PYTHON} already has iniconfig; this test needs a python without it`,
    ).toThrow();
    const logs: string[] = [];
    const { launcher } = launcherFor(SYSTEM_PYTHON, small, logs, 'small');
    await launcher.connect();
    const python = await launcher.bootstrap(await launcher.uploadTrainer());
    await launcher.detach();
    expect(python).toBe(join(venv, 'bin', 'python'));
    expect(logs).toContain(`${SYSTEM_PYTHON} on 127.0.0.1 lacks iniconfig, tomli_w: installing them into ${venv}`);
    expect(logs).toContainEqual(
      expect.stringMatching(/^Successfully installed (?=.*iniconfig-2\.3\.0)(?=.*tomli[_-]w-1\.2\.0)/),
    );
    expect(
      execFileSync(python, ['-c', 'import iniconfig, tomli_w; print(tomli_w.dumps({"ok": True}).strip())'], {
        encoding: 'utf8',
      }).trim(),
    ).toBe('ok = true');

    const again: string[] = [];
    const second = launcherFor(SYSTEM_PYTHON, small, again, 'small-again').launcher;
    await second.connect();
    const trainer = await second.uploadTrainer();
    expect(await second.bootstrap(trainer)).toBe(python);
    await second.detach();
    // pip ran not at all: its every line is a log line (as above). No wall-clock bound: the check
    // that the venv is complete runs python over SSH, which a loaded machine can slow past any bound.
    expect(again.filter((line) => !line.startsWith('uploading'))).toEqual([]);
  }, 60_000);

  it('says what pip said when a requirement cannot be installed', async () => {
    const logs: string[] = [];
    const { launcher } = launcherFor(SYSTEM_PYTHON, `${small}no-such-package-cs==1.0.0\n`, logs, 'missing');
    await launcher.connect();
    const trainer = await launcher.uploadTrainer();
    const error = await launcher.bootstrap(trainer).catch((e: unknown) => e);
    await launcher.detach();
    expect(error).toBeInstanceOf(TrainerLaunchError);
    expect(error).toMatchObject({ reason: 'venv_failed' });
    const message = (error as Error).message;
    expect(message).toContain(`Installing the trainer packages into ${venv} with pip failed on 127.0.0.1 (exit 1).`);
    expect(message).toMatch(/Last output: .*No matching distribution found for no-such-package-cs==1\.0\.0/);
    expect(logs).toContainEqual(expect.stringMatching(/No matching distribution found for no-such-package-cs/));
  }, 60_000);

  it('names a remote python that does not exist', async () => {
    const { launcher } = launcherFor('/opt/no-such-python/bin/python3', small, [], 'nopython');
    await launcher.connect();
    const trainer = await launcher.uploadTrainer();
    const error = await launcher.bootstrap(trainer).catch((e: unknown) => e);
    await launcher.detach();
    expect(error).toMatchObject({
      reason: 'python_missing',
      message: expect.stringMatching(
        /^\/opt\/no-such-python\/bin\/python3 does not run on 127\.0\.0\.1\. Install Python 3\.10\+/,
      ),
    });
  }, 30_000);
});
