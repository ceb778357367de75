import type { CardCommands, CharacterCommands } from '../../common/contract';
import type { CardService } from './cards/card-service';
import type { CharacterService } from './character-service';
import type { Handlers } from './dispatch';
import type { ProfileService } from './profile-service';
import type { WikipediaService } from './wikipedia/wikipedia-service';

/** Characters, their profiles and chunks, and character cards, one line each (joined into the studio's handlers). */
export function characterHandlers(s: {
  characters: CharacterService;
  profiles: ProfileService;
  wikipedia: WikipediaService;
  cards: CardService;
}): Pick<Handlers, keyof CharacterCommands | keyof CardCommands> {
  const { characters, profiles, wikipedia, cards } = s;
  return {
    'characters/list': () => characters.list(),
    'characters/get': ({ id }) => characters.get(id),
    'characters/create': (draft) => characters.create(draft),
    'characters/update': ({ id, ...patch }) => characters.update(id, patch),
    'characters/delete': ({ id }) => characters.delete(id),
    'characters/image': ({ id }) => characters.image(id),
    'profiles/list': ({ characterId }) => profiles.list(characterId),
    'profiles/import': (request) => profiles.import(request),
    'profiles/wikipedia': (request) => wikipedia.import(request),
    'profiles/rename': ({ id, title }) => profiles.rename(id, title),
    'profiles/delete': ({ id }) => profiles.delete(id),
    'chunks/update': ({ id, text }) => profiles.updateChunk(id, text),
    'chunks/split': ({ id, offset }) => profiles.split(id, offset),
    'chunks/merge': ({ id }) => profiles.merge(id),
    'chunks/delete': ({ id }) => profiles.deleteChunk(id),
    'cards/import': (request) => cards.import(request),
    'cards/export': (request) => cards.export(request),
  };
}
