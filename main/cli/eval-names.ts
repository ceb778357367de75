import type { Character, EvalSystem, InterviewId, QuestionSet } from '../../common/contract';
import { StudioFailure } from '../core/errors';
import { pickById, type Call } from './shared';

/**
 * How the evaluation's commands (`questions`, `interview`, `judge`, `report`) name its rows, as the
 * other commands name theirs: a question set or a system by its name (case aside), its id, or a
 * unique start of its id (the lists print ids whole, and the start is enough, as with git's
 * commits); an interview by its id or a unique start of it. A name wins over the start of an id.
 */

interface Named {
  id: string;
}

function pickNamed<T extends Named>(
  rows: readonly T[],
  key: string,
  nameOf: (row: T) => string,
  what: { noun: string; plural: string; none: string },
): T {
  const k = key.trim();
  const exact = rows.find((r) => r.id === k) ?? rows.find((r) => nameOf(r).toLowerCase() === k.toLowerCase());
  if (exact) return exact;
  const started = k === '' ? [] : rows.filter((r) => r.id.startsWith(k));
  if (started.length === 1) return started[0]!;
  if (started.length > 1)
    throw new StudioFailure(
      'conflict',
      `"${k}" starts the ids of ${started.length} ${what.plural} (${started.map((r) => `"${nameOf(r)}"`).join(', ')}): type more of the id, or the name.`,
    );
  throw new StudioFailure(
    'not_found',
    rows.length === 0
      ? `No ${what.noun} "${k}": ${what.none}`
      : `No ${what.noun} "${k}". The character's ${what.plural}: ${rows.map((r) => `"${nameOf(r)}"`).join(', ')}.`,
  );
}

/** A question set of the character by name, id or the start of its id. */
export async function findSet(call: Call, character: Character, key: string): Promise<QuestionSet> {
  const sets = await call('eval/questions/list', { characterId: character.id });
  return pickNamed(sets, key, (s) => s.name, {
    noun: 'question set',
    plural: 'sets',
    none: `${character.shortName} has none yet. Make one: character-studio questions ${character.shortName} create --name <name>`,
  });
}

/** Systems of the character, each by label, id or the start of its id, in the order given. */
export function pickSystems(
  character: Character,
  systems: readonly EvalSystem[],
  keys: readonly string[],
): EvalSystem[] {
  return keys.map((key) =>
    pickNamed(systems, key, (s) => s.label, {
      noun: 'system',
      plural: 'systems',
      none: `${character.shortName} has none yet. Add one with: character-studio interview ${character.shortName} add-system`,
    }),
  );
}

/** Systems named in a comma-separated list (`--system a,b`). */
export async function findSystems(call: Call, character: Character, keys: string): Promise<EvalSystem[]> {
  const systems = await call('eval/systems/list', { characterId: character.id });
  return pickSystems(
    character,
    systems,
    keys.split(',').filter((k) => k.trim() !== ''),
  );
}

/** An interview of the character by its id or a unique start of it. */
export async function findInterview(call: Call, character: Character, key: string): Promise<InterviewId> {
  const found = await call('eval/interviews/match', { key });
  const mine = found.filter((row) => row.characterId === character.id);
  if (mine.length === 0 && found.length > 0)
    throw new StudioFailure(
      'not_found',
      `"${key.trim()}" names no interview of ${character.shortName}, only another character's. See ${character.shortName}'s with: character-studio interview ${character.shortName} list`,
    );
  return pickById(mine, key, 'interview', `interview ${character.shortName} list`);
}
