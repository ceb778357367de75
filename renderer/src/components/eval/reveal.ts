import { useEffect, useRef, type RefObject } from 'react';

/**
 * A panel a click opened (a transcript, a report's answers, a comparison) brought into view: it
 * opens below long lists and tables, where nothing on screen said that anything happened. Each
 * time `key` changes (another answer opened) and once `ready` (its content drawn), the panel's top
 * is scrolled to the top of the view, unless it is in the upper part of the view already.
 */
export function useReveal<T extends HTMLElement>(key: string, ready = true): RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => {
    const element = ref.current;
    if (!ready || !element) return;
    const top = element.getBoundingClientRect().top;
    // jsdom lays nothing out and has no scrollIntoView.
    if (top < 0 || top > window.innerHeight * 0.6) element.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
  }, [key, ready]);
  return ref;
}
