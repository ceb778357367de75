import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../../store/open-sessions';
import type { DoneEvent, ErrorEvent, PreviewEvent, TrainerEvent } from '../../../common/trainer-protocol';
import type { TrainerJob } from '../trainer/job';
import { LocalTrainerLauncher } from '../trainer/local-launcher';

/**
 * Warm trainer processes for the training preview: one `preview-server` per interpreter, started
 * by the first preview and kept while previews keep coming, so only that first one waits for
 * Python's imports (seconds) and the tokenizer's load; the next ones take a fraction of a second.
 * See resources/trainer/character_trainer/preview_server.py for the process's side.
 *
 * Lifecycle: a server starts on the first request for its interpreter and answers requests in
 * order. After `idleMs` without one it is asked to stop; a server that exits (asked, crashed or
 * killed) fails the requests it still held with its exit's message, and the next request starts
 * a new one. A request not answered within `timeoutMs` kills its server. `close()` stops them all
 * (the studio's shutdown), `kill()` ends them at once (its close); a studio that dies closes their
 * stdin, and they end on their own.
 */

export interface PreviewServersOptions {
  trainerDir: string;
  /** Added to the trainers' environment (tests: quiet and single-threaded). */
  env?: Record<string, string>;
  /** A server with nothing to do for this long stops; milliseconds. */
  idleMs?: number;
  /** A request not answered by then is stuck: its server is killed; milliseconds. */
  timeoutMs?: number;
}

/** What one request ended with: the previews and the terminal event that answered it. */
export interface PreviewAnswer {
  previews: PreviewEvent[];
  terminal: DoneEvent | ErrorEvent;
}

/** A request's end that is not the trainer's answer: its server exited or stalled first. */
export class PreviewServerGone extends Error {}

const IDLE_MS = 10 * 60_000;
/** A server's folder in the system's temporary folder: this, the studio's pid, a dash, a random part. */
const FOLDER_PREFIX = 'cs-preview-';

/**
 * Removes the preview folders left in `tmp` by studios that died without removing them (killed,
 * crashed): those whose name's pid is no process now. A folder of a live process, this one's
 * included, or of another user's (EPERM), is left alone; so is anything else in `tmp`. Returns the
 * folders removed.
 */
export function sweepPreviewFolders(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(/^cs-preview-(\d+)-[^/]+$/.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    try {
      fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // not ours to remove (another user's folder): left as it is
    }
  }
  return removed;
}

const TIMEOUT_MS = 180_000;

