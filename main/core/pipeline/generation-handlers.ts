import type { CallId, GenerationCommands, LlmCall } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { GenerationService } from './generation-service';
import type { LimitsService } from './limits-service';
import type { PromptService } from './prompt-service';

/**
 * The generation commands (limits, prompt versions, estimate and start, run preferences, the record
 * of one LLM call), one line each (joined into the studio's handlers).
 */
export function generationHandlers(s: {
  generation: GenerationService;
  prompts: PromptService;
  limits: LimitsService;
  calls: (id: CallId) => LlmCall[];
}): Pick<Handlers, keyof GenerationCommands> {
  const { generation, prompts, limits, calls } = s;
  return {
    'limits/list': ({ characterId }) => limits.list(characterId),
    'limits/save': ({ characterId, limits: texts }) => limits.save(characterId, texts),
    'limits/generate': ({ characterId, providerId }) => limits.generate(characterId, providerId),
    'prompts/list': ({ characterId }) => prompts.list(characterId),
    'prompts/save': (arg) => prompts.save(arg.characterId, arg.stage, 'reset' in arg ? null : arg),
    'generation/defaults': ({ characterId, preset }) => generation.defaults(characterId, preset),
    'generation/estimate': ({ characterId, settings, more }) => generation.estimateForDoor(characterId, settings, more),
    'generation/start': ({ characterId, settings, more }) => generation.start(characterId, settings, more),
    'generation/preferences': () => generation.runPreferences(),
    'generation/set-preferences': (preferences) => generation.setRunPreferences(preferences),
    'calls/get': ({ id }) => calls(id),
  };
}
