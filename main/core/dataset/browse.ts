import type { CharacterId, SceneFilter, SceneSort, SceneSummary } from '../../../common/contract';
import { CursorError, type SceneBrowserRepo } from '../../store/scene-browser-repo';
import { StudioFailure } from '../errors';

/**
 * `scenes/list`: a keyset page of the browser. A cursor that is not one (hand-typed in the CLI,
 * or from another order) is the caller's mistake and says so; nothing else is caught.
 */
export function browsePage(
  browser: SceneBrowserRepo,
  characterId: CharacterId,
  options: {
    limit: number;
    after?: string | undefined;
    through?: string | undefined;
    sort?: SceneSort | undefined;
    filter: SceneFilter;
  },
): { scenes: SceneSummary[]; next: string | null } {
  if (options.filter.minTurns !== undefined && options.filter.maxTurns !== undefined) {
    if (options.filter.minTurns > options.filter.maxTurns)
      throw new StudioFailure(
        'invalid_argument',
        `The turn range ${options.filter.minTurns}–${options.filter.maxTurns} is empty: the least must not exceed the most.`,
      );
  }
  try {
    return browser.page(characterId, {
      limit: options.limit,
      filter: options.filter,
      ...(options.after !== undefined && { after: options.after }),
      ...(options.through !== undefined && { through: options.through }),
      ...(options.sort !== undefined && { sort: options.sort }),
    });
  } catch (error) {
    if (error instanceof CursorError) throw new StudioFailure('invalid_argument', error.message);
    throw error;
  }
}
