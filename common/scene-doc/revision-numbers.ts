import type { SceneRevision } from '../contract';

/**
 * Revisions numbered as a person counts them, the same in the History and the CLI: the first listed
 * is #1, the next #2. The stored number is the scene's save counter, which also counts writes that
 * are no revision of their own (a generated scene's experience arriving moves it on, so its first
 * listed revision is stored as 2); it stays the token saves and restores name. A number past the
 * list (the experience arrived after the last listed revision) counts on from its last.
 */
export function revisionNumbering(list: readonly SceneRevision[]): (stored: number) => number {
  const positions = new Map(list.map((r, i) => [r.revision, i + 1]));
  const last = list.at(-1);
  return (stored) => positions.get(stored) ?? (last ? Math.max(1, list.length + stored - last.revision) : stored);
}

/** The stored number of the revision shown as `shown` in `list`; null when the list has none such. */
export function storedRevision(list: readonly SceneRevision[], shown: number): number | null {
  return list[shown - 1]?.revision ?? null;
}
