import { create } from 'zustand';
import type { CharacterId, TrainingFormat } from '../../../common/contract';

/**
 * The training preview's settings as typed, per character, kept while the person moves between
 * scenes (UI state only; the previews themselves live in the query cache). Absent: the defaults the
 * panel derives (the character's latest run, else the first cached model).
 */
export interface PreviewSettings {
  baseModel: string;
  format: TrainingFormat;
  /** The chat format's option for the character's thinking turns, as a run's `thinking`. */
  thinking: 'keep' | 'drop';
  /** As typed, so a half-typed number survives. */
  maxLength: string;
}

interface PreviewState {
  settings: Partial<Record<CharacterId, PreviewSettings>>;
  /**
   * Characters whose preview the person has asked for (Show) since the studio opened: a preview
   * panel opened later for one of their scenes shows its preview at once, with the same settings.
   */
  shown: Partial<Record<CharacterId, true>>;
  set: (characterId: CharacterId, settings: PreviewSettings) => void;
  markShown: (characterId: CharacterId) => void;
}

export const usePreviewSettings = create<PreviewState>((set) => ({
  settings: {},
  shown: {},
  set: (characterId, settings) => set((state) => ({ settings: { ...state.settings, [characterId]: settings } })),
  markShown: (characterId) => set((state) => ({ shown: { ...state.shown, [characterId]: true } })),
}));
