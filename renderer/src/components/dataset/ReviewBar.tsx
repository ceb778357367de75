import { memo, useState } from 'react';
import type {
  Character,
  ProviderId,
  ReviewChange,
  ReviewCounts,
  ReviewStatus,
  SceneFilter,
  SceneId,
} from '../../../../common/contract';
import { useCommand, useProviders } from '../../lib/queries';
import { applyReview, refreshReview, undoReview, type ReviewTarget } from '../../lib/review';
import { useUi } from '../../state/ui';
import { OverflowMenu } from '../overflow-menu';
import { RegenerateDialog } from './RegenerateDialog';
import '../../review.css';

export const STATUS_LABELS: Record<ReviewStatus, string> = {
  unreviewed: 'Unreviewed',
  accepted: 'Accepted',
  rejected: 'Rejected',
};

/** The review part of the list filter: what the three selects choose. */
export type ReviewFilter = Pick<SceneFilter, 'status' | 'rating' | 'tag'>;

/** Status, rating and tag filters, each option with how many scenes choosing it would show. */
export const ReviewFilters = memo(function ReviewFilters({
  counts,
  value,
  onChange,
}: {
  counts: ReviewCounts | undefined;
  value: ReviewFilter;
  onChange: (next: ReviewFilter) => void;
}) {
  const n = (x: number | undefined) => ` (${(x ?? 0).toLocaleString('en-US')})`;
  return (
    <div className="review-filters">
      <select
        aria-label="Review status"
        value={value.status ?? ''}
        onChange={(e) => onChange({ ...value, status: (e.target.value || undefined) as ReviewStatus | undefined })}
      >
        <option value="">Any status</option>
        {(Object.keys(STATUS_LABELS) as ReviewStatus[]).map((s) => (
          <option key={s} value={s}>
            {STATUS_LABELS[s]}
            {n(counts?.status[s])}
          </option>
        ))}
      </select>
      <select
        aria-label="Rating"
        value={value.rating === undefined ? '' : value.rating === null ? 'none' : String(value.rating)}
        onChange={(e) => {
          const v = e.target.value;
          onChange({ ...value, rating: v === '' ? undefined : v === 'none' ? null : Number(v) });
        }}
      >
        <option value="">Any rating</option>
        {(['5', '4', '3', '2', '1'] as const).map((r) => (
          <option key={r} value={r}>
            {'★'.repeat(Number(r))}
            {n(counts?.ratings[r])}
          </option>
        ))}
        <option value="none">Not rated{n(counts?.ratings.none)}</option>
      </select>
      <select
        aria-label="Tag"
        value={value.tag ?? ''}
        onChange={(e) => onChange({ ...value, tag: e.target.value || undefined })}
      >
        <option value="">Any tag</option>
        {/* A chosen tag stays listed even when the rest of the filter leaves it no scene. */}
        {value.tag !== undefined && !counts?.tags.some((t) => t.tag === value.tag) && (
          <option value={value.tag}>
            {value.tag}
            {n(0)}
          </option>
        )}
        {counts?.tags.map((t) => (
          <option key={t.tag} value={t.tag}>
            {t.tag}
            {n(t.count)}
          </option>
        ))}
      </select>
    </div>
  );
});

/**
 * Accept, reject, rate and tag the selected scenes or every result of the filter, as one action
 * each; Undo takes back the last one. `total` is the filter's count, shown on the scope choice.
 */
