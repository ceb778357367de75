import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type {
  CommandArg,
  CommandName,
  CommandResult,
  DesktopBridge,
  EventName,
  Events,
  Outcome,
} from '../common/contract';
import { EVENT_NAMES } from '../common/event-names';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../common/ipc-channels';

/**
 * The desktop bridge: forwards the contract over IPC and nothing else. Runs sandboxed with context
 * isolation; the renderer never sees ipcRenderer, Node or Electron. Results cross as `Outcome`
 * because errors thrown through contextBridge lose their `code`.
 */

const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
ipcRenderer.on(EVENT_CHANNEL, (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
  if (typeof name !== 'string' || !(EVENT_NAMES as readonly string[]).includes(name)) return;
  for (const listener of listeners.get(name as EventName) ?? []) listener(payload);
});

const bridge: DesktopBridge = {
  invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<Outcome<CommandResult<K>>> {
    return ipcRenderer.invoke(INVOKE_CHANNEL, name, arg) as Promise<Outcome<CommandResult<K>>>;
  },
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void {
    const set = listeners.get(name) ?? new Set();
    listeners.set(name, set);
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  },
};

contextBridge.exposeInMainWorld('studioDesktop', bridge);
