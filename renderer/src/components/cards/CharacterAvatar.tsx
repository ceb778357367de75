import type { Character } from '../../../../common/contract';
import { useCharacterImage } from '../../lib/queries';
import '../../cards.css';

/** A character's picture (a card's icon) if it has one, else its initials. Decorative: the name is beside it. */
export function CharacterAvatar({ character, large = false }: { character: Character; large?: boolean }) {
  const image = useCharacterImage(character.id, character.hasImage);
  const className = large ? 'avatar large' : 'avatar';
  if (character.hasImage && image.data) {
    return <img className={className} src={`data:${image.data.mime};base64,${image.data.base64}`} alt="" />;
  }
  return (
    <span className={className} aria-hidden="true">
      {initials(character.fullName)}
    </span>
  );
}

function initials(name: string): string {
  const parts = name.split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase();
}
