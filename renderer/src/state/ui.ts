import { create } from 'zustand';
import type { CharacterId, GenerationSettings } from '../../../common/contract';

/** UI state only: what is selected and open. Data lives in the query cache. */

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export type Dialog =
  | { kind: 'none' }
  | { kind: 'create-character' }
  | { kind: 'edit-character'; id: CharacterId }
  | { kind: 'import-profile'; characterId: CharacterId };

export type CharacterTab = 'profile' | 'generate' | 'dataset';

/**
 * Generation settings as typed in the form, per character, kept while the user switches tabs.
 * Strings, so a half-typed number survives; absent fields take the studio's defaults.
 */
export type GenerationDraft = Partial<Record<keyof GenerationSettings, string>>;

interface UiState {
  selectedCharacterId: CharacterId | null;
  dialog: Dialog;
  toasts: Toast[];
  characterTab: CharacterTab;
  settingsOpen: boolean;
  generationDrafts: Partial<Record<CharacterId, GenerationDraft>>;
  setCharacterTab: (tab: CharacterTab) => void;
  openSettings: (open: boolean) => void;
  setGenerationDraft: (characterId: CharacterId, draft: GenerationDraft) => void;
  select: (id: CharacterId | null) => void;
  open: (dialog: Dialog) => void;
  close: () => void;
  toast: (toast: Omit<Toast, 'id'>) => void;
  dismiss: (id: number) => void;
}

let nextToast = 1;
const SELECTED_KEY = 'character-studio:selected';

export const useUi = create<UiState>((set) => ({
  selectedCharacterId: (localStorage.getItem(SELECTED_KEY) as CharacterId | null) ?? null,
  dialog: { kind: 'none' },
  toasts: [],
  characterTab: 'profile',
  settingsOpen: false,
  generationDrafts: {},
  setCharacterTab: (characterTab) => set({ characterTab }),
  openSettings: (settingsOpen) => set({ settingsOpen }),
  setGenerationDraft: (characterId, draft) =>
    set((state) => ({ generationDrafts: { ...state.generationDrafts, [characterId]: draft } })),
  select: (id) => {
    if (id) localStorage.setItem(SELECTED_KEY, id);
    else localStorage.removeItem(SELECTED_KEY);
    set({ selectedCharacterId: id });
  },
  open: (dialog) => set({ dialog }),
  close: () => set({ dialog: { kind: 'none' } }),
  toast: (toast) => {
    const id = nextToast++;
    set((state) => ({ toasts: [...state.toasts.slice(-3), { ...toast, id }] }));
    setTimeout(
      () => set((state) => ({ toasts: state.toasts.filter((t) => t.id !== id) })),
      toast.kind === 'error' ? 9000 : 4000,
    );
  },
  dismiss: (id) => set((state) => ({ toasts: state.toasts.filter((t) => t.id !== id) })),
}));
