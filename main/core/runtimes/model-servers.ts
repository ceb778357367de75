import type { RunId, TrainingConfig, TrainingServing } from '../../../common/contract';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { LocalTrainerLauncher } from '../trainer/local-launcher';
import type { SshTrainerLauncher } from '../trainer/ssh-launcher';

/**
 * The trained runs this studio process serves over the OpenAI protocol (the trainer's `serve`), for
 * chat apps and for the Chat tab's served runtime (`gateway-chat.ts`, through the LLM gateway). A
 * server is live state of this process: it ends with the process, and nothing about it is stored.
 *
 * Lifecycle of one server: `starting` (registered at once, so a second `serve` of the same run waits
 * for the first) → `ready` (the model answers at `serving.url`) → gone, after `stop` or when the
 * process exits or its SSH tunnel is lost. Every change calls `changed(id)` so the run's card updates.
 */

/** What a run needs to be served: where it trained and what its model is called. */
export interface ServeRequest {
  id: RunId;
  runDir: string;
  config: TrainingConfig;
  /** The model id clients pass (servedModelName). */
  modelName: string;
  /** The interpreter for a local server. */
  python: string;
  /** The run's SSH host, when it trained on one that is still configured: it is served there. */
  remote: { launcher: SshTrainerLauncher; label: string } | null;
}

interface ServerEntry {
  serving: TrainingServing;
  /** Settles once the model answers, or rejects when the start failed. */
  ready: Promise<void>;
  /** Ends the server (a remote one on its host too); resolves once it is gone. */
  stop(): Promise<void>;
}

export class ModelServers {
  private readonly servers = new Map<RunId, ServerEntry>();

  constructor(
    private readonly events: EventBus,
    private readonly trainerDir: string,
    private readonly changed: (id: RunId) => void,
  ) {}

  servingOf(id: RunId): TrainingServing | null {
    return this.servers.get(id)?.serving ?? null;
  }

  /** The runs served now, in the order they were started. */
  served(): RunId[] {
    return [...this.servers.keys()];
  }

  /** Resolves once the run answers (at once when it already does); a second call joins the first. */
  async serve(request: ServeRequest): Promise<void> {
    const running = this.servers.get(request.id);
    if (running) return running.ready;
    if (request.remote) return this.serveRemote(request, request.remote);
    const { id, config } = request;
    const launcher = new LocalTrainerLauncher({
      python: request.python,
      trainerDir: this.trainerDir,
      stopGraceMs: 10_000,
    });
    let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
    const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    ready.catch(() => undefined); // awaited below; a server that ends later rejects nobody
    const entry: ServerEntry = {
      serving: { state: 'starting', url: null, model: null },
      ready,
      stop: async () => {
        launcher.stop();
        await launcher.waitForExit().catch(() => undefined);
      },
    };
    launcher.on('event', (event) => {
      if (event.type === 'phase' && event.name === 'serving' && event.url) {
        entry.serving = { state: 'ready', url: event.url, model: event.model ?? null };
        this.changed(id);
        settle?.resolve();
      }
    });
    launcher.on('log', (line) => this.events.emit('training/logged', { runId: id, line, seq: null }));
    launcher.on('exit', (exit) => {
      if (this.servers.get(id) === entry) this.servers.delete(id);
      this.changed(id);
      settle?.reject(new StudioFailure('unavailable', `The model server did not start: ${exit.message}`));
    });
    this.servers.set(id, entry);
    try {
      await launcher.start(
        {
          run_dir: request.runDir,
          base_model: config.baseModel,
          format: config.format,
          serve: { host: '127.0.0.1', model_name: request.modelName },
        },
        'serve',
      );
    } catch (error) {
      this.servers.delete(id);
      throw new StudioFailure('unavailable', error instanceof Error ? error.message : String(error));
    }
    this.changed(id);
    await ready;
  }

  /**
   * Serves the run in its remote folder on its SSH host (launcher.startServe). The entry ends when
   * the server exits there or the connection (and with it the tunnel) is lost; in the latter case
   * the server is asked to stop once reachable.
   */
  private async serveRemote(
    request: ServeRequest,
    found: { launcher: SshTrainerLauncher; label: string },
  ): Promise<void> {
    const { id, config, modelName } = request;
    const { launcher, label } = found;
    const started = launcher.startServe(id, {
      base_model: config.baseModel,
      format: config.format,
      serve: { model_name: modelName },
    });
    const ready = started.then(() => undefined);
    ready.catch(() => undefined); // awaited below
    const entry: ServerEntry = {
      serving: { state: 'starting', url: null, model: null },
      ready,
      stop: () => launcher.stopServe(),
    };
    const end = (why: string): void => {
      if (this.servers.get(id) !== entry) return;
      this.servers.delete(id);
      this.events.emit('training/logged', { runId: id, line: why, seq: null });
      this.changed(id);
      void launcher.stopServe();
    };
    launcher.on('log', (line) => this.events.emit('training/logged', { runId: id, line, seq: null }));
    launcher.on('exit', (exit) => end(`the model server on ${label} ended: ${exit.message}`));
    launcher.on('connection', (state, detail) => {
      if (state === 'failed') end(detail);
    });
    this.servers.set(id, entry);
    this.changed(id);
    try {
      const served = await started;
      if (this.servers.get(id) === entry) {
        entry.serving = { state: 'ready', url: served.url, model: served.model || modelName };
        this.events.emit('training/logged', {
          runId: id,
          line: `serving on ${label} (${served.remoteUrl}) through an SSH tunnel at ${served.url}`,
          seq: null,
        });
      }
    } catch (error) {
      if (this.servers.get(id) === entry) this.servers.delete(id);
      this.changed(id);
      throw new StudioFailure(
        'unavailable',
        `Could not serve the run on ${label}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.changed(id);
  }

  /** Stops serving the run; resolves once the server has exited (on its host too, when reachable). */
  async stop(id: RunId): Promise<void> {
    const server = this.servers.get(id);
    if (!server) return;
    await server.stop();
    if (this.servers.get(id) === server) {
      this.servers.delete(id);
      this.changed(id);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.served().map((id) => this.stop(id)));
  }
}
