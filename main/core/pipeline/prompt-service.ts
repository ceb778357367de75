import type { Character, CharacterId, PromptTemplate, Stage } from '../../../common/contract';
import type { PromptsRepo } from '../../store/prompts-repo';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import { BUILTIN_PROMPTS, BUILTIN_VERSION, PLACEHOLDERS } from './prompts';
import { STAGES } from './stages/scheduler';

/**
 * A character's stage prompts as the Prompts dialog edits them: the built-in one of each stage, or
 * the character's custom version. Every save is a new version; a reset saves an inactive one. What
 * the stages send is filled by `PromptBuilder`, which reads the same versions.
 */
export class PromptService {
  constructor(
    private readonly customPrompts: PromptsRepo,
    /** The character, refused with `not_found` when there is none. */
    private readonly character: (id: CharacterId) => Character,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {}

  list(characterId: CharacterId): PromptTemplate[] {
    this.character(characterId);
    return STAGES.map((stage) => {
      const custom = this.customPrompts.latest(characterId, stage);
      const active = custom?.active ? custom : null;
      return {
        stage,
        version: active ? `custom@${active.version}` : `builtin@${BUILTIN_VERSION}`,
        system: active ? active.system : BUILTIN_PROMPTS[stage].system,
        template: active ? active.template : BUILTIN_PROMPTS[stage].template,
        placeholders: [...PLACEHOLDERS[stage]],
        custom: active !== null,
      };
    });
  }

  /** Saves the stage's prompt as a new version, or with `edit` null goes back to the built-in one. */
  save(characterId: CharacterId, stage: Stage, edit: { system: string; template: string } | null): PromptTemplate[] {
    this.character(characterId);
    if (edit) {
      if (!edit.template.trim())
        throw new StudioFailure('invalid_argument', 'A prompt cannot be empty. Reset it to the built-in one instead.');
      const unknown = [...edit.template.matchAll(/\{([a-z_]+)\}/g)]
        .map((m) => m[1]!)
        .filter((n) => !PLACEHOLDERS[stage].includes(n));
      if (unknown.length > 0) {
        throw new StudioFailure(
          'invalid_argument',
          `Unknown placeholder ${unknown.map((n) => `{${n}}`).join(', ')}. This prompt may use: ${PLACEHOLDERS[stage].map((n) => `{${n}}`).join(' ')}.`,
        );
      }
    }
    this.customPrompts.insert(
      {
        id: this.newId(),
        characterId,
        stage,
        system: edit?.system ?? '',
        template: edit?.template ?? '',
        active: edit !== null,
      },
      this.clock.now(),
    );
    return this.list(characterId);
  }
}
