import { useEffect, useState } from 'react';
import { useUi } from '../state/ui';
import '../copy-button.css';

/** How long a copy button says "Copied" (ms). */
const COPIED_MS = 1500;

/**
 * A button that copies `text` to the clipboard and says "Copied" for a moment (in its name too, for
 * a screen reader). `label` names it where "Copy" alone would not say what (a path in a list);
 * `what` finishes the sentence shown when no clipboard can be reached ("select <what> and copy it by hand").
 */
export function CopyButton({
  text,
  label,
  what = 'the text',
  className = 'small ghost copy',
}: {
  text: string;
  label?: string;
  what?: string;
  className?: string;
}) {
  const toast = useUi((s) => s.toast);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), COPIED_MS);
    return () => clearTimeout(timer);
  }, [copied]);

  const onCopy = async () => {
    try {
      await copyText(text);
      setCopied(true);
    } catch {
      toast({ kind: 'error', text: `The clipboard is not available here: select ${what} and copy it by hand.` });
    }
  };
  return (
    <button
      className={className}
      aria-label={label && (copied ? `${label}: copied` : label)}
      title={label}
      data-copied={copied || undefined}
      onClick={() => void onCopy()}
    >
      {/* Both words in one cell, the one not meant hidden: the button keeps the wider one's width. */}
      <span className="copy-words">
        <span aria-hidden={copied}>Copy</span>
        <span aria-hidden={!copied}>Copied</span>
      </span>
    </button>
  );
}

/**
 * Writes `text` to the clipboard. The Clipboard API exists only on a secure page (the desktop app,
 * `serve` on 127.0.0.1); a studio served to the network over plain http has none, and there the
 * older copy command on a hidden text box still works. Rejects when neither does.
 */
export async function copyText(text: string): Promise<void> {
  if (typeof navigator.clipboard?.writeText === 'function') {
    await navigator.clipboard.writeText(text);
    return;
  }
  const box = document.createElement('textarea');
  box.value = text;
  box.setAttribute('readonly', '');
  box.style.position = 'fixed';
  box.style.opacity = '0';
  document.body.append(box);
  const focused = document.activeElement;
  try {
    box.select();
    // Deprecated but the only way left without the Clipboard API; false when the browser refused.
    if (!document.execCommand('copy')) throw new Error('the browser refused to copy');
  } finally {
    box.remove();
    if (focused instanceof HTMLElement) focused.focus();
  }
}
