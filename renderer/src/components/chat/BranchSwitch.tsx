import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { ChatMessageId, MessageAlternative, PathStep } from '../../../../common/contract';

/**
 * "‹ 2 / 3 ›" on a message that has alternatives (regenerated, edited, or answered again after a
 * Branch): each goes on in its own branch of the conversation, and the arrows show another one,
 * down to where it ended. The count between them opens the list of all of them, each by its first
 * words (`PathStep.alternatives`), to choose one directly. Always at full strength, where the other
 * actions are dimmed until hover.
 */
export function BranchSwitch({
  step: { siblings, index, alternatives, message },
  busy,
  browse,
}: {
  step: PathStep;
  busy: boolean;
  browse: (id: ChatMessageId) => void;
}) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLSpanElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const what = message.role === 'user' ? 'your message' : 'this reply';
  useEffect(() => {
    if (!open) return;
    // The list opened at the bottom of the conversation would unfold out of sight.
    list.current?.scrollIntoView({ block: 'nearest' });
    list.current?.querySelector<HTMLButtonElement>('[aria-checked="true"]')?.focus();
    const outside = (event: PointerEvent) => {
      if (!box.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && open) {
      setOpen(false);
      toggle.current?.focus();
      event.stopPropagation();
    } else if (open && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      const entries = [...(list.current?.querySelectorAll<HTMLButtonElement>('[role="menuitemradio"]') ?? [])];
      const at = entries.indexOf(document.activeElement as HTMLButtonElement);
      entries[(at + (event.key === 'ArrowDown' ? 1 : entries.length - 1)) % entries.length]?.focus();
      event.preventDefault();
    }
  };
  const choose = (a: MessageAlternative) => {
    setOpen(false);
    toggle.current?.focus();
    if (a.position !== index + 1) browse(a.id);
  };
  return (
    <span className="alternatives-box" ref={box} onKeyDown={onKey}>
      <span
        className="alternatives"
        role="group"
        aria-label={`Alternative ${index + 1} of ${siblings.length}`}
        title="Each alternative goes on in its own branch of the conversation"
      >
        <button
          className="ghost small"
          aria-label="Previous alternative"
          disabled={busy || index === 0}
          onClick={() => browse(siblings[index - 1]!)}
        >
          ‹
        </button>
        <button
          ref={toggle}
          className="ghost small alternatives-count"
          aria-haspopup="menu"
          aria-expanded={open}
          title="All alternatives, by their first words"
          onClick={() => setOpen(!open)}
        >
          <span data-testid="alternative-index">
            {index + 1} / {siblings.length}
          </span>
          <span className="alternatives-caret" aria-hidden="true">
            ▾
          </span>
        </button>
        <button
          className="ghost small"
          aria-label="Next alternative"
          disabled={busy || index === siblings.length - 1}
          onClick={() => browse(siblings[index + 1]!)}
        >
          ›
        </button>
      </span>
      {open && (
        <div className="alternatives-list" role="menu" aria-label={`Alternatives of ${what}`} ref={list}>
          {alternatives.map((a) => (
            <button
              key={a.id}
              role="menuitemradio"
              aria-checked={a.position === index + 1}
              disabled={busy && a.position !== index + 1}
              // The preview whole, where the list is too narrow for it.
              title={a.preview || undefined}
              onClick={() => choose(a)}
            >
              <span className="alternative-number">{a.position}</span>
              <span className={`alternative-preview${a.preview === '' ? ' muted' : ''}`}>
                {a.preview || '(says nothing)'}
              </span>
              {a.edited && <span className="bubble-tag">edited by you</span>}
              {a.state === 'cancelled' && <span className="bubble-tag">stopped</span>}
              {a.state === 'cut' && <span className="bubble-tag danger">cut off</span>}
              {a.state === 'streaming' && <span className="bubble-tag">writing</span>}
              {a.position === index + 1 && <span className="alternative-shown">shown</span>}
            </button>
          ))}
        </div>
      )}
    </span>
  );
}
