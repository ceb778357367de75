import { useLayoutEffect, useRef, type RefObject } from 'react';

/**
 * A text box that is as tall as its text, up to `maxPx` (then it scrolls). Measured after every
 * render of its component, before the paint (a box that has just appeared, an edit box opened,
 * is measured too); the height is reset to `auto` first so that a box shrinks again when text is
 * deleted. Rows from newlines alone miss long lines that wrap. Render the box with the ref given.
 */
export function useAutoGrow(maxPx: number): RefObject<HTMLTextAreaElement | null> {
  const box = useRef<HTMLTextAreaElement>(null);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = 'auto';
    // scrollHeight leaves out the border; a box with border-box sizing needs it in its height.
    const border = el.offsetHeight - el.clientHeight;
    const wanted = el.scrollHeight + Math.max(0, border);
    el.style.height = `${Math.min(wanted, maxPx)}px`;
    el.style.overflowY = wanted > maxPx ? 'auto' : 'hidden';
  });
  return box;
}
