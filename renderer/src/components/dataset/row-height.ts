import type { SceneSummary } from '../../../../common/contract';

/**
 * The scene list's row geometry, in CSS pixels. A row's height follows from which lines it shows,
 * so the virtualized list knows every row's place without measuring one: no layout is read while
 * the list scrolls, no row is resized after it appears, and a page arriving renders only its new
 * rows. browser.css gives each line exactly these heights (`.scene-row …`) and clips what would
 * overflow; the e2e test of the browser holds every row's content inside its box.
 */
export const ROW_LINES = {
  /** The 9 px padding above and below the row's text, and its 1 px bottom border. */
  frame: 19,
  /** The scene's kind and type (14 px text, badges of 20 px beside it). */
  title: 21,
  /** Where and when (12.5 px text), always shown, even when empty. */
  where: 19,
  /** Who is there, when anyone is. */
  people: 19,
  /** The search's words in context: two lines of 18 px, 2 px above. */
  snippet: 38,
  /** Stars and tags, when the scene has any: one line of 18 px, 3 px above. */
  review: 21,
} as const;

/** Height of the row shown while the next page loads. */
export const MORE_ROW_HEIGHT = 40;

/** The height of `scene`'s row in the list. */
export function rowHeight(scene: SceneSummary): number {
  return (
    ROW_LINES.frame +
    ROW_LINES.title +
    ROW_LINES.where +
    (scene.people.length > 0 ? ROW_LINES.people : 0) +
    (scene.snippet ? ROW_LINES.snippet : 0) +
    (scene.review.rating !== null || scene.review.tags.length > 0 ? ROW_LINES.review : 0)
  );
}
