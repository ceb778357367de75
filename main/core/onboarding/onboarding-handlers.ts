import { z } from 'zod';
import type { OnboardingCommands } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { AppearanceService } from './appearance-service';
import type { SampleService } from './sample-service';

/** The first-run commands, one line each (joined into the studio's handlers). */
export function onboardingHandlers(
  appearance: AppearanceService,
  samples: SampleService,
): Pick<Handlers, keyof OnboardingCommands> {
  return {
    'appearance/get': () => appearance.get(),
    'appearance/set': (arg) => appearance.set(arg),
    'samples/list': () => samples.list(),
    'samples/load': ({ id }) => samples.load(id),
  };
}

const empty = z.object({}).strict() as unknown as z.ZodType<Record<string, never>>;

/** Boundary validation of the first-run commands (joined into `commandSchemas`). */
export const onboardingSchemas: { [K in keyof OnboardingCommands]: z.ZodType<Parameters<OnboardingCommands[K]>[0]> } = {
  'appearance/get': empty,
  'appearance/set': z.object({ theme: z.enum(['system', 'light', 'dark']) }).strict(),
  'samples/list': empty,
  'samples/load': z.object({ id: z.string().min(1).max(100) }).strict(),
};
