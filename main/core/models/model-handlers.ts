import { z } from 'zod';
import type { ModelCommands } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { ModelService } from './model-service';

/** The local-model commands, one line each (joined into the studio's handlers). */
export function modelHandlers(models: ModelService): Pick<Handlers, keyof ModelCommands> {
  return {
    'models/list': ({ check }) => models.list(check ?? false),
    'models/download': ({ id }) => models.download(id),
    'models/cancel': ({ id }) => models.cancel(id),
    'models/add': ({ path }) => models.add(path),
    'models/remove': ({ id }) => models.remove(id),
  };
}

/** Boundary validation of the local-model commands (joined into `commandSchemas`). */
export const modelSchemas: { [K in keyof ModelCommands]: z.ZodType<Parameters<ModelCommands[K]>[0]> } = {
  'models/list': z.object({ check: z.boolean().optional() }).strict(),
  'models/download': z.object({ id: z.string().min(1).max(200) }).strict(),
  'models/cancel': z.object({ id: z.string().min(1).max(200) }).strict(),
  'models/add': z.object({ path: z.string().min(1).max(4096) }).strict(),
  'models/remove': z.object({ id: z.string().min(1).max(300) }).strict(),
};
