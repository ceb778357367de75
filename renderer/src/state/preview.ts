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
  set: (characterId: CharacterId, settings: PreviewSettings) => void;
}

export const usePreviewSettings = create<PreviewState>((set) => ({
  settings: {},
  set: (characterId, settings) => set((state) => ({ settings: { ...state.settings, [characterId]: settings } })),
}));
