import type { Character, ReviewAction, ReviewChange, SceneFilter, SceneId } from '../../../common/contract';
import { useUi } from '../state/ui';
import { messageOf } from './bridge-error';
import { invoke, refreshDataset } from './queries';

/** The scenes one review applies to: some named scenes, or every scene a filter shows. */
export type ReviewTarget = { ids: SceneId[] } | { filter: SceneFilter };

/**
 * Refetches everything review changes at once (the events' refetch is debounced for running
 * jobs). With the scenes it changed named, a list reads again only the pages holding them.
 */
export function refreshReview(character: Character, changed?: readonly SceneId[]): void {
  refreshDataset(character.id, changed);
}

/**
 * Reviews scenes, from the list's review bar or the reading pane alike: one `review/set`, which
 * `review/undo` (the bar's Undo) takes back as one step; its summary in a toast, and the list,
 * counts and charts read again. Resolves to the action, or to null when the studio refused it
 * (the reason in an error toast; nothing changed).
 */
export async function applyReview(
  character: Character,
  target: ReviewTarget,
  change: ReviewChange,
): Promise<ReviewAction | null> {
  const { toast } = useUi.getState();
  try {
    const action = await invoke('review/set', { characterId: character.id, ...target, ...change });
    toast({ kind: 'info', text: `${action.summary}.` });
    refreshReview(character, 'ids' in target ? target.ids : undefined);
    return action;
  } catch (failure) {
    toast({ kind: 'error', text: `The review was not saved: ${messageOf(failure)}` });
    return null;
  }
}

/**
 * Takes back the character's latest review action, whichever door applied it; toasts what was
 * undone and reads every list again. Resolves to the action undone, or null when there was none
 * or the studio refused (the reason in an error toast).
 */
export async function undoReview(character: Character): Promise<ReviewAction | null> {
  const { toast } = useUi.getState();
  try {
    const action = await invoke('review/undo', { characterId: character.id });
    toast({ kind: 'info', text: `Undone: ${action.summary}.` });
    refreshReview(character);
    return action;
  } catch (failure) {
    toast({ kind: 'error', text: messageOf(failure) });
    return null;
  }
}
