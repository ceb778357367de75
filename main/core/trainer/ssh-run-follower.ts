/**
 * Following one detached remote process (a training run, or a server after it): polls its
 * events.jsonl and stderr by byte offset, re-opens a dropped connection with backoff and goes on
 * from the same offsets, and sees the exit (the terminal event plus the process gone, the code
 * from its exit-code file). Its own file because it is the launcher's one loop, with its own state
 * and lifecycle, while `SshTrainerLauncher` starts, attaches, serves and stops; what it reads it
 * reports as the launcher's events (`event`, `log`, `protocolError`, `connection`, `exit`).
 */
import type { EventEmitter } from 'node:events';
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DoneEvent, ErrorEvent, TrainerEvent } from '../../../common/trainer-protocol';
import { EventFollower } from './events';
import { RUN_FILES } from './job';
import { TrainerLaunchError, type LineSplitter } from './python-env';
import { describeExit } from './supervision';
import { shellQuote } from './shell';
import type { FollowedProcess, SshModelServer } from './ssh-serve';
import { SshHostKeyError, type SshLauncherEvents, type SshSession } from './ssh-session';

export interface FollowOptions {
  /** How often events.jsonl is polled. Milliseconds. */
  pollMs?: number;
  /** Waits between reconnect attempts; the last one repeats. Milliseconds. */
  reconnectDelaysMs?: number[];
  maxReconnectAttempts?: number;
}

/** What a follower works with; the launcher lends its own. */
export interface RunFollowerDeps {
  session: SshSession;
  server: Pick<SshModelServer, 'active' | 'closeTunnel'>;
  /** Where what is read is reported: the launcher. */
  events: EventEmitter<SshLauncherEvents>;
  /** The launcher's stderr lines, kept across follows. */
  stderrLines: LineSplitter;
  options: FollowOptions;
}

/**
 * Follows `run`, starting at once: events with `seq` up to `afterSeq` are skipped, and reading starts at
 * `offset` in events.jsonl and `stderrOffset` in stderr (bytes; earlier lines are someone else's,
 * a server after training). Ends on the exit, on a connection that cannot be restored, or `stop`.
 */
export class RunFollower {
  private readonly follower: EventFollower;
  private stderrOffset: number;
  private terminal: DoneEvent | ErrorEvent | null = null;
  private following = true;
  private polls = 0;
  /** Settles when the loop has ended. */
  readonly loop: Promise<void>;

  constructor(
    private readonly deps: RunFollowerDeps,
    private readonly run: FollowedProcess,
    afterSeq: number,
    offset = 0,
    stderrOffset = 0,
  ) {
    this.follower = new EventFollower({
      afterSeq,
      offset,
      onInvalidLine: (problem) => deps.events.emit('protocolError', problem),
    });
    this.stderrOffset = stderrOffset;
    this.loop = this.follow();
  }

  /** Whether the loop still runs. */
  get active(): boolean {
    return this.following;
  }

  /** Highest event seq delivered. */
  get lastSeq(): number {
    return this.follower.lastSeq;
  }

  /** Ends the loop after its current poll (await `loop` for it). */
  stop(): void {
    this.following = false;
  }

  private get connected(): boolean {
    return this.deps.session.connected;
  }

  private async follow(): Promise<void> {
    while (this.following) {
      if (!this.connected && this.deps.server.active) {
        // The tunnel died with the connection; a new one would be another server's business.
        this.following = false;
        this.deps.server.closeTunnel();
        this.deps.events.emit(
          'connection',
          'failed',
          `The connection to ${this.deps.session.hostName} was lost; the tunnel to the model server is closed.`,
        );
        break;
      }
      if (!this.connected) {
        try {
          await this.reconnect();
        } catch (error) {
          this.following = false;
          this.deps.events.emit('connection', 'failed', (error as Error).message);
          break;
        }
        if (!this.following) break;
      }
      try {
        // Raced against the connection's close: a poll whose channel dies under it ends at once
        // rather than waiting on ssh2 to settle its requests.
        await this.deps.session.whileConnected('following the run', () => this.pollOnce());
      } catch (error) {
        if (!this.connected) continue; // dropped mid-poll: reconnect at once, then read on from the same offset
        this.deps.events.emit('log', `while following the remote run: ${(error as Error).message}`);
      }
      if (this.following) await sleep(this.deps.options.pollMs ?? 1_000);
    }
  }

  private async reconnect(): Promise<void> {
    const delays = this.deps.options.reconnectDelaysMs ?? [500, 1_000, 2_000, 5_000, 10_000, 30_000];
    const max = this.deps.options.maxReconnectAttempts ?? 50;
    this.deps.events.emit(
      'connection',
      'lost',
      `The connection to ${this.deps.session.hostName} dropped; reconnecting.`,
    );
    for (let attempt = 0; attempt < max && this.following; attempt++) {
      await sleep(delays[Math.min(attempt, delays.length - 1)] ?? 1_000);
      if (!this.following) return;
      try {
        await this.deps.session.connect();
        this.deps.events.emit(
          'connection',
          'restored',
          `Reconnected to ${this.deps.session.hostName} after ${attempt + 1} attempt(s).`,
        );
        return;
      } catch (error) {
        if (error instanceof SshHostKeyError || (error instanceof TrainerLaunchError && error.reason === 'ssh_auth'))
          throw error;
        this.deps.events.emit('log', `reconnect attempt ${attempt + 1} failed: ${(error as Error).message}`);
      }
    }
    throw new TrainerLaunchError(
      'ssh_connect',
      `Could not reconnect to ${this.deps.session.hostName} after ${max} attempts; the run may still be going: attach to it later.`,
    );
  }

  private async readEvents(): Promise<void> {
    const run = this.run;
    const follower = this.follower;
    const { size, data } = await this.deps.session
      .remote()
      .readFrom(posix.join(run.runDir, RUN_FILES.events), follower.readPosition);
    if (size < follower.readPosition) follower.rewind();
    else if (data.length) this.deliver(follower.push(data));
    const stderr = await this.deps.session
      .remote()
      .readFrom(posix.join(run.runDir, run.files.stderr), this.stderrOffset);
    if (stderr.data.length) {
      this.stderrOffset += stderr.data.length;
      this.deps.stderrLines.push(stderr.data.toString('utf8'));
    }
  }

  private deliver(events: TrainerEvent[]): void {
    for (const event of events) {
      if (event.type === 'done' || event.type === 'error') this.terminal = event;
      this.deps.events.emit('event', event);
    }
  }

  private async pollOnce(): Promise<void> {
    await this.readEvents();
    this.polls++;
    if (!this.terminal && this.polls % 5 !== 0) return;
    const run = this.run;
    const probe = await this.deps.session.exec(
      `kill -0 ${run.pid} 2>/dev/null && echo alive; cat ${shellQuote(posix.join(run.runDir, run.files.exitCode))} 2>/dev/null || true`,
    );
    if (!this.connected || probe.code === null) throw new Error('connection lost while probing the run');
    if (probe.stdout.includes('alive')) return;
    await this.readEvents(); // whatever the trainer wrote last
    this.deps.stderrLines.end();
    const code = /^\s*(\d+)\s*$/.exec(probe.stdout)?.[1];
    this.following = false;
    this.deps.events.emit(
      'exit',
      describeExit(code === undefined ? null : Number(code), code === undefined ? 'unknown' : null, this.terminal),
    );
  }
}