export const ReviewActions = memo(function ReviewActions({
  character,
  selected,
  filter,
  total,
  lastSummary,
  onDone,
}: {
  character: Character;
  selected: readonly SceneId[];
  filter: SceneFilter;
  total: number;
  lastSummary: string | null;
  onDone: () => void;
}) {
  const [scope, setScope] = useState<'selection' | 'filter'>('selection');
  const [tag, setTag] = useState('');
  // The regenerate dialog lives here, not in the overflow menu, which is gone once it closes.
  const [regenerating, setRegenerating] = useState(false);
  const toast = useUi((s) => s.toast);
  // One review or undo at a time: the next waits for the studio's answer to this one.
  const [busy, setBusy] = useState(false);
  const run = (work: () => Promise<unknown>) => {
    setBusy(true);
    void work().finally(() => setBusy(false));
  };
  const target: ReviewTarget = scope === 'selection' ? { ids: [...selected] } : { filter };
  const empty = scope === 'selection' ? selected.length === 0 : total === 0;
  const apply = (change: ReviewChange) =>
    run(async () => {
      if (await applyReview(character, target, change)) onDone();
    });
  const count = scope === 'selection' ? selected.length : total;
  // Two lines however narrow the list: what the actions apply to and Undo, then the actions, the
  // rarer ones in the "⋯" menu.
  return (
    <div className="review-actions" role="toolbar" aria-label="Review">
      <div className="review-line">
        <div className="segmented" role="radiogroup" aria-label="Apply to">
          <button
            role="radio"
            aria-checked={scope === 'selection'}
            className={scope === 'selection' ? 'selected' : undefined}
            onClick={() => setScope('selection')}
          >
            Selected ({selected.length.toLocaleString('en-US')})
          </button>
          <button
            role="radio"
            aria-checked={scope === 'filter'}
            className={scope === 'filter' ? 'selected' : undefined}
            onClick={() => setScope('filter')}
            title="Every scene this filter shows, on every page"
          >
            All results ({total.toLocaleString('en-US')})
          </button>
        </div>
        <button
          className="small review-undo"
          disabled={!lastSummary || busy}
          title={lastSummary ? `Undo: ${lastSummary}` : 'Nothing to undo'}
          onClick={() => run(() => undoReview(character))}
        >
          Undo
        </button>
      </div>
      <div className="review-line">
        <button className="small" disabled={empty || busy} onClick={() => apply({ status: 'accepted' })}>
          Accept
        </button>
        <button className="small danger" disabled={empty || busy} onClick={() => apply({ status: 'rejected' })}>
          Reject
        </button>
        <select
          aria-label="Rate"
          value=""
          disabled={empty || busy}
          onChange={(e) => apply({ rating: e.target.value === 'none' ? null : Number(e.target.value) })}
        >
          <option value="">Rate…</option>
          {[5, 4, 3, 2, 1].map((r) => (
            <option key={r} value={r}>
              {'★'.repeat(r)}
            </option>
          ))}
          <option value="none">Clear rating</option>
        </select>
        <form
          className="review-tag"
          onSubmit={(e) => {
            e.preventDefault();
            if (tag.trim()) apply({ addTags: [tag.trim()] });
            setTag('');
          }}
        >
          <input
            aria-label="Tag to add"
            placeholder="Add tag…"
            maxLength={40}
            value={tag}
            onChange={(e) => setTag(e.target.value)}
            disabled={empty || busy}
          />
        </form>
        <OverflowMenu
          label="More review actions"
          items={[
            {
              label: 'Regenerate…',
              title: 'Rewrite these scenes with a written instruction (one LLM call each, each a new revision)',
              disabled: empty || busy,
              onSelect: () => setRegenerating(true),
            },
          ]}
        />
      </div>
      {regenerating && (
        <RegenerateDialog
          character={character}
          target={target}
          count={count}
          onClose={() => setRegenerating(false)}
          onStarted={(job) =>
            toast({
              kind: 'info',
              text: `Rewriting ${job.total.toLocaleString('en-US')} scene${job.total === 1 ? '' : 's'}: follow it on Generate.`,
            })
          }
        />
      )}
    </div>
  );
});

/**
 * Scenes still waiting for their experience: one job writes them all (Complete), or the selected
 * ones are deleted. Shown only while there are some.
 */
export const WaitingScenes = memo(function WaitingScenes({
  character,
  waiting,
  selected,
  onShow,
  onDeleted,
}: {
  character: Character;
  waiting: number;
  selected: readonly SceneId[];
  onShow: () => void;
  onDeleted: () => void;
}) {
  const providers = useProviders();
  const [providerId, setProviderId] = useState<ProviderId | ''>('');
  const toast = useUi((s) => s.toast);
  const complete = useCommand('scenes/complete');
  const remove = useCommand('scenes/delete');
  const chosen = providerId || providers.data?.[0]?.id;
  if (waiting === 0) return null;
  return (
    <div className="waiting-bar" role="region" aria-label="Scenes waiting for their experience">
      <span>
        <button className="link" onClick={onShow}>
          {waiting.toLocaleString('en-US')} scene{waiting === 1 ? '' : 's'} waiting for the experience
        </button>
      </span>
      <select aria-label="Provider" value={chosen ?? ''} onChange={(e) => setProviderId(e.target.value as ProviderId)}>
        {providers.data?.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
      <button
        className="small primary"
        disabled={!chosen || complete.isPending}
        title="One generation job writes every waiting scene's experience (rejected scenes are skipped); follow it on Generate"
        onClick={() =>
          chosen &&
          complete.mutate(
            { characterId: character.id, providerId: chosen },
            { onSuccess: () => toast({ kind: 'info', text: 'Writing the missing experiences: see Generate.' }) },
          )
        }
      >
        Complete
      </button>
      <button
        className="small danger"
        disabled={selected.length === 0 || remove.isPending}
        title="Delete the selected scenes with their experiences"
        onClick={() => {
          if (!window.confirm(`Delete ${selected.length} selected scene${selected.length === 1 ? '' : 's'}?`)) return;
          remove.mutate(
            { characterId: character.id, ids: [...selected] },
            {
              onSuccess: ({ deleted }) => {
                toast({ kind: 'info', text: `Deleted ${deleted} scene${deleted === 1 ? '' : 's'}.` });
                refreshReview(character, selected);
                onDeleted();
              },
            },
          );
        }}
      >
        Delete selected
      </button>
    </div>
  );
});
