/**
 * Runs the Python trainer as a supervised child process on this machine.
 *
 * Lifecycle: `start(job)` writes `<run_dir>/job.json` (`job.<command>.json` for export and serve, so
 * the training job stays on record), checks the interpreter, spawns
 * `python -m character_trainer train --job <run_dir>/job.json` and resolves once the process
 * exists; then 'event' for each stdout event, 'log' for each stderr line, and exactly one 'exit'.
 * `startPreviewServer()` starts the long-lived `preview-server` instead (requests through `write`).
 * One launcher runs one process at a time; it holds no global state.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { DoctorEvent, DoneEvent, ErrorEvent, TrainerCommand } from '../../../common/trainer-protocol';
import { parseTrainerEvent, TrainerProtocolError } from './events';
import { RUN_FILES, type TrainerJob } from './job';
import { checkPython, LineSplitter, readRequirements, runCaptured, SETUP_HINT, TrainerLaunchError } from './python-env';
import { describeExit, type TrainerExit, type TrainerLauncherEvents } from './supervision';
import { clause } from '../../../common/sentence';

export interface LocalLauncherOptions {
  /** The interpreter: `.venv/bin/python` in development, a managed venv or the user's choice. */
  python: string;
  /** Folder holding the `character_trainer` package: resources/trainer in development, process.resourcesPath/trainer when packaged. */
  trainerDir: string;
  /** Added to the process environment (e.g. HF_HUB_OFFLINE, CUDA_VISIBLE_DEVICES). */
  env?: Record<string, string>;
  /** After `stop()`, how long the trainer may take to finish its step and save before SIGTERM. Milliseconds. */
  stopGraceMs?: number;
  /** Check the interpreter and its packages before spawning (default true). */
  preflight?: boolean;
}

export class LocalTrainerLauncher extends EventEmitter<TrainerLauncherEvents> {
  private child: ChildProcessWithoutNullStreams | null = null;
  private terminal: DoneEvent | ErrorEvent | null = null;
  private stopTimer: NodeJS.Timeout | null = null;
  private exitPromise: Promise<TrainerExit> | null = null;

  constructor(private readonly options: LocalLauncherOptions) {
    super();
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Resolves with how the current (or last) run ended. */
  waitForExit(): Promise<TrainerExit> {
    if (!this.exitPromise) return Promise.reject(new TrainerLaunchError('not_running', 'No trainer run was started.'));
    return this.exitPromise;
  }

  private env(): NodeJS.ProcessEnv {
    const inherited = process.env.PYTHONPATH;
    return {
      ...process.env,
      ...this.options.env,
      PYTHONPATH: inherited ? `${this.options.trainerDir}${delimiter}${inherited}` : this.options.trainerDir,
      PYTHONUNBUFFERED: '1',
    };
  }

  /** Fails with a clear TrainerLaunchError when the interpreter is missing, too old, or lacks pinned packages. */
  async preflight(): Promise<void> {
    const requirementsFile = join(this.options.trainerDir, 'requirements.txt');
    const requirements = existsSync(requirementsFile) ? await readRequirements(requirementsFile) : [];
    const check = await checkPython(this.options.python, requirements);
    if (check.missing.length) {
      throw new TrainerLaunchError(
        'packages_missing',
        `${this.options.python} (Python ${check.python}) lacks the trainer's packages: ${check.missing.join(', ')}. ${SETUP_HINT}`,
      );
    }
    for (const m of check.mismatched)
      this.emit('log', `warning: ${m.name} ${m.have} is installed; the trainer is tested with ${m.want}`);
  }

  /** Starts a `train` (default) or `export` run. Rejects if one is running or Python is unusable. */
  async start(
    job: TrainerJob,
    command: Exclude<TrainerCommand, 'doctor' | 'preview-server'> = 'train',
  ): Promise<{ pid: number; jobPath: string }> {
    if (this.child)
      throw new TrainerLaunchError('already_running', 'This launcher is already running a trainer; stop it first.');
    if (!isAbsolute(job.run_dir))
      throw new TrainerLaunchError('spawn_failed', `run_dir must be an absolute path (got ${job.run_dir}).`);
    if (this.options.preflight ?? true) await this.preflight();
    await mkdir(job.run_dir, { recursive: true });
    const jobPath = join(job.run_dir, command === 'train' ? RUN_FILES.job : `job.${command}.json`);
    await writeFile(jobPath, `${JSON.stringify(job, null, 2)}\n`);
    const pid = await this.spawnTrainer([command, '--job', jobPath], job.run_dir);
    return { pid, jobPath };
  }

  /**
   * Starts `preview-server`: a trainer that answers preview requests written with `write` (see
   * resources/trainer/character_trainer/preview_server.py) until `stop` or the end of its stdin.
   */
  async startPreviewServer(cwd: string): Promise<{ pid: number }> {
    if (this.child)
      throw new TrainerLaunchError('already_running', 'This launcher is already running a trainer; stop it first.');
    if (this.options.preflight ?? true) await this.preflight();
    return { pid: await this.spawnTrainer(['preview-server'], cwd) };
  }

  /** Writes one line to the trainer's stdin (a `preview-server` request). */
  write(line: string): void {
    const child = this.child;
    if (!child) throw new TrainerLaunchError('not_running', 'No trainer is running.');
    if (child.stdin.writable) child.stdin.write(`${line}\n`);
  }

  private async spawnTrainer(args: string[], cwd: string): Promise<number> {
    const child = spawn(this.options.python, ['-m', 'character_trainer', ...args], {
      cwd,
      env: this.env(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolveSpawn, reject) => {
      child.once('spawn', resolveSpawn);
      child.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'ENOENT' || error.code === 'EACCES'
            ? new TrainerLaunchError(
                'python_missing',
                `Python interpreter not found or not executable: ${this.options.python}. ${SETUP_HINT}`,
              )
            : new TrainerLaunchError('spawn_failed', `Could not start the trainer: ${error.message}`),
        );
      });
    });
    this.child = child;
    this.terminal = null;
    this.exitPromise = new Promise((resolveExit) => this.once('exit', resolveExit));

