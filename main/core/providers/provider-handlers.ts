import type { ProviderCommands } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { ProviderService } from './provider-service';

/** The LLM provider and price commands, one line each (joined into the studio's handlers). */
export function providerHandlers(providers: ProviderService): Pick<Handlers, keyof ProviderCommands> {
  return {
    'providers/presets': () => providers.presets(),
    'providers/list': () => providers.list(),
    'providers/create': (draft) => providers.create(draft),
    'providers/update': ({ id, ...patch }) => providers.update(id, patch),
    'providers/delete': ({ id }) => providers.delete(id),
    'providers/test': (target) => providers.test(target),
    'prices/list': () => providers.prices(),
    'prices/set': (price) => providers.setPrice(price),
  };
}
