import { useCallback, useState, type ReactNode } from 'react';
import type { Character, SceneDoc, SceneId } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke, queryClient } from '../../lib/queries';
import { refreshReview } from '../../lib/review';
import { useUi } from '../../state/ui';
import { ChoiceDialog } from '../choice-dialog';

/** What a scene is called where a person must recognise it: its type, then where and when. */
export function sceneName(scene: { type: string; location: string; time: string }): string {
  const what = scene.type.trim() || 'Untitled scene';
  const where = [scene.location.trim(), scene.time.trim()].filter(Boolean).join(', ');
  return where ? `“${what}” (${where})` : `“${what}”`;
}

/** The scene a Delete asks about: enough to name it, and whether an editor holds unsaved edits of it. */
export interface DeleteRequest {
  id: SceneId;
  type: string;
  location: string;
  time: string;
  /** Turns of its experience (0: none written yet). */
  turns: number;
  unsaved: boolean;
}

/** Where a copy came from, for the note its editor opens with. */
export interface CopiedFrom {
  name: string;
  /** The copy took edits the original's editor had not saved (the original keeps its saved text). */
  withEdits: boolean;
}

/**
 * Deleting one scene, from the reading pane, the editor or the list's Delete key: `ask` opens a
 * question naming the scene; deleting it calls `onDeleted` (the list moves on) and refreshes the
 * list's pages and counts. A refusal (a job of the character is running) stays in the question.
 */
export function useSceneDeletion(
  character: Character,
  onDeleted: (id: SceneId) => void,
): { ask: (request: DeleteRequest) => void; dialog: ReactNode } {
  const toast = useUi((s) => s.toast);
  const [asking, setAsking] = useState<DeleteRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ask = useCallback((request: DeleteRequest) => {
    setError(null);
    setAsking(request);
  }, []);
  const remove = async (request: DeleteRequest) => {
    setBusy(true);
    setError(null);
    try {
      await invoke('scenes/delete', { characterId: character.id, ids: [request.id] });
      setAsking(null);
      onDeleted(request.id);
      toast({ kind: 'info', text: `Deleted ${sceneName(request)}.` });
      queryClient.removeQueries({ queryKey: ['scenes/get', { id: request.id }] });
      refreshReview(character, [request.id]);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  const dialog = asking && (
    <ChoiceDialog
      title="Delete this scene?"
      cancel={{ label: 'Cancel', onChoose: () => setAsking(null) }}
      choices={[{ label: 'Delete scene', tone: 'danger', onChoose: () => void remove(asking) }]}
      busy={busy}
      error={error}
    >
      <p>
        <strong>{sceneName(asking)}</strong> is deleted with{' '}
        {asking.turns > 0
          ? `its experience (${asking.turns.toLocaleString('en-US')} turn${asking.turns === 1 ? '' : 's'})`
          : 'its fields (it has no experience yet)'}{' '}
        and every revision in its history. This cannot be undone.
      </p>
      {asking.unsaved && <p>The edits you have not saved in the editor go with it.</p>}
    </ChoiceDialog>
  );
  return { ask, dialog };
}

/**
 * A stored scene written again as a new scene by hand (`scenes/duplicate`: its chunk, protective
 * limit and tags kept): the copy a writer turns into a variant. `doc`: the text to copy (an
 * editor's, unsaved edits included), else the scene as stored. Resolves to the copy's id; a
 * refusal is thrown for the caller to show.
 */
export async function duplicateScene(character: Character, id: SceneId, doc?: SceneDoc): Promise<SceneId> {
  const copy = (await invoke('scenes/duplicate', { id, ...(doc && { doc }) })).id;
  // In the list at once (the event's refresh waits for a pause), so it can be found and selected.
  refreshReview(character, [copy]);
  return copy;
}
