import type { RunId, ServedRun } from '../../../common/contract';
import type { CharacterService } from '../character-service';
import { StudioFailure } from '../errors';
import type { ModelServers } from '../runtimes/model-servers';
import type { RemoteHosts } from './host-service';
import type { RunContext } from './run-context';
import { readStoredConfig, servedModelName } from './run-config';

/**
 * The rules of serving finished runs over the OpenAI protocol (the trainer's `serve`), on top of
 * ModelServers, which owns the server processes and tunnels: which run may be served, where, under
 * which model name and with which Python, and the list of served runs the screens show.
 */
export class RunServing {
  constructor(
    private readonly context: Pick<RunContext, 'row' | 'active' | 'repo'>,
    private readonly servers: ModelServers,
    private readonly characters: CharacterService,
    /** SSH hosts; null when the studio has none (every run is then served locally). */
    private readonly remote: RemoteHosts | null,
    /** The interpreter used when the run's config names none. */
    private readonly defaultPython: string,
  ) {}

  /**
   * Serves a finished run on 127.0.0.1; resolves once the model is loaded and the port answers. A
   * run trained on an SSH host that is still configured is served there, on its GPU, through an SSH
   * tunnel whose local end is `serving.url`; other runs (and remote runs whose host was deleted:
   * their adapter was downloaded here) use the local Python. `others: 'stop'` first stops every
   * other run this studio serves (each holds a model in memory). A run already served is left as is.
   */
  async serve(id: RunId, others: 'stop' | 'keep'): Promise<void> {
    const row = this.context.row(id);
    if (!this.servers.servingOf(id)) {
      if (row.status !== 'succeeded')
        throw new StudioFailure('invalid_argument', 'Only a finished run can be served. Resume it to the end first.');
      if (this.context.active.has(id)) throw new StudioFailure('conflict', 'This run is busy; wait until it finishes.');
    }
    if (others === 'stop')
      await Promise.all(
        this.servers
          .served()
          .filter((other) => other !== id)
          .map((other) => this.servers.stop(other)),
      );
    const config = readStoredConfig(row.config);
    await this.servers.serve({
      id,
      runDir: row.run_dir,
      config,
      modelName: servedModelName(this.characters.get(row.character_id).shortName, id),
      python: config.python.trim() || this.defaultPython,
      remote: config.target === 'local' ? null : (this.remote?.launcherFor(config.target) ?? null),
    });
  }

  /** The runs this studio serves now, of every character. */
  served(): ServedRun[] {
    return this.servers.served().flatMap((runId) => {
      const row = this.context.repo.get(runId);
      const serving = this.servers.servingOf(runId);
      if (!row || !serving) return [];
      const character = this.characters.get(row.character_id);
      return [{ runId, characterId: row.character_id, characterName: character.fullName, serving }];
    });
  }
}
