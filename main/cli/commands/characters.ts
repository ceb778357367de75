import path from 'node:path';
import type { Character, Profile } from '../../../common/contract';
import { CHUNK_VERBS, chunkCommand } from './chunks';
import {
  argument,
  confirmDelete,
  findCharacter,
  readInput,
  str,
  UsageError,
  type CliContext,
  type Values,
} from '../shared';
import { counted } from '../../../common/plural';
import { suggestShortName } from '../../../common/short-name';
import { unknownSubcommand } from '../command-hints';

function draftOf(values: Values) {
  return {
    ...(str(values, 'full-name') !== undefined && { fullName: str(values, 'full-name') }),
    ...(str(values, 'short-name') !== undefined && { shortName: str(values, 'short-name') }),
    ...(str(values, 'era') !== undefined && { era: str(values, 'era') }),
    ...(str(values, 'notes') !== undefined && { notes: str(values, 'notes') }),
  };
}

/** `characters list|create|update|delete`. */
export async function charactersCommand(sub: string, ctx: CliContext): Promise<number> {
  const { call, values, rest, print } = ctx;
  const draft = draftOf(values);
  switch (sub) {
    case 'list': {
      const list = await call('characters/list', {});
      print(list, () => (list.length === 0 ? 'No characters yet.' : list.map(describeCharacter).join('\n')));
      return 0;
    }
    case 'create': {
      // The name may come as the command's argument (`characters create "Ludwig van Beethoven"`), as
      // people first type it, or as --full-name; not both.
      const named = rest.slice(1).join(' ').trim();
      if (named && draft.fullName !== undefined)
        throw new UsageError(`Give the name once: either "${named}" or --full-name "${draft.fullName}".`);
      const fullName = (named || draft.fullName)?.trim();
      if (!fullName)
        throw new UsageError(
          'characters create needs the person\'s full name: characters create "<full name>" (or --full-name "<full name>"; --short-name: the last word unless given).',
        );
      const created = await call('characters/create', {
        fullName,
        // As the app's form suggests it: the full name's last word ("Ludwig van Beethoven" → "Beethoven").
        shortName: draft.shortName ?? suggestShortName(fullName),
        era: draft.era ?? '',
        notes: draft.notes ?? '',
      });
      print(created, () => `Created ${describeCharacter(created)}`);
      return 0;
    }
    case 'update': {
      const character = await findCharacter(call, argument(rest, 1, '<character>'));
      const updated = await call('characters/update', { id: character.id, ...draft });
      print(updated, () => `Updated ${describeCharacter(updated)}`);
      return 0;
    }
    case 'delete': {
      const character = await findCharacter(call, argument(rest, 1, '<character>'));
      // As the app's delete asks first: nothing of it can be brought back.
      const what = `${character.fullName} and everything made from it (${counted(character.profileCount, 'profile')}, ${counted(character.sceneCount, 'scene')})`;
      await confirmDelete(ctx, what);
      const result = await call('characters/delete', { id: character.id });
      print(result, () => `Deleted ${character.fullName}.`);
      return 0;
    }
    default:
      throw unknownSubcommand('characters', sub);
  }
}

/** `profiles import|wikipedia|show`, and the edits of chunks.ts. */
export async function profilesCommand(sub: string, ctx: CliContext): Promise<number> {
  const { call, values, rest, io, print } = ctx;
  const chunkVerb = CHUNK_VERBS.find((verb) => verb === sub);
  if (chunkVerb) return chunkCommand(chunkVerb, ctx);
  switch (sub) {
    case 'import': {
      const character = await findCharacter(call, argument(rest, 1, '<character>'));
      const file = argument(rest, 2, '<file>');
      const bytes = await readInput(file, io);
      const title = str(values, 'title');
      const profile = await call('profiles/import', {
        characterId: character.id,
        fileBase64: bytes.toString('base64'),
        fileName: file === '-' ? 'stdin.txt' : path.basename(file),
        ...(title !== undefined && { title }),
      });
      print(
        profile,
        () =>
          `Imported "${profile.title}" (${profile.format}): ${counted(profile.chunks.length, 'chunk')}, ${counted(profile.words, 'word')}.`,
      );
      return 0;
    }
    case 'wikipedia': {
      const character = await findCharacter(call, argument(rest, 1, '<character>'));
      const article = argument(rest, 2, '<title|url>');
      const lang = str(values, 'lang');
      const title = str(values, 'title');
      const profile = await call('profiles/wikipedia', {
        characterId: character.id,
        article,
        ...(lang !== undefined && { lang }),
        ...(title !== undefined && { title }),
      });
      const p = profile.provenance;
      print(
        profile,
        () =>
          `Imported "${profile.title}": ${counted(profile.chunks.length, 'chunk')}, ${counted(profile.words, 'word')}, from ${p?.url ?? article}` +
          `${p?.revision ? ` (revision ${p.revision})` : ''}${p?.licence ? `, licence: ${p.licence}` : ''}.`,
      );
      return 0;
    }
    case 'show': {
      const character = await findCharacter(call, argument(rest, 1, '<character>'));
      const profiles = await call('profiles/list', { characterId: character.id });
      print(profiles, () => describeProfiles(character, profiles));
      return 0;
    }
    default:
      throw unknownSubcommand('profiles', sub);
  }
}

export function describeCharacter(c: Character): string {
  const era = c.era ? `, ${c.era}` : '';
  // A character built by import has scenes and no profile: its scenes lead, the profile is said missing.
  const profile =
    c.profileCount === 0
      ? 'no profile'
      : `${counted(c.profileCount, 'profile')}, ${counted(c.chunkCount, 'chunk')}, ${counted(c.wordCount, 'word')}`;
  const figures = c.sceneCount > 0 ? `${counted(c.sceneCount, 'scene')}, ${profile}` : profile;
  return `${c.fullName} (${c.shortName}${era}) — ${figures}  [${c.id}]`;
}

function describeProfiles(character: Character, profiles: Profile[]): string {
  if (profiles.length === 0)
    return `${character.fullName} has no profile yet. Add one with: character-studio profiles import`;
  // With several profiles, a chunk is named <profile>.<chunk> (as the edit commands take it).
  const several = profiles.length > 1;
  return profiles
    .map((p, i) => {
      const lines = p.chunks.map((chunk) => {
        const text = chunk.text.replace(/\s+/g, ' ');
        const number = `${several ? `${i + 1}.` : ''}${chunk.position + 1}`;
        return `  ${number.padStart(several ? 5 : 3)}. ${text.length > 100 ? text.slice(0, 99) + '…' : text} (${chunk.words} words)`;
      });
      const head = `${several ? `${i + 1}. ` : ''}${p.title} (${p.format}, ${counted(p.chunks.length, 'chunk')}, ${counted(p.words, 'word')})`;
      return [head, ...lines].join('\n');
    })
    .join('\n\n');
}
