import type { Character, ReviewChange, ReviewStatus, SceneId, SceneReview } from '../../../../common/contract';
import { applyReview } from '../../lib/review';
import { STATUS_LABELS } from './ReviewBar';

const STATUSES: readonly ReviewStatus[] = ['unreviewed', 'accepted', 'rejected'];

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
  const change = async (next: ReviewChange) => {
    if (await applyReview(character, { ids: [id] }, next)) onReviewed();
  };
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
            onClick={() => void (review.status !== status && change({ status }))}
          >
            {STATUS_LABELS[status]}
          </button>
        ))}
      </div>
      <select
        aria-label="Stars given to this scene"
        title="Stars (keys 1–5; 0 clears them)"
        value={review.rating === null ? 'none' : String(review.rating)}
        onChange={(e) => void change({ rating: e.target.value === 'none' ? null : Number(e.target.value) })}
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
