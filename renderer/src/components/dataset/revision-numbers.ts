import { useQuery } from '@tanstack/react-query';
import type { SceneId } from '../../../../common/contract';
import { revisionNumbering } from '../../../../common/scene-doc/revision-numbers';
import { invoke } from '../../lib/queries';

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
