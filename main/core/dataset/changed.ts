import type { CharacterId, SceneId } from '../../../common/contract';
import type { EventBus } from '../events';

/** Scene ids a `dataset/changed` names at most: past that a list might as well refetch everything. */
export const CHANGED_IDS_MAX = 500;

/**
 * Emits `dataset/changed` for `characterId`, naming `sceneIds` when given and few enough (see the
 * event's contract); without them, or with too many, the event names none and lists refetch all.
 */
export function emitDatasetChanged(events: EventBus, characterId: CharacterId, sceneIds?: readonly SceneId[]): void {
  const named = sceneIds !== undefined && sceneIds.length <= CHANGED_IDS_MAX;
  events.emit('dataset/changed', { characterId, ...(named && { sceneIds: [...new Set(sceneIds)] }) });
}
