import type { Character, Chunk, Profile } from '../../../common/contract';
import {
  argument,
  confirmDelete,
  findCharacter,
  readInput,
  str,
  UsageError,
  type Call,
  type CliContext,
} from '../shared';
import { counted } from '../../../common/plural';

/**
 * The Profile tab's edits in a terminal: a profile renamed or deleted, a chunk shown in full,
 * rewritten, split, merged with the next or deleted. Profiles and chunks are named by the numbers
 * `profiles show` prints: `<n>` with one profile, `<p>.<n>` with several; a profile by its number
 * or title.
 *
 *   profiles chunk <character> <chunk>
 *   profiles edit <character> <chunk> <file|->
 *   profiles split <character> <chunk> --at "<text>"     before the first place the text starts
 *   profiles merge <character> <chunk>                   with the chunk after it
 *   profiles delete-chunk <character> <chunk>
 *   profiles rename <character> <profile> --title "<title>"
 *   profiles delete <character> <profile>
 */
export const CHUNK_VERBS = ['chunk', 'edit', 'split', 'merge', 'delete-chunk', 'rename', 'delete'] as const;

export async function chunkCommand(verb: (typeof CHUNK_VERBS)[number], ctx: CliContext): Promise<number> {
  const { call, rest, values, print } = ctx;
  const command = `profiles ${verb}`;
  const character = await findCharacter(call, argument(rest, 1, '<character>', command));
  const profiles = await call('profiles/list', { characterId: character.id });
  if (verb === 'rename' || verb === 'delete') {
    const profile = findProfile(character, profiles, argument(rest, 2, '<profile>', command));
    if (verb === 'delete') {
      await confirmDelete(
        ctx,
        `the profile "${profile.title}" of ${character.fullName} and its ${counted(profile.chunks.length, 'chunk')} (scenes made from it stay)`,
      );
      const deleted = await call('profiles/delete', { id: profile.id });
      print(
        deleted,
        () =>
          `Deleted the profile "${profile.title}" (${counted(profile.chunks.length, 'chunk')}); scenes made from it stay.`,
      );
      return 0;
    }
    const title = str(values, 'title');
    if (title === undefined) throw new UsageError('Give the new title: --title "<title>".');
    const renamed = await call('profiles/rename', { id: profile.id, title });
    print(renamed, () => `Renamed "${profile.title}" to "${renamed.title}".`);
    return 0;
  }
  const key = argument(rest, 2, '<chunk>', command);
  const { chunk, profile } = findChunk(character, profiles, key);
  const changed = await edit(verb, chunk, ctx);
  if (changed === null) {
    print(
      chunk,
      () => `${key} of "${profile.title}" (${counted(chunk.words, 'word')})  [${chunk.id}]\n\n${chunk.text}`,
    );
    return 0;
  }
  const done: Record<string, string> = {
    edit: `Rewrote chunk ${key}`,
    split: `Split chunk ${key} in two`,
    merge: `Merged chunk ${key} with the one after it`,
    'delete-chunk': `Deleted chunk ${key}`,
  };
  print(
    changed,
    () =>
      `${done[verb] ?? verb}: "${changed.title}" now has ${counted(changed.chunks.length, 'chunk')}, ${counted(changed.words, 'word')}.`,
  );
  return 0;
}

/** A chunk's first words, for a question naming it. */
function excerpt(text: string, words = 8): string {
  const all = text.trim().split(/\s+/);
  return all.length > words ? `${all.slice(0, words).join(' ')}…` : all.join(' ');
}

/** The verb's change of `chunk` (the profile after it), or null for `chunk`, which only shows it. */
async function edit(verb: string, chunk: Chunk, ctx: CliContext): Promise<Profile | null> {
  const call: Call = ctx.call;
  switch (verb) {
    case 'edit': {
      const file = argument(ctx.rest, 3, '<file|->', 'profiles edit');
      const text = (await readInput(file, ctx.io)).toString('utf8');
      if (text.trim() === '')
        throw new UsageError(
          `${file === '-' ? 'Standard input' : file} is empty. To remove the chunk: profiles delete-chunk.`,
        );
      return call('chunks/update', { id: chunk.id, text });
    }
    case 'split': {
      const at = str(ctx.values, 'at');
      if (at === undefined || at.trim() === '')
        throw new UsageError('Say where to split: --at "<the words the second part starts with>".');
      const offset = chunk.text.indexOf(at.trim());
      if (offset <= 0)
        throw new UsageError(
          offset === 0
            ? `The chunk starts with "${at.trim()}": give words further in, where the second part should start.`
            : `"${at.trim()}" is not in that chunk (see it with: profiles chunk). Give words copied from it.`,
        );
      return call('chunks/split', { id: chunk.id, offset });
    }
    case 'merge':
      return call('chunks/merge', { id: chunk.id });
    case 'delete-chunk':
      await confirmDelete(ctx, `chunk ${ctx.rest[2]} (${counted(chunk.words, 'word')}: "${excerpt(chunk.text)}")`);
      return call('chunks/delete', { id: chunk.id });
    default:
      return null;
  }
}

function findProfile(character: Character, profiles: Profile[], key: string): Profile {
  const n = Number(key);
  const found = Number.isInteger(n)
    ? profiles[n - 1]
    : profiles.find((p) => p.title.toLowerCase() === key.trim().toLowerCase());
  if (!found)
    throw new UsageError(
      profiles.length === 0
        ? `${character.fullName} has no profile.`
        : `No profile "${key}" of ${character.shortName}: give its number (1 to ${profiles.length}) or its title, as profiles show prints them.`,
    );
  return found;
}

function findChunk(character: Character, profiles: Profile[], key: string): { chunk: Chunk; profile: Profile } {
  const match = /^(?:(\d+)\.)?(\d+)$/.exec(key.trim());
  const several = profiles.length > 1;
  const where = several ? `<profile>.<chunk>, e.g. 2.5` : 'its number';
  if (!match || (several && match[1] === undefined))
    throw new UsageError(`Name the chunk as profiles show numbers it: ${where}.`);
  const profile = profiles[Number(match[1] ?? 1) - 1];
  const chunk = profile?.chunks[Number(match[2]) - 1];
  if (!profile || !chunk)
    throw new UsageError(
      profiles.length === 0
        ? `${character.fullName} has no profile yet.`
        : `${character.shortName} has no chunk ${key}: see the numbers with character-studio profiles show ${character.shortName}.`,
    );
  return { chunk, profile };
}
