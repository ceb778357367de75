import type { JobCommands } from '../../../common/contract';
import type { CharacterService } from '../character-service';
import type { Handlers } from '../dispatch';
import type { JobService } from './job-service';

/** The job controls (list, pause, resume, budget, cancel, retry), one line each (joined into the studio's handlers). */
export function jobHandlers(jobs: JobService, characters: CharacterService): Pick<Handlers, keyof JobCommands> {
  return {
    'jobs/list': ({ characterId }) => {
      characters.get(characterId); // an unknown character is not_found, not an empty list
      return jobs.list(characterId);
    },
    'jobs/get': ({ id }) => jobs.get(id),
    'jobs/match': ({ key }) => jobs.match(key),
    'jobs/pause': ({ id }) => jobs.pause(id),
    'jobs/resume': ({ id }) => jobs.resume(id),
    'jobs/set-budget': ({ id, budgetUsd }) => jobs.setBudget(id, budgetUsd),
    'jobs/cancel': ({ id }) => jobs.cancel(id),
    'jobs/retry': ({ id, itemId }) => jobs.retry(id, itemId),
  };
}
