import type {
  CommandArg,
  CommandName,
  CommandResult,
  EventName,
  Events,
  StudioBridge,
  StudioError,
} from '../../../common/contract';
import { EVENT_NAMES } from '../../../common/event-names';
import { CommandError } from './bridge-error';

/**
 * The contract over HTTP + server-sent events, used when the renderer runs in a browser against
 * `character-studio serve`. The access token travels in the HttpOnly cookie `serve` set.
 */
export function createWebBridge(base = ''): StudioBridge {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const connected = new Set<() => void>();
  let source: EventSource | null = null;

  const ensureSource = () => {
    if (source) return;
    source = new EventSource(`${base}/api/events`);
    // Events sent before the stream opened, or while it reconnected, never arrive: say so each
    // time it opens, so the caches read again what they may have missed.
    source.addEventListener('open', () => {
      for (const listener of connected) listener();
    });
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (event) => {
        const payload: unknown = JSON.parse((event as MessageEvent<string>).data);
        for (const listener of listeners.get(name) ?? []) listener(payload);
      });
    }
  };

  return {
    async invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>> {
      let response: Response;
      try {
        response = await fetch(`${base}/api/invoke/${encodeURIComponent(name)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(arg),
          credentials: 'same-origin',
        });
      } catch {
        throw new CommandError(
          'unavailable',
          'The studio server cannot be reached. Is `character-studio serve` still running?',
        );
      }
      const body = (await response.json().catch(() => null)) as { result?: unknown; error?: StudioError } | null;
      if (!response.ok || !body || body.error) {
        const error = body?.error ?? { code: 'internal', message: `The server answered ${response.status}.` };
        throw new CommandError(error.code, error.message);
      }
      return body.result as CommandResult<K>;
    },
    on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void {
      ensureSource();
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    onConnected(listener: () => void): () => void {
      ensureSource();
      connected.add(listener);
      return () => connected.delete(listener);
    },
  };
}
