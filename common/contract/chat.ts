/**
 * Chat with trained characters (issue #11): stored conversations as trees of messages, the runtimes
 * that answer, and corrections sent back to the dataset. Types only.
 *
 * A conversation is a tree: every message has a parent (null for the first one), and the children
 * of one message are its alternatives (a regenerated reply, an edited message, a branch). The
 * conversation remembers the message the user is looking at (`leafId`); the path from the root to
 * it is what the runtime sees and what the screen shows.
 */

import type { HighlightPart } from './dataset';
import type { Brand, CallId, CharacterId, ProviderId, RunId, SceneId } from './base';

export type ConversationId = Brand<string, 'ConversationId'>;
export type ChatMessageId = Brand<string, 'ChatMessageId'>;

/**
 * What answers: `embedded` (node-llama-cpp in the studio, the run's LoRA on its GGUF base),
 * `served` (the trainer's own `serve` of the run, here or on its SSH host) or `endpoint` (an
 * OpenAI-compatible provider from Settings, e.g. a baseline without any training).
 */
export type ChatRuntimeKind = 'embedded' | 'served' | 'endpoint';

/** Who the user talks to: a trained run of the character, or a plain model as a baseline. */
export type ChatTarget = { kind: 'run'; runId: RunId } | { kind: 'baseline'; providerId: ProviderId; model: string };

/** Where and when the conversation takes place, as in training (the paper's meta prompt). */
export interface ConversationSetting {
  /** "Location and time", e.g. "Vienna, a winter evening in 1809". */
  location: string;
  /** What is going on: the scene's status / background. */
  status: string;
}

export interface ChatSamplingSettings {
  temperature: number;
  topP: number;
  /** Generated tokens at most; a reply that reaches it ends with `finish: 'length'`. */
  maxTokens: number;
  seed?: number;
  /**
   * "Never end on its own" (SillyTavern's "Ban EOS token", llama.cpp's `ignore_eos`): the model may
   * not end its turn, so the reply runs until `maxTokens` or Stop. The embedded runtime bans the
   * end-of-generation tokens, takes end-of-turn markers as text (the paper format's speech goes on
   * past its `<|eot|>`) and, once the context is full, drops the oldest generated tokens (the prompt
   * stays). Endpoints and the trainer's serve are sent `ignore_eos: true`: llama.cpp server, vLLM
   * and the serve honour it (the serve ends at its context), others ignore it, OpenAI is not sent it.
   * Absent: false.
   */
  ignoreEos?: boolean;
}

/** What produced a character message: recorded with it, as the reply was made. */
export interface ChatProducer {
  runtime: ChatRuntimeKind;
  /** Base model path, served name or endpoint model id. */
  model: string;
  /** The LoRA adapter applied, or null (a baseline, or a merged model). */
  adapter: string | null;
  format: 'character-llm' | 'chat';
  sampling: ChatSamplingSettings;
  /** The run it came from, for a run's conversation. */
  runId: RunId | null;
}

/**
 * `streaming` while the runtime writes it; `complete` once it ended by itself (`finish` says how);
 * `cancelled` when the user pressed Stop (what came so far is kept); `cut` when the runtime failed
 * mid-reply (the partial text is kept, `error` says why; Retry makes a new alternative).
 */
export type ChatMessageState = 'streaming' | 'complete' | 'cancelled' | 'cut';

export interface ConversationMessage {
  id: ChatMessageId;
  conversationId: ConversationId;
  parentId: ChatMessageId | null;
  role: 'user' | 'character';
  /** The name shown: the user's name in the scene, or the character's short name. */
  speaker: string;
  text: string;
  /** The character's inner thoughts before speaking (shown apart), when the runtime gives them. */
  reasoning: string | null;
  state: ChatMessageState;
  /** `stop` (end of turn or a stop string), `length` (the token limit), or null (not ended by the model). */
  finish: 'stop' | 'length' | null;
  error: string | null;
  /** Character messages made by a runtime; null for the user's and for edits. */
  producer: ChatProducer | null;
  /**
   * The LLM call on record for a reply sent through an endpoint (a baseline, `serve`), for its
   * tokens, time and cost (`calls/get`); null for a model run in the studio, the user's, and edits.
   */
  callId: CallId | null;
  /** The message this one rewrites (an edit by the user), or null. */
  editedFrom: ChatMessageId | null;
  /** The dataset scene this correction became (`chat/correct`), or null. */
  sceneId: SceneId | null;
  createdAt: number;
}

