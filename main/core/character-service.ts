import type { Character, CharacterDraft, CharacterId, CharacterImage } from '../../common/contract';
import type { CharactersRepo } from '../store/characters-repo';
import type { Clock, IdFactory } from './clock';
import { StudioFailure } from './errors';
import type { EventBus } from './events';

export class CharacterService {
  constructor(
    private readonly repo: CharactersRepo,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {}

  list(): Character[] {
    return this.repo.list();
  }

  get(id: CharacterId): Character {
    const character = this.repo.get(id);
    if (!character) {
      throw new StudioFailure(
        'not_found',
        'That character no longer exists. It may have been deleted in another window.',
      );
    }
    return character;
  }

  create(draft: CharacterDraft): Character {
    const clean = this.clean(draft);
    this.assertUnique(clean.fullName);
    const id = this.newId() as CharacterId;
    this.repo.insert(id, clean, this.clock.now());
    this.events.emit('characters/changed', { characterId: id });
    return this.get(id);
  }

  update(id: CharacterId, patch: Partial<CharacterDraft>): Character {
    const current = this.get(id);
    const clean = this.clean({ ...current, ...patch });
    if (clean.fullName.toLowerCase() !== current.fullName.toLowerCase()) this.assertUnique(clean.fullName);
    this.repo.update(id, clean, this.clock.now());
    this.events.emit('characters/changed', { characterId: id });
    return this.get(id);
  }

  /** The character's picture as base64, null when it has none. */
  image(id: CharacterId): CharacterImage | null {
    this.get(id);
    const image = this.repo.image(id);
    return image ? { mime: image.mime, base64: image.bytes.toString('base64') } : null;
  }

  /** The picture's bytes, for writing it into a card. */
  imageBytes(id: CharacterId): { mime: string; bytes: Buffer } | null {
    return this.repo.image(id) ?? null;
  }

  setImage(id: CharacterId, image: { mime: string; bytes: Buffer }): void {
    this.get(id);
    this.repo.setImage(id, image, this.clock.now());
    this.events.emit('characters/changed', { characterId: id });
  }

  delete(id: CharacterId): { deleted: true } {
    if (!this.repo.delete(id)) this.get(id);
    this.events.emit('characters/changed', { characterId: null });
    return { deleted: true };
  }

  private clean(draft: CharacterDraft): CharacterDraft {
    const fullName = draft.fullName.trim().replace(/\s+/g, ' ');
    const shortName = draft.shortName.trim().replace(/\s+/g, ' ');
    if (!fullName)
      throw new StudioFailure('invalid_argument', 'Give the character a full name, e.g. "Ludwig van Beethoven".');
    if (!shortName) {
      throw new StudioFailure(
        'invalid_argument',
        'Give the character a short name, the speaker label in scenes, e.g. "Beethoven".',
      );
    }
    if (/[():\n]/.test(shortName)) {
      throw new StudioFailure(
        'invalid_argument',
        'A short name cannot contain parentheses, colons or line breaks: it labels turns like "Beethoven (speaking):".',
      );
    }
    return { fullName, shortName, era: draft.era.trim(), notes: draft.notes.trim() };
  }

  private assertUnique(fullName: string): void {
    if (this.repo.findByFullName(fullName)) {
      throw new StudioFailure(
        'conflict',
        `A character named "${fullName}" already exists. Choose another name, or open the existing one.`,
      );
    }
  }
}
