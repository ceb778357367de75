import { useQuery } from '@tanstack/react-query';
import type { SceneId, SceneRevision } from '../../../../common/contract';
import { invoke } from '../../lib/queries';

/**
 * Revisions numbered as a person counts them: the first listed is #1, the next #2. The stored
 * number is the scene's save counter, which also counts writes that are no revision of their own
 * (a generated scene's experience arriving moves it on, so its first listed revision is stored as
 * 2); it stays the token saves and restores name. A number past the list (the experience arrived
 * after the last listed revision) counts on from its last.
 */
export function revisionNumbering(list: readonly SceneRevision[]): (stored: number) => number {
  const positions = new Map(list.map((r, i) => [r.revision, i + 1]));
  const last = list.at(-1);
  return (stored) => positions.get(stored) ?? (last ? Math.max(1, list.length + stored - last.revision) : stored);
}

/**
 * The numbering of scene `id`'s revisions as the History lists them at revision `current` (the same
 * query, so the editor and its History agree); null while the first list loads or for a scene not
 * saved yet. A list being refetched after a save keeps numbering: the new revision counts on.
 */
export function useRevisionNumbering(id: SceneId | null, current: number): ((stored: number) => number) | null {
  const revisions = useQuery({
    queryKey: ['scenes/revisions', { id }, current],
    queryFn: () => invoke('scenes/revisions', { id: id as SceneId }),
    enabled: id !== null,
    placeholderData: (previous) => previous,
  });
  return id !== null && revisions.data ? revisionNumbering(revisions.data) : null;
}
