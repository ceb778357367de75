import { useEffect, useState } from 'react';
import type { Theme } from '../../../common/contract';
import { useAppearance } from './queries';

/**
 * The theme in force: the stored choice (`appearance/get`, shared by every window and door), or
 * the operating system's preference when the choice is `system`, followed live. Applied as
 * `data-theme="light|dark"` on <html>; every stylesheet keys its dark rules on that attribute
 * (never on a `prefers-color-scheme` media query, which the switch could not override).
 */
export type AppliedTheme = 'light' | 'dark';

const DARK_QUERY = '(prefers-color-scheme: dark)';

export function systemTheme(): AppliedTheme {
  return typeof matchMedia === 'function' && matchMedia(DARK_QUERY).matches ? 'dark' : 'light';
}

export function applyTheme(theme: AppliedTheme): void {
  document.documentElement.dataset.theme = theme;
}

export function resolveTheme(choice: Theme, system: AppliedTheme): AppliedTheme {
  return choice === 'system' ? system : choice;
}

/** Keeps <html data-theme> in step with the stored choice and the system's preference; returns both. */
export function useAppliedTheme(): { choice: Theme; applied: AppliedTheme } {
  const choice = useAppearance().data?.theme ?? 'system';
  const [system, setSystem] = useState<AppliedTheme>(systemTheme);
  useEffect(() => {
    if (typeof matchMedia !== 'function') return;
    const query = matchMedia(DARK_QUERY);
    const onChange = () => setSystem(query.matches ? 'dark' : 'light');
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  const applied = resolveTheme(choice, system);
  useEffect(() => applyTheme(applied), [applied]);
  return { choice, applied };
}
