import type { CallId, GenerationCommands, LlmCall } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { GenerationService } from './generation-service';

/**
 * The generation commands (limits, prompt versions, estimate and start, run preferences, the record
 * of one LLM call), one line each (joined into the studio's handlers).
 */
export function generationHandlers(
  generation: GenerationService,
  calls: (id: CallId) => LlmCall[],
): Pick<Handlers, keyof GenerationCommands> {
  return {
    'limits/list': ({ characterId }) => generation.limits(characterId),
    'limits/save': ({ characterId, limits }) => generation.saveLimits(characterId, limits),
    'limits/generate': ({ characterId, providerId }) => generation.generateLimits(characterId, providerId),
    'prompts/list': ({ characterId }) => generation.prompts(characterId),
    'prompts/save': (arg) => generation.savePrompt(arg.characterId, arg.stage, 'reset' in arg ? null : arg),
    'generation/defaults': ({ characterId, preset }) => generation.defaults(characterId, preset),
    'generation/estimate': ({ characterId, settings, more }) => generation.estimateForDoor(characterId, settings, more),
    'generation/start': ({ characterId, settings, more }) => generation.start(characterId, settings, more),
    'generation/preferences': () => generation.runPreferences(),
    'generation/set-preferences': (preferences) => generation.setRunPreferences(preferences),
    'calls/get': ({ id }) => calls(id),
  };
}
