import type {
  CharacterId,
  Job,
  ProviderId,
  ReviewAction,
  ReviewChange,
  SceneFilter,
  SceneId,
} from '../../../common/contract';
import type { DatasetRepo } from '../../store/dataset-repo';
import { ReviewRepo } from '../../store/review-repo';
import { sceneWhere } from '../../store/scene-filter';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import type { GenerationService } from '../pipeline/generation-service';
import { MAX_TARGET_SCENES } from '../pipeline/presets';
import { CHANGED_IDS_MAX, emitDatasetChanged } from './changed';

/** Which scenes a review action covers: named ones, or every scene matching a filter (exactly one). */
export interface ReviewTarget {
  ids?: SceneId[];
  filter?: SceneFilter;
}

/**
 * Review of a character's dataset: accept, reject, rate and tag scenes one by one or in bulk, undo
 * the last actions, and deal with scenes still waiting for their experience (complete or delete).
 * Every change emits `dataset/changed` so open lists and counts refresh.
 */
export class ReviewService {
  constructor(
    private readonly repo: ReviewRepo,
    private readonly dataset: DatasetRepo,
    private readonly characters: CharacterService,
    private readonly generation: GenerationService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {}

  /** Applies `change` to the target's scenes as one undoable action. */
  set(characterId: CharacterId, target: ReviewTarget, change: ReviewChange): ReviewAction {
    this.characters.get(characterId);
    if ((target.ids === undefined) === (target.filter === undefined))
      throw new StudioFailure('invalid_argument', 'Name the scenes (ids) or give a filter, not both and not neither.');
    const addTags = tidyTags(change.addTags);
    const removeTags = tidyTags(change.removeTags);
    if (change.status === undefined && change.rating === undefined && addTags.length + removeTags.length === 0)
      throw new StudioFailure('invalid_argument', 'Say what to change: a status, a rating, or tags to add or remove.');
    const both = addTags.filter((t) => removeTags.includes(t));
    if (both.length > 0)
      throw new StudioFailure('invalid_argument', `The tag "${both[0]}" cannot be added and removed at once.`);
    const where = target.ids
      ? ReviewRepo.idsWhere(characterId, target.ids)
      : sceneWhere(characterId, target.filter ?? {});
    const action = this.repo.apply(
      { id: this.newId(), characterId, summary: (n) => describe({ ...change, addTags, removeTags }, n) },
      where,
      { ...change, addTags, removeTags },
      this.clock.now(),
    );
    if (!action)
      throw new StudioFailure(
        'not_found',
        target.ids
          ? 'None of those scenes exists any more; refresh the list and select again.'
          : 'No scene matches this filter, so nothing was changed.',
      );
    emitDatasetChanged(this.events, characterId, target.ids);
    return action;
  }

  /** Takes back the latest action not yet undone and returns it. */
  undo(characterId: CharacterId): ReviewAction {
    this.characters.get(characterId);
    const last = this.repo.lastAction(characterId);
    if (!last) throw new StudioFailure('not_found', 'There is no review action left to undo.');
    this.repo.undo(last.id, this.clock.now());
    emitDatasetChanged(this.events, characterId, this.repo.actionSceneIds(last.id, CHANGED_IDS_MAX + 1));
    return last;
  }

  last(characterId: CharacterId): ReviewAction | null {
    this.characters.get(characterId);
    return this.repo.lastAction(characterId);
  }

  /**
   * Writes the missing experiences with a generation job of the usual kind whose target is the
   * scenes the character already has and whose protective share is 0: its scenes stage plans
   * nothing, its experiences stage plans every scene still waiting (rejected ones excepted), so
   * the calls are recorded, budgeted, paused and resumed like any run's. The character's
   * remembered run settings are used and left unchanged.
   */
  complete(characterId: CharacterId, providerId: ProviderId): Job {
    const character = this.characters.get(characterId);
    const waiting = this.dataset.countScenesWithoutExperience(characterId, false);
    if (waiting === 0)
      throw new StudioFailure('invalid_argument', `No scene of ${character.shortName} is waiting for its experience.`);
    const existing = this.dataset.countCharacterScenes(characterId, false);
    const settings = {
      ...this.generation.defaults(characterId),
      providerId,
      preset: 'studio' as const,
      targetScenes: Math.min(Math.max(existing, 1), MAX_TARGET_SCENES),
      protectiveShare: 0,
    };
    return this.generation.start(characterId, settings, undefined, false);
  }

  /** Deletes the character's scenes named by `ids`; refused while one of its jobs (any kind) is running. */
  delete(characterId: CharacterId, ids: SceneId[]): { deleted: number } {
    const character = this.characters.get(characterId);
    if (this.generation.hasRunningJob(characterId))
      throw new StudioFailure(
        'conflict',
        `A job of ${character.shortName} (a generation run or a regeneration) is running and may be writing these scenes. Pause it, then delete them.`,
      );
    const deleted = this.repo.deleteScenes(characterId, ids);
    if (deleted === 0) throw new StudioFailure('not_found', 'None of those scenes exists any more.');
    emitDatasetChanged(this.events, characterId, ids);
    return { deleted };
  }
}

/** Tags as stored: trimmed, inner spaces collapsed, empty ones and repeats dropped. */
function tidyTags(tags: readonly string[] | undefined): string[] {
  return [...new Set((tags ?? []).map((t) => t.trim().replace(/\s+/g, ' ')).filter((t) => t.length > 0))];
}

/** "Accepted and rated 4 · 12 scenes": what an action did, for the Undo button and the CLI. */
function describe(change: ReviewChange, scenes: number): string {
  const parts: string[] = [];
  if (change.status) parts.push(change.status === 'unreviewed' ? 'marked unreviewed' : change.status);
  if (change.rating !== undefined) parts.push(change.rating === null ? 'unrated' : `rated ${change.rating}`);
  if (change.addTags?.length) parts.push(`tagged ${change.addTags.map((t) => `"${t}"`).join(', ')}`);
  if (change.removeTags?.length) parts.push(`untagged ${change.removeTags.map((t) => `"${t}"`).join(', ')}`);
  const text = parts.join(', ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)} · ${scenes.toLocaleString('en-US')} scene${scenes === 1 ? '' : 's'}`;
}
