import { useState, type FormEvent } from 'react';
import { messageOf } from '../lib/bridge-error';
import { DialogFooter } from './dialog-footer';
import { Modal } from './Modal';

/**
 * Asks for one name (a new question set, a conversation's title) in the studio's own dialog, not
 * `window.prompt`: Electron has none (it throws "prompt() is and will not be supported"), so the
 * desktop app could not name anything that way. `onSubmit` runs the command and resolves when it is
 * done; the dialog then closes. A refusal is shown in the dialog, which stays open with the name
 * as typed.
 */
export function NameDialog({
  title,
  label,
  initial,
  submitLabel,
  onSubmit,
  onClose,
}: {
  title: string;
  label: string;
  initial: string;
  submitLabel: string;
  onSubmit: (name: string) => Promise<unknown>;
  onClose: () => void;
}) {
  const [name, setName] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      await onSubmit(name.trim());
      onClose();
    } catch (err) {
      setError(messageOf(err));
      setPending(false);
    }
  };
  return (
    <Modal title={title} onClose={onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <label>
          {label}
          <input autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <DialogFooter
          error={error}
          onClose={onClose}
          submitLabel={submitLabel}
          pendingLabel="Saving…"
          pending={pending}
          disabled={name.trim() === ''}
        />
      </form>
    </Modal>
  );
}
