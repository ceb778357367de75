import type { CharacterId, Provider, ProviderId } from '../../../common/contract';
import type { JobsRepo } from '../../store/jobs-repo';
import { StudioFailure } from '../errors';

/**
 * The provider an evaluation step calls when none is chosen (writing questions, the multi-turn
 * interviewer, the judge): the one the character's last job used, else the only provider there is.
 * Refused when neither says, naming the providers (a first step on a new character with one
 * provider was refused: the screens pick the first provider, the CLI had to be told).
 * `what` finishes "Choose the provider …" ("to write the questions with").
 */
export function defaultProvider(
  jobs: JobsRepo,
  providers: () => readonly Provider[],
  characterId: CharacterId,
  what: string,
): ProviderId {
  const last = jobs.latestFor(characterId);
  const fromLast = last ? (JSON.parse(last.settings) as { providerId?: ProviderId | null }).providerId : null;
  if (fromLast) return fromLast;
  const all = providers();
  if (all.length === 1) return all[0]!.id;
  if (all.length === 0)
    throw new StudioFailure(
      'invalid_argument',
      `There is no provider ${what}: add one (Settings, or character-studio providers add).`,
    );
  throw new StudioFailure(
    'invalid_argument',
    `Choose the provider ${what} (--provider at the command line): this character has no earlier job to take one from, and there are ${all.length}: ${all.map((p) => `"${p.name}"`).join(', ')}.`,
  );
}
