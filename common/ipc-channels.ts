/** The two IPC channels of the desktop door. Commands and events are named inside them. */
export const INVOKE_CHANNEL = 'studio:invoke';
export const EVENT_CHANNEL = 'studio:event';
