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