export interface Conversation {
  id: ConversationId;
  characterId: CharacterId;
  title: string;
  target: ChatTarget;
  runtime: ChatRuntimeKind;
  setting: ConversationSetting;
  /**
   * Who the user speaks as: the speaker name of their messages from now on, e.g. "A collector from
   * London" (in the paper's format, "A collector from London (speaking): …"). Empty: the paper's
   * interviewer, "Man". Endpoints other than the trainer's serve are not sent names.
   */
  userName: string;
  /**
   * How its next replies are sampled (a request may still override one reply's). New conversations
   * and those from before this setting existed start with the paper's inference settings.
   */
  sampling: ChatSamplingSettings;
  /** The dataset scene it started from, when it did. */
  sourceSceneId: SceneId | null;
  /** The message at the end of the path shown; null while empty. */
  leafId: ChatMessageId | null;
  messageCount: number;
  /**
   * The last message of the path shown, clipped, for the list; the one before it when the last has
   * no text (a reply cut off or stopped before its first word); empty only without messages.
   */
  preview: string;
  createdAt: number;
  updatedAt: number;
}

/** One step of the path shown, with its alternatives (siblings in creation order, itself included). */
export interface PathStep {
  message: ConversationMessage;
  siblings: ChatMessageId[];
  /** Position of `message` among `siblings` (0-based). */
  index: number;
  /**
   * What each sibling says, to choose between them (`chat/select` shows one): in the order of
   * `siblings`, itself included; empty when the message has no alternatives. A preview, never the
   * whole text: a long conversation with many regenerations stays light.
   */
  alternatives: MessageAlternative[];
}

/** One alternative of a message on the path: which it is, and its first words. */
export interface MessageAlternative {
  id: ChatMessageId;
  /** Its place among the alternatives, 1-based: alternative `position` of `count`. */
  position: number;
  count: number;
  /**
   * Its speech as a reader sees it (Markdown marks left out), on one line, clipped to 80
   * characters with "…" (common/alternative-preview.ts); empty when it says nothing (a reply cut
   * off before its first word).
   */
  preview: string;
  /** The user's rewrite of another alternative (`chat/edit`). */
  edited: boolean;
  state: ChatMessageState;
}

/** A conversation as the chat screen opens it. */
export interface ConversationView {
  conversation: Conversation;
  path: PathStep[];
  /** The character's short name, for speaker labels. */
  characterName: string;
  /** Whether a reply is being written now (a second one waits for Stop). */
  replying: boolean;
  /**
   * How many messages went on after the path's last one, down its newest branch: after Branch (the
   * path ends at a message the conversation had gone on from), the part not shown; 0 when the path
   * ends where its branch does. `chat/select` of the last message shows them again.
   */
  continuation: number;
}

/** Whether one runtime can answer for a target, and if not why (a sentence for the user). */
export interface ChatRuntimeOption {
  kind: ChatRuntimeKind;
  available: boolean;
  reason: string | null;
}

/** What the chat screen offers to talk to. */
export interface ChatTargets {
  runs: { runId: RunId; label: string; runtimes: ChatRuntimeOption[] }[];
  /**
   * Configured providers, each a possible baseline with its default model. `inStudio`: the provider
   * runs a GGUF file inside the studio (the embedded preset), not a server's API; `model` is then the file.
   */
  baselines: { providerId: ProviderId; name: string; model: string; inStudio: boolean }[];
}

/** A search hit: the conversation and the matching message (null when the title matched). */
export interface ConversationHit {
  conversation: Conversation;
  messageId: ChatMessageId | null;
  /**
   * Where the message is: its position counted from the conversation's first message along its own
   * branch (1-based), and whether that branch is the path shown now (else `chat/select` shows it).
   * Null when the title matched.
   */
  place: { position: number; onPath: boolean } | null;
  /** A few words around the match, the matched words marked; empty without a search or for a title match. */
  snippet: HighlightPart[];
}

