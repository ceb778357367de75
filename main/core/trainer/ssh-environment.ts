/**
 * The trainer's environment on an SSH host: the character_trainer package uploaded once per content
 * version (`trainer/<hash>/`, whole once its `.complete` marker is there), the Python it runs in
 * (the configured interpreter when it holds the pinned packages, else `<remoteRoot>/venv`), and
 * launching a trainer command detached from the session, with its pid and exit code in files.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, posix, relative } from 'node:path';
import {
  isTooOld,
  MIN_PYTHON,
  parsePythonCheck,
  PYTHON_CHECK_SNIPPET,
  readRequirements,
  TrainerLaunchError,
  type Requirement,
} from './python-env';
import { shellQuote } from './shell';
import { localFiles } from './ssh-files';
import type { SshHostConfig, SshSession } from './ssh-session';

/** The wrapper's files in the run folder: training's, or the server's beside them. */
export interface ProcessFiles {
  pid: string;
  exitCode: string;
  stdout: string;
  stderr: string;
}

export class RemoteTrainerEnvironment {
  constructor(
    private readonly session: SshSession,
    private readonly host: SshHostConfig,
    /** Local folder holding the character_trainer package and requirements.txt. */
    private readonly trainerDir: string,
    /** Progress lines (uploads, pip), as the launcher's 'log'. */
    private readonly log: (line: string) => void,
  ) {}

  /** Uploads the trainer package once per content version; returns its remote folder. */
  async uploadTrainer(): Promise<string> {
    const files = await localFiles(this.trainerDir);
    const hash = createHash('sha256');
    for (const file of files)
      hash
        .update(relative(this.trainerDir, file))
        .update('\0')
        .update(await readFile(file))
        .update('\0');
    const remote = posix.join(this.session.remoteRoot, 'trainer', hash.digest('hex').slice(0, 16));
    return this.session.whileConnected('uploading the trainer', async () => {
      if (await this.session.remote().exists(posix.join(remote, '.complete'))) return remote;
      this.log(`uploading the trainer to ${this.host.host}:${remote}`);
      await this.session.remote().uploadFolder(this.trainerDir, remote, files, { resume: true, what: 'the trainer' });
      // Last: the marker says every file above is whole.
      await this.session.remote().writeRemote(posix.join(remote, '.complete'), '');
      return remote;
    });
  }

  private async checkRemotePython(
    python: string,
    requirements: Requirement[],
  ): Promise<{ python: string; missing: string[] } | null> {
    const pins = JSON.stringify(requirements.map((r) => [r.name, r.version]));
    const result = await this.session.exec(
      `${shellQuote(python)} -c ${shellQuote(PYTHON_CHECK_SNIPPET)} ${shellQuote(pins)}`,
    );
    if (result.code !== 0) return null;
    const check = parsePythonCheck(result.stdout, `${this.host.host}:${python}`);
    return { python: check.python, missing: [...check.missing, ...check.mismatched.map((m) => m.name)] };
  }

