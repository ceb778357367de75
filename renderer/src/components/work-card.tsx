import { useState, type ReactNode } from 'react';

/** Pieces the job card (Generate) and the run card (Train) share. */

/** The card's one-sentence state, shown as a failure when the work failed. */
export function WorkMessage({ message, failed }: { message: string | null; failed: boolean }) {
  if (!message) return null;
  return (
    <p className={failed ? 'job-message bad' : 'job-message'} role="status">
      {message}
    </p>
  );
}

/** Cancel (when the work can still be cancelled) and the card's close button (when it can be closed). */
export function CancelAndClose({
  canCancel,
  busy,
  onCancel,
  onClose,
}: {
  canCancel: boolean;
  busy: boolean;
  onCancel: () => void;
  onClose: (() => void) | undefined;
}) {
  return (
    <>
      {canCancel && (
        <button className="danger" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      )}
      {onClose && (
        <button className="icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      )}
    </>
  );
}

/**
 * Earlier jobs or runs, folded: one row each, and the one opened shown as its full card in place.
 * `card(item, close)` draws the opened one; `row(item)` the contents of a row's button.
 */
export function EarlierWork<T extends { id: string }>({
  items,
  card,
  row,
}: {
  items: readonly T[];
  card: (item: T, close: () => void) => ReactNode;
  row: (item: T) => ReactNode;
}) {
  const [openId, setOpenId] = useState<string | null>(null);
  if (items.length === 0) return null;
  return (
    <details className="earlier-runs">
      <summary>
        {items.length} earlier run{items.length === 1 ? '' : 's'}
      </summary>
      <ul>
        {items.map((item) => (
          <li key={item.id}>
            {openId === item.id ? (
              card(item, () => setOpenId(null))
            ) : (
              <button className="job-row" onClick={() => setOpenId(item.id)}>
                {row(item)}
              </button>
            )}
          </li>
        ))}
      </ul>
    </details>
  );
}
