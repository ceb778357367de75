import type { Character, ReviewChange, ReviewStatus, SceneId, SceneReview } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { refreshReview, STATUS_LABELS } from './ReviewBar';

const STATUSES: readonly ReviewStatus[] = ['unreviewed', 'accepted', 'rejected'];

/**
 * Reviews one scene, as the list's review bar reviews a selection: one undoable `review/set`
 * (the bar's Undo takes it back), its summary in a toast, the list, counts and charts refreshed.
 * `after` runs once it is saved (the keys move on to the next scene).
 */
export async function reviewScene(
  character: Character,
  id: SceneId,
  change: ReviewChange,
  after?: () => void,
): Promise<void> {
  const { toast } = useUi.getState();
  try {
    const action = await invoke('review/set', { characterId: character.id, ids: [id], ...change });
    toast({ kind: 'info', text: `${action.summary}.` });
    refreshReview(character, [id]);
    after?.();
  } catch (failure) {
    toast({ kind: 'error', text: `The review was not saved: ${messageOf(failure)}` });
  }
}

/**
 * The open scene's review in the reading pane: its status (Unreviewed / Accepted / Rejected), its
 * stars and its tags, changed here one scene at a time without ticking it in the list. The list's
 * keys do the same (a, r, u; 1–5 and 0).
 */
export function SceneReviewStrip({
  character,
  id,
  review,
  onReviewed,
}: {
  character: Character;
  id: SceneId;
  review: SceneReview;
  /** A change was saved (the panel shows the review bar, whose Undo takes it back). */
  onReviewed: () => void;
}) {
  const change = (next: ReviewChange) => void reviewScene(character, id, next, onReviewed);
  return (
    <div className="review-strip" data-testid="scene-review">
      <div className="segmented" role="radiogroup" aria-label="Review of this scene">
        {STATUSES.map((status) => (
          <button
            key={status}
            role="radio"
            aria-checked={review.status === status}
            className={review.status === status ? `selected ${status}` : undefined}
            title={`${STATUS_LABELS[status]} (key ${status[0]})${
              status === 'rejected' ? ': a rejected scene never reaches training' : ''
            }`}
            onClick={() => review.status !== status && change({ status })}
          >
            {STATUS_LABELS[status]}
          </button>
        ))}
      </div>
      <select
        aria-label="Stars given to this scene"
        title="Stars (keys 1–5; 0 clears them)"
        value={review.rating === null ? 'none' : String(review.rating)}
        onChange={(e) => change({ rating: e.target.value === 'none' ? null : Number(e.target.value) })}
      >
        <option value="none">No stars</option>
        {[1, 2, 3, 4, 5].map((r) => (
          <option key={r} value={r}>
            {'★'.repeat(r)}
          </option>
        ))}
      </select>
      {review.tags.length > 0 && (
        <span className="review-strip-tags" title="Tags">
          {review.tags.map((tag) => (
            <span key={tag} className="badge">
              {tag}
            </span>
          ))}
        </span>
      )}
    </div>
  );
}