  /**
   * The remote interpreter to run with: the configured one when it holds the pinned packages, else
   * `<remoteRoot>/venv`, created with it and `pip install -r requirements.txt` (progress on 'log').
   */
  async bootstrap(trainerRemote: string): Promise<string> {
    const requirements = await readRequirements(join(this.trainerDir, 'requirements.txt'));
    const configured = this.host.python ?? 'python3';
    const check = await this.checkRemotePython(configured, requirements);
    if (!check) {
      throw new TrainerLaunchError(
        'python_missing',
        `${configured} does not run on ${this.host.host}. Install Python ${MIN_PYTHON.join('.')}+ there (with the venv module) or set the remote Python path in the host settings.`,
      );
    }
    if (isTooOld(check.python)) {
      throw new TrainerLaunchError(
        'python_too_old',
        `${configured} on ${this.host.host} is Python ${check.python}; the trainer needs ${MIN_PYTHON.join('.')} or newer. Set the remote Python path to a newer interpreter.`,
      );
    }
    if (!check.missing.length) return configured;
    const venv = posix.join(this.session.remoteRoot, 'venv');
    const venvPython = posix.join(venv, 'bin', 'python');
    const existing = await this.checkRemotePython(venvPython, requirements);
    if (existing && !existing.missing.length) return venvPython;
    const log = this.log;
    log(`${configured} on ${this.host.host} lacks ${check.missing.join(', ')}: installing them into ${venv}`);
    // The host's extra environment reaches pip too (e.g. PIP_INDEX_URL, HTTPS_PROXY on a lab network).
    const env = Object.entries(this.host.env ?? {})
      .map(([key, value]) => `${key}=${shellQuote(value)} `)
      .join('');
    const setUp = async (command: string, what: string, fix: string): Promise<void> => {
      const lines: string[] = [];
      const result = await this.session.exec(`${env}${command}`, (line) => {
        lines.push(line);
        log(line);
      });
      if (result.code === 0) return;
      const tail = lines.filter((line) => line.trim()).slice(-6);
      throw new TrainerLaunchError(
        'venv_failed',
        `${what} failed on ${this.host.host} (exit ${String(result.code)}). ${fix} Last output: ${tail.join(' | ') || 'none'}`,
      );
    };
    if (!existing)
      await setUp(
        `${shellQuote(configured)} -m venv ${shellQuote(venv)}`,
        `Creating the venv ${venv} with ${configured}`,
        'On Debian/Ubuntu install python3-venv there, or set the remote Python to an interpreter with the venv module.',
      );
    await setUp(
      `${shellQuote(venvPython)} -m pip install --disable-pip-version-check --progress-bar off -r ${shellQuote(posix.join(trainerRemote, 'requirements.txt'))}`,
      `Installing the trainer packages into ${venv} with pip`,
      'The host needs access to a package index (or PIP_INDEX_URL / a proxy in the host environment), or set the remote Python to an interpreter that has the packages.',
    );
    const after = await this.checkRemotePython(venvPython, requirements);
    if (!after || after.missing.length) {
      throw new TrainerLaunchError(
        'venv_failed',
        `After pip install, ${venvPython} on ${this.host.host} still lacks ${after?.missing.join(', ') ?? 'a working interpreter'}.`,
      );
    }
    return venvPython;
  }

  /**
   * Runs `command` in `runDir` detached from the SSH session (setsid + nohup + closed stdin) with
   * the trainer on PYTHONPATH and the host's extra environment; the wrapper records the pid and the
   * exit code in `files`. Returns the pid, which leads the process group (kill `-pid`).
   */
  async launchDetached(
    runDir: string,
    trainerRemote: string,
    command: string,
    files: ProcessFiles,
    what: string,
  ): Promise<number> {
    const env = { PYTHONPATH: trainerRemote, PYTHONUNBUFFERED: '1', ...this.host.env };
    const assignments = Object.entries(env)
      .map(([key, value]) => `${key}=${shellQuote(value)}`)
      .join(' ');
    const inner = `${command}; echo $? > ${shellQuote(files.exitCode)}`;
    const script = [
      `cd ${shellQuote(runDir)} || exit 1`,
      `rm -f ${shellQuote(files.exitCode)} ${shellQuote(files.pid)}`,
      `${assignments} setsid nohup sh -c ${shellQuote(inner)} > ${shellQuote(files.stdout)} 2>> ${shellQuote(files.stderr)} < /dev/null &`,
      `echo $! > ${shellQuote(files.pid)}`,
      'echo $!',
    ].join('\n');
    const pid = Number((await this.session.execOk(script, what)).trim());
    if (!Number.isInteger(pid) || pid <= 0)
      throw new TrainerLaunchError(
        'spawn_failed',
        `The remote shell on ${this.host.host} did not report the pid (${what}).`,
      );
    return pid;
  }
}