interface Pending {
  previews: PreviewEvent[];
  resolve: (answer: PreviewAnswer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

class PreviewServer {
  private readonly launcher: LocalTrainerLauncher;
  private readonly pending = new Map<string, Pending>();
  private readonly started: Promise<void>;
  private idleTimer: NodeJS.Timeout | null = null;
  private next = 1;
  /** Exited (or never started): requests go to a new server. */
  ended = false;
  /** Asked to stop: it answers nothing more. */
  stopping = false;
  /**
   * Where its requests' job files go (scene text): removed when it ends, or, when the studio was
   * killed first, by the next studio's first preview (`sweepPreviewFolders`: the pid in its name).
   */
  readonly folder = fs.mkdtempSync(path.join(os.tmpdir(), `${FOLDER_PREFIX}${process.pid}-`));

  constructor(
    python: string,
    private readonly options: PreviewServersOptions,
    onEnd: () => void,
  ) {
    this.launcher = new LocalTrainerLauncher({
      python,
      trainerDir: options.trainerDir,
      ...(options.env && { env: options.env }),
    });
    this.launcher.on('event', (event) => this.route(event));
    this.launcher.on('exit', (exit) => {
      this.ended = true;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.failAll(new PreviewServerGone(`The preview's trainer ended: ${exit.message}`));
      fs.rmSync(this.folder, { recursive: true, force: true });
      onEnd();
    });
    this.started = this.launcher.startPreviewServer(this.folder).then(() => undefined);
    this.started.catch(() => {
      this.ended = true;
      fs.rmSync(this.folder, { recursive: true, force: true });
      onEnd();
    });
  }

  /** Writes `job` in its folder and asks for its preview; resolves with the answer. */
  async ask(job: (folder: string) => TrainerJob): Promise<PreviewAnswer> {
    await this.started;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const id = String(this.next++);
    const folder = path.join(this.folder, id);
    fs.mkdirSync(folder);
    const jobPath = path.join(folder, 'job.json');
    fs.writeFileSync(jobPath, JSON.stringify(job(folder)));
    try {
      return await new Promise<PreviewAnswer>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.fail(id, new PreviewServerGone('The preview did not answer in time; its trainer was stopped.'));
          this.launcher.kill();
        }, this.options.timeoutMs ?? TIMEOUT_MS);
        this.pending.set(id, { previews: [], resolve, reject, timer });
        this.launcher.write(JSON.stringify({ request: id, job: jobPath }));
      });
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
      if (this.pending.size === 0 && !this.ended) {
        this.idleTimer = setTimeout(() => this.stop(), this.options.idleMs ?? IDLE_MS);
        this.idleTimer.unref();
      }
    }
  }

  stop(): void {
    if (this.ended) return;
    this.stopping = true;
    try {
      this.launcher.write('stop');
    } catch {
      // not running any more: its exit is on its way
    }
  }

  kill(): void {
    this.launcher.kill();
  }

  get pid(): number | null {
    return this.launcher.pid;
  }

  waitForExit(): Promise<unknown> {
    return this.launcher.waitForExit().catch(() => undefined);
  }

  private route(event: TrainerEvent): void {
    const id = 'request' in event ? event.request : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending || id === undefined) return;
    if (event.type === 'preview') pending.previews.push(event);
    else if (event.type === 'done' || event.type === 'error') {
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve({ previews: pending.previews, terminal: event });
    }
  }

  private fail(id: string, error: Error): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.reject(error);
  }

  private failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.fail(id, error);
  }
}

export class PreviewServers {
  private readonly servers = new Map<string, PreviewServer>();
  /** Whether this studio has looked for the folders dead studios left (on its first preview). */
  private swept = false;

  constructor(private readonly options: PreviewServersOptions) {}

  /**
   * The preview of the job `job` builds in the folder it is given, by the server of `python`
   * (started if none runs). Rejects with the launcher's errors when the server cannot start
   * (TrainerLaunchError: no Python, missing packages) and with PreviewServerGone when it ended
   * before answering.
   */
  preview(python: string, job: (folder: string) => TrainerJob): Promise<PreviewAnswer> {
    if (!this.swept) {
      this.swept = true;
      sweepPreviewFolders();
    }
    let server = this.servers.get(python);
    if (!server || server.ended || server.stopping) {
      const started = new PreviewServer(python, this.options, () => {
        if (this.servers.get(python) === started) this.servers.delete(python);
      });
      server = started;
      this.servers.set(python, server);
    }
    return server.ask(job);
  }

  /** The process ids of the servers running now (the studio's diagnostics, tests). */
  get pids(): number[] {
    return [...this.servers.values()].flatMap((s) => (!s.ended && !s.stopping && s.pid !== null ? [s.pid] : []));
  }

  /** Ends every server at once (SIGKILL: a preview has nothing to save). */
  kill(): void {
    for (const server of this.servers.values()) server.kill();
  }

  /** Asks every server to stop and waits for them (killing those that take longer than `graceMs`). */
  async close(graceMs = 5_000): Promise<void> {
    const servers = [...this.servers.values()];
    for (const server of servers) server.stop();
    const killer = setTimeout(() => servers.forEach((s) => s.kill()), graceMs);
    await Promise.all(servers.map((s) => s.waitForExit()));
    clearTimeout(killer);
  }
}
