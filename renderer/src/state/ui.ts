import { create } from 'zustand';
import type {
  CharacterId,
  ConversationId,
  GenerationSettings,
  RunId,
  TrainingHyperparameters,
} from '../../../common/contract';

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
  | { kind: 'import-profile'; characterId: CharacterId }
  | { kind: 'export-dataset'; characterId: CharacterId }
  | { kind: 'import-dataset'; characterId: CharacterId }
  | { kind: 'import-card' }
  | { kind: 'export-card'; characterId: CharacterId; runId?: RunId }
  | { kind: 'wikipedia'; characterId: CharacterId };

export type CharacterTab = 'profile' | 'generate' | 'dataset' | 'train' | 'chat' | 'evaluate';

/**
 * What the Chat tab shows for a character: a stored conversation, or the form for a new one
 * (preset to a run when opened from its card, "Chat with this run").
 */
export type ChatSelection = { kind: 'conversation'; id: ConversationId } | { kind: 'new'; runId?: RunId };

/**
 * Generation settings as typed in the form, per character, kept while the user switches tabs.
 * Strings, so a half-typed number survives; absent fields take the studio's defaults.
 */
export type GenerationDraft = Partial<Record<keyof GenerationSettings, string>>;

/**
 * A new training run as typed, per character, the same way: strings (booleans as 'true'/'false'),
 * absent fields take the defaults. `baseModel` is a curated id or 'other', then `customModel` holds
 * the Hugging Face id or folder.
 */
export type TrainingDraft = Partial<
  Record<keyof TrainingHyperparameters | 'baseModel' | 'customModel' | 'format' | 'python' | 'target', string>
>;

interface UiState {
  selectedCharacterId: CharacterId | null;
  dialog: Dialog;
  toasts: Toast[];
  characterTab: CharacterTab;
  settingsOpen: boolean;
  generationDrafts: Partial<Record<CharacterId, GenerationDraft>>;
  trainingDrafts: Partial<Record<CharacterId, TrainingDraft>>;
  chatSelections: Partial<Record<CharacterId, ChatSelection>>;
  /**
   * What the user has typed and not sent, per conversation: switching, searching or a refetch
   * keeps it. Kept in memory only: writing localStorage on every keystroke would cost typing
   * time, and a draft of a conversation deleted elsewhere would linger there for good.
   */
  chatDrafts: Partial<Record<ConversationId, string>>;
  /** Whether the character's inner thoughts show in the chat (apart from speech). */
  chatThoughts: boolean;
  /** Opens the Chat tab of the character on `selection`. */
  openChat: (characterId: CharacterId, selection: ChatSelection) => void;
  setChatDraft: (id: ConversationId, text: string) => void;
  setChatThoughts: (shown: boolean) => void;
  setCharacterTab: (tab: CharacterTab) => void;
  openSettings: (open: boolean) => void;
  setGenerationDraft: (characterId: CharacterId, draft: GenerationDraft) => void;
  setTrainingDraft: (characterId: CharacterId, draft: TrainingDraft) => void;
  select: (id: CharacterId | null) => void;
  open: (dialog: Dialog) => void;
  close: () => void;
  toast: (toast: Omit<Toast, 'id'>) => void;
  dismiss: (id: number) => void;
}

let nextToast = 1;
const SELECTED_KEY = 'character-studio:selected';
const TAB_KEY = 'character-studio:tab';
const CHAT_SELECTIONS_KEY = 'character-studio:chat-selections';
const TABS: readonly CharacterTab[] = ['profile', 'generate', 'dataset', 'train', 'chat', 'evaluate'];

/** The tab last shown, so a reload or a restart comes back to it. */
function storedTab(): CharacterTab {
  const tab = localStorage.getItem(TAB_KEY);
  return TABS.find((t) => t === tab) ?? 'profile';
}

/** The conversation each character had open, as last stored; anything unreadable counts as none. */
function storedChatSelections(): Partial<Record<CharacterId, ChatSelection>> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(CHAT_SELECTIONS_KEY) ?? '{}');
    if (typeof parsed !== 'object' || parsed === null) return {};
    const out: Partial<Record<CharacterId, ChatSelection>> = {};
    for (const [characterId, value] of Object.entries(parsed as Record<string, unknown>)) {
      const v = value as Partial<{ kind: unknown; id: unknown; runId: unknown }>;
      if (v.kind === 'conversation' && typeof v.id === 'string')
        out[characterId as CharacterId] = { kind: 'conversation', id: v.id as ConversationId };
      else if (v.kind === 'new')
        out[characterId as CharacterId] =
          typeof v.runId === 'string' ? { kind: 'new', runId: v.runId as RunId } : { kind: 'new' };
    }
    return out;
  } catch {
    return {};
  }
}

export const useUi = create<UiState>((set) => ({
  selectedCharacterId: (localStorage.getItem(SELECTED_KEY) as CharacterId | null) ?? null,
  dialog: { kind: 'none' },
  toasts: [],
  characterTab: storedTab(),
  settingsOpen: false,
  generationDrafts: {},
  trainingDrafts: {},
  chatSelections: storedChatSelections(),
  chatDrafts: {},
  chatThoughts: true,
  openChat: (characterId, selection) =>
    set((state) => {
      const chatSelections = { ...state.chatSelections, [characterId]: selection };
      localStorage.setItem(CHAT_SELECTIONS_KEY, JSON.stringify(chatSelections));
      localStorage.setItem(TAB_KEY, 'chat');
      return { characterTab: 'chat', chatSelections };
    }),
  setChatDraft: (id, text) => set((state) => ({ chatDrafts: { ...state.chatDrafts, [id]: text } })),
  setChatThoughts: (chatThoughts) => set({ chatThoughts }),
  setCharacterTab: (characterTab) => {
    localStorage.setItem(TAB_KEY, characterTab);
    set({ characterTab });
  },
  openSettings: (settingsOpen) => set({ settingsOpen }),
  setGenerationDraft: (characterId, draft) =>
    set((state) => ({ generationDrafts: { ...state.generationDrafts, [characterId]: draft } })),
  setTrainingDraft: (characterId, draft) =>
    set((state) => ({ trainingDrafts: { ...state.trainingDrafts, [characterId]: draft } })),
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
