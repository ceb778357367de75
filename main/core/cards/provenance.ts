import type { ProfileProvenance } from '../../../common/contract';
import type { ParsedCard } from './spec';

/** What a card says about where it came from: its creator, version and first `source` URL (V3). */
export function cardProvenance(card: ParsedCard, now: number): ProfileProvenance {
  const url = card.data.source?.find((s) => /^https?:\/\//i.test(s)) ?? null;
  return {
    kind: 'card',
    url,
    revision: card.data.character_version.trim() || null,
    licence: null,
    licenceUrl: null,
    author: card.data.creator.trim() || null,
    retrievedAt: now,
  };
}
