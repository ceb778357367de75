import type { RegenerateCommands, ReviewCommands, SceneCommands } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { FilterCountsService } from './filter-counts-service';
import type { RegenerateService } from './regenerate-service';
import type { ReviewService } from './review-service';
import type { SceneService } from './scene-service';

/**
 * The scene editor (revisions, diff, restore, hand-written scenes), LLM rewrites with their proposals,
 * and review, one line each (joined into the studio's handlers).
 */
export function sceneHandlers(s: {
  scenes: SceneService;
  regenerate: RegenerateService;
  review: ReviewService;
  filterCounts: FilterCountsService;
}): Pick<Handlers, keyof SceneCommands | keyof RegenerateCommands | keyof ReviewCommands> {
  const { scenes, regenerate, review, filterCounts } = s;
  return {
    'scenes/open': ({ id }) => scenes.open(id),
    'scenes/save': ({ id, baseRevision, doc }) => scenes.save(id, baseRevision, doc),
    'scenes/revisions': ({ id }) => scenes.list(id),
    'scenes/diff': ({ id, from, to }) => scenes.diff(id, from, to),
    'scenes/restore': ({ id, revision, baseRevision }) => scenes.restore(id, revision, baseRevision),
    'scenes/create': ({ characterId, doc }) => scenes.create(characterId, doc),
    'scenes/duplicate': ({ id, doc }) => scenes.duplicate(id, doc),
    'scenes/regenerate': (request) => regenerate.start(request),
    'scenes/proposals': ({ id }) => scenes.proposals(id),
    'scenes/adopt': ({ id, proposalId, baseRevision }) => scenes.adopt(id, proposalId, baseRevision),
    'review/set': ({ characterId, ids, filter, ...change }) =>
      review.set(characterId, { ...(ids && { ids }), ...(filter && { filter }) }, change),
    'review/undo': ({ characterId }) => review.undo(characterId),
    'review/last': ({ characterId }) => review.last(characterId),
    'review/counts': ({ characterId, filter }) => filterCounts.counts(characterId, filter),
    'scenes/complete': ({ characterId, providerId }) => review.complete(characterId, providerId),
    'scenes/delete': ({ characterId, ids }) => review.delete(characterId, ids),
  };
}
