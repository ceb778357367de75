import type { ReactNode } from 'react';
import { Modal } from './Modal';

/** One answer of a ChoiceDialog. */
export interface Choice {
  label: string;
  /** `primary`: the answer the question leads to; `danger`: it deletes or drops something. */
  tone?: 'primary' | 'danger';
  onChoose: () => void;
}

/**
 * A question with named answers in the studio's own dialog, where `window.confirm` offers only
 * OK and Cancel and cannot say what either does. `cancel` is the answer that changes nothing: the
 * first button, the × and Escape give it. While `busy` (an answer's command is running) every
 * answer waits; a refusal shows as `error` and the dialog stays, to choose again.
 */
export function ChoiceDialog({
  title,
  children,
  cancel,
  choices,
  busy = false,
  error = null,
}: {
  title: string;
  children: ReactNode;
  cancel: Choice;
  choices: readonly Choice[];
  busy?: boolean;
  error?: string | null;
}) {
  return (
    <Modal title={title} onClose={() => !busy && cancel.onChoose()}>
      <div className="form choice-dialog">
        {children}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button onClick={cancel.onChoose} disabled={busy}>
            {cancel.label}
          </button>
          {choices.map((choice) => (
            <button key={choice.label} className={choice.tone} onClick={choice.onChoose} disabled={busy}>
              {choice.label}
            </button>
          ))}
        </div>
      </div>
    </Modal>
  );
}
