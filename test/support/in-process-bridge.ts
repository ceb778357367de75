import type { CommandArg, CommandName, CommandResult, EventName, Events, StudioBridge } from '../../common/contract';
import type { Studio } from '../../main/core/studio';
import { CommandError } from '../../renderer/src/lib/bridge-error';

/**
 * A bridge for component tests that calls a real in-process studio (real SQLite) through the same
 * validating dispatcher the IPC and HTTP doors use: nothing is faked but the transport.
 */
export function inProcessBridge(studio: Studio): StudioBridge & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>> {
      calls.push(name);
      const outcome = await studio.invoke(name, JSON.parse(JSON.stringify(arg)) as unknown);
      // As the desktop and web bridges throw it, so a component can tell a conflict from a refusal.
      if (!outcome.ok) throw new CommandError(outcome.error.code, outcome.error.message);
      return outcome.result as CommandResult<K>;
    },
    on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void {
      return studio.events.subscribe((event, payload) => {
        if ((event as string) === name) listener(payload as Events[E]);
      });
    },
  };
}