    const stdout = new LineSplitter((line) => {
      try {
        const event = parseTrainerEvent(line);
        // A preview server's answers to its requests are not the process's end.
        if ((event.type === 'done' || event.type === 'error') && event.request === undefined) this.terminal = event;
        this.emit('event', event);
      } catch (problem) {
        if (problem instanceof TrainerProtocolError) this.emit('protocolError', problem);
        else throw problem;
      }
    });
    const stderr = new LineSplitter((line) => this.emit('log', line));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    // The trainer may exit before reading stdin; a write to the closed pipe must not crash the studio.
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      stdout.end();
      stderr.end();
      if (this.stopTimer) clearTimeout(this.stopTimer);
      this.stopTimer = null;
      this.child = null;
      this.emit('exit', describeExit(code, signal, this.terminal));
    });
    return child.pid ?? -1;
  }

  private send(line: 'stop' | 'cancel'): void {
    this.write(line);
  }

  /**
   * Asks the trainer to finish its current step, save a checkpoint and exit (code 4). If it has not
   * exited after the grace period, SIGTERM repeats the request at the signal level (a stuck stdin).
   */
  stop(): void {
    this.send('stop');
    if (this.stopTimer) return;
    this.stopTimer = setTimeout(() => this.child?.kill('SIGTERM'), this.options.stopGraceMs ?? 120_000);
    this.stopTimer.unref();
  }

  /** Ends the run as soon as possible without saving (exit 5). */
  cancel(): void {
    this.send('cancel');
  }

  /** SIGKILL: nothing is saved; the last checkpoint on disk stays usable. */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  /** Runs `python -m character_trainer doctor` and returns its single event. */
  async doctor(): Promise<DoctorEvent> {
    const result = await runCaptured(this.options.python, ['-m', 'character_trainer', 'doctor'], this.env());
    const line = result.stdout.trim().split('\n').pop() ?? '';
    if (result.code !== 0 || !line) {
      const why = result.stderr.trim().split('\n').pop() ?? `exit ${String(result.code)}`;
      throw new TrainerLaunchError(
        'packages_missing',
        `The trainer's doctor could not run with ${this.options.python}: ${clause(why)}. ${SETUP_HINT}`,
      );
    }
    const event = parseTrainerEvent(line);
    if (event.type !== 'doctor')
      throw new TrainerLaunchError(
        'protocol',
        `The trainer's doctor answered with a "${event.type}" event instead of "doctor".`,
      );
    return event;
  }
}

/** The trainer folder for a packaged app (process.resourcesPath/trainer) or a development checkout. */
export function trainerDirFor(resourcesPath: string | undefined, repoRoot: string): string {
  return resourcesPath ? join(resourcesPath, 'trainer') : resolve(repoRoot, 'resources', 'trainer');
}