export interface ChatCommands {
  'chat/targets': (arg: { characterId: CharacterId }) => ChatTargets;
  /** The character's conversations, most recently used first; `query` searches titles and messages (FTS5). */
  'chat/list': (arg: { characterId: CharacterId; query?: string }) => ConversationHit[];
  'chat/create': (arg: {
    characterId: CharacterId;
    target: ChatTarget;
    runtime: ChatRuntimeKind;
    setting?: ConversationSetting;
    /** Start from this dataset scene: its setting, and its turns as the history. */
    sceneId?: SceneId;
    title?: string;
    /**
     * Who the user speaks as (see `Conversation.userName`). Absent or empty: from a dataset scene,
     * its other person (the speaker of its last line not the character's), else "Man".
     */
    userName?: string;
    /** Over the paper's inference settings, for every reply. */
    sampling?: Partial<ChatSamplingSettings>;
  }) => ConversationView;
  'chat/get': (arg: { id: ConversationId }) => ConversationView;
  /** Conversations whose id is `key` or starts with it, in id order, at most 10 (as `scenes/match`). */
  'chat/match': (arg: { key: string }) => { id: ConversationId; characterId: CharacterId }[];
  /**
   * Rename, or change what the replies to come are made with: the target (a run or a baseline), the
   * runtime, the sampling (replaced whole: a missing `seed` samples at random) and the scene, typed
   * (`setting`) or taken from a dataset scene (`settingFromSceneId`: its location and time and its
   * status, as training renders them; the conversation's history stays). The replies already written
   * keep recording what produced them.
   */
  'chat/update': (arg: {
    id: ConversationId;
    title?: string;
    setting?: ConversationSetting;
    settingFromSceneId?: SceneId;
    /** Who the user speaks as from the next message on ('': the paper's "Man"). */
    userName?: string;
    target?: ChatTarget;
    runtime?: ChatRuntimeKind;
    sampling?: ChatSamplingSettings;
  }) => ConversationView;
  'chat/delete': (arg: { id: ConversationId }) => { deleted: true };
  /**
   * Adds the user's message after the current leaf and writes the character's reply. Deltas stream
   * as `chat/delta`; the result is the stored reply (cancelled or cut ones included).
   */
  'chat/send': (arg: {
    conversationId: ConversationId;
    text: string;
    sampling?: Partial<ChatSamplingSettings>;
  }) => ConversationMessage;
  /**
   * A character reply to the path ending at `parentId` (a user message), as a new child: Regenerate
   * (a new alternative), Retry (after a cut reply) and the reply to an edited message.
   */
  'chat/reply': (arg: {
    conversationId: ConversationId;
    parentId: ChatMessageId;
    sampling?: Partial<ChatSamplingSettings>;
  }) => ConversationMessage;
  /**
   * Continue: the character goes on from a reply that was stopped (`cancelled`) or cut off (`cut`),
   * sent with the conversation as its unfinished last message; what comes is appended, so the
   * message grows in place (streamed as `chat/delta` from the end of its text). It ends as any reply
   * does: `complete`, or stopped or cut off again with its longer text. Only the last reply of its
   * branch with some speech can go on (a reply the conversation went on from would change what was
   * answered). Not every runtime can: OpenAI's API says so and changes nothing.
   */
  'chat/continue': (arg: {
    conversationId: ConversationId;
    messageId: ChatMessageId;
    sampling?: Partial<ChatSamplingSettings>;
  }) => ConversationMessage;
  /** Stops the reply being written; it is kept, marked cancelled. */
  'chat/stop': (arg: { conversationId: ConversationId }) => { stopped: boolean };
  /**
   * An edit of any message, as a new sibling (the original stays, an alternative): the user's
   * (then ask `chat/reply` for the character's answer) or the character's ("edited by the user").
   */
  'chat/edit': (arg: { messageId: ChatMessageId; text: string; reasoning?: string | null }) => ConversationView;
  /**
   * Shows the path through `messageId`: by default down to its latest descendant (browsing
   * alternatives); `branch: true` ends the path at it, so the next message starts a new branch there.
   */
  'chat/select': (arg: {
    messageId: ChatMessageId;
    branch?: boolean;
    /** When given, the message must be one of this conversation's (a key typed at the command line). */
    conversationId?: ConversationId;
  }) => ConversationView;
  'chat/export': (arg: { id: ConversationId; format: 'markdown' | 'json' }) => { fileName: string; content: string };
  /**
   * Sends a character message the user rewrote to the dataset as a scene of kind "chat correction"
   * (accepted): the setting, the path up to it as turns, the corrected reply as the character's turn.
   */
  'chat/correct': (arg: { messageId: ChatMessageId }) => { sceneId: SceneId };
}

export interface ChatEvents {
  /** A conversation was created, changed or deleted. */
  'chat/changed': { characterId: CharacterId; conversationId: ConversationId };
  /**
   * A piece of a reply as it streams. `at`: the length of the speech and of the thoughts before it,
   * so a window that opened mid-reply (from the text so far, `chat/get`) skips what it has.
   */
  'chat/delta': {
    conversationId: ConversationId;
    messageId: ChatMessageId;
    text?: string;
    reasoning?: string;
    at: { text: number; reasoning: number };
  };
  /** `loading` while the runtime loads its model (`detail` for the user), `generating` once tokens flow. */
  'chat/status': {
    conversationId: ConversationId;
    messageId: ChatMessageId;
    state: 'loading' | 'generating';
    detail?: string;
  };
}
