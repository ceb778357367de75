import type { EventName, Events } from '../../common/contract';

export type EventListener = <E extends EventName>(name: E, payload: Events[E]) => void;

/** Typed fan-out of contract events to every open door (IPC windows, SSE clients, CLI). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(name: E, payload: Events[E]): void {
    for (const listener of this.listeners) {
      try {
        listener(name, payload);
      } catch (error) {
        // A broken listener (a closed window, a dropped SSE client) must not stop the others.
        console.error(`event listener failed for ${name}:`, error);
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
