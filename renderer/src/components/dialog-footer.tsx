import type { ReactNode } from 'react';
import { smallFileSize } from '../../../common/file-size';

/**
 * The end of a dialog's form: its error (an alert), anything between (progress), then Cancel and
 * the submit button, which says `pendingLabel` while the command runs.
 */
export function DialogFooter({
  error,
  onClose,
  closeLabel = 'Cancel',
  submitLabel,
  pendingLabel,
  pending,
  disabled = false,
  children,
}: {
  error: string | null;
  onClose: () => void;
  closeLabel?: string;
  submitLabel: string;
  pendingLabel: string;
  pending: boolean;
  disabled?: boolean;
  children?: ReactNode;
}) {
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {children}
      <div className="actions">
        <button type="button" onClick={onClose}>
          {closeLabel}
        </button>
        <button className="primary" type="submit" disabled={pending || disabled}>
          {pending ? pendingLabel : submitLabel}
        </button>
      </div>
    </>
  );
}

/** A picked file as a dropzone shows it: name, size and a way to take it back. */
export function PickedFile({ file, onRemove }: { file: File; onRemove: () => void }) {
  return (
    <p>
      <strong>{file.name}</strong> · {smallFileSize(file.size)}{' '}
      <button type="button" className="link" onClick={onRemove}>
        remove
      </button>
    </p>
  );
}
