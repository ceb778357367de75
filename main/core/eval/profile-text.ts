import type { CharacterId } from '../../../common/contract';
import type { ProfilesRepo } from '../../store/profiles-repo';

/**
 * What the evaluation shows of a profile: its first paragraph (what the paper's interviewer and
 * judge read about the character) and a longer excerpt for writing questions. Heading lines
 * (`# Name`, `## Life`) are left out: they are structure, not facts.
 */
export class ProfileText {
  constructor(private readonly profiles: ProfilesRepo) {}

  /** The first paragraph with prose in it, or '' when the character has no profile. */
  intro(characterId: CharacterId): string {
    for (const text of this.paragraphs(characterId)) if (text !== '') return text;
    return '';
  }

  /** The profile's paragraphs from the start, up to about `maxWords` words. */
  excerpt(characterId: CharacterId, maxWords: number): string {
    const kept: string[] = [];
    let words = 0;
    for (const text of this.paragraphs(characterId)) {
      if (text === '') continue;
      const n = text.split(/\s+/).length;
      if (words + n > maxWords && kept.length > 0) break;
      kept.push(text);
      words += n;
    }
    return kept.join('\n\n');
  }

  private *paragraphs(characterId: CharacterId): Generator<string> {
    for (const profile of this.profiles.listForCharacter(characterId))
      for (const chunk of profile.chunks) {
        const heading = new Set((chunk.heading ?? '').split('\n').map((line) => line.trim()));
        yield chunk.text
          .split('\n')
          .filter((line) => !/^\s*#/.test(line) && !heading.has(line.trim()))
          .join('\n')
          .trim();
      }
  }
}
