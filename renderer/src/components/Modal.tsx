import { useEffect, useRef, type ReactNode } from 'react';

/** A dialog on the native <dialog> element: focus trap, Escape to close, backdrop. */
export function Modal({
  title,
  onClose,
  children,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? 'modal wide' : 'modal'}
      aria-label={title}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <header className="modal-header">
        <h2>{title}</h2>
        <button className="icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      {children}
    </dialog>
  );
}

/** How a dialog's form ends: the error of the last try (an alert), then Cancel and the submit button. */
export function FormFooter({
  error,
  onCancel,
  submit,
  disabled,
}: {
  error: string | null;
  onCancel: () => void;
  /** The submit button's label (say what it does: "Import", "Saving…"). */
  submit: string;
  disabled: boolean;
}) {
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button className="primary" type="submit" disabled={disabled}>
          {submit}
        </button>
      </div>
    </>
  );
}
