import type {
  Character,
  CharacterId,
  ChatMessageId,
  ChatSamplingSettings,
  ChatTargets,
  CommandArg,
  Conversation,
  ConversationHit,
  ConversationId,
  ConversationMessage,
  ConversationView,
  Provider,
  Scene,
  SceneDoc,
  SceneId,
  TrainingRun,
} from '../../../common/contract';
import { alternativePreview } from '../../../common/alternative-preview';
import type { ConversationsRepo } from '../../store/conversations-repo';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { roleplayPrompt } from '../eval/eval-prompts';
import { DEFAULT_CHAT_SAMPLING } from '../runtimes/chat-runtime';
import type { ChatRuntimes } from './chat-runtimes';
import { ChatTargetCatalog } from './chat-targets';
import { conversationJson, conversationMarkdown, fileNameOf } from './conversation-export';
import { ConversationTree } from './conversation-tree';
import { continuable } from './continuable';
import { searchConversations } from './conversation-search';
import { writeReply, writerAlive } from './replying';
import { cleanSetting, NEW_TITLE, startConversation, titleOf } from './conversation-start';
import { correctionDoc, settingOfScene } from './scene-bridge';

/** What the chat service reads of the rest of the studio. */
export interface ChatServiceDeps {
  repo: ConversationsRepo;
  runtimes: ChatRuntimes;
  characters: { get(id: CharacterId): Character };
  /** The profile's first paragraph, what a baseline is told about the character it plays ('' without a profile). */
  profile: { intro(id: CharacterId): string };
  runs: { list(characterId: CharacterId): TrainingRun[]; get(id: TrainingRun['id']): TrainingRun };
  providers: { list(): Provider[] };
  scenes: {
    get(id: SceneId): Scene | null;
    create(characterId: CharacterId, doc: SceneDoc, origin: 'chat'): { id: SceneId };
  };
  events: EventBus;
  clock: Clock;
  newId: IdFactory;
}

/** The paper's interviewer: who the user is in a scene unless the scene names someone else. */
const USER_SPEAKER = 'Man';

/**
 * Stored conversations with a character (issue #11, points 4–8): the message tree, replies written
 * by a runtime and streamed as `chat/delta`, Stop, Regenerate/Retry, edits, branches, export and
 * corrections sent to the dataset.
 *
 * Lifecycle of a reply: a `streaming` message is stored first (so the screen has its id for the
 * deltas), the runtime writes, and the message is written once with how it ended: `complete`,
 * `cancelled` (Stop: the text so far is kept) or `cut` (the runtime failed: the partial text is
 * kept with the error, and Retry makes a new alternative; Continue writes on in the same message). One
 * reply per conversation at a time.
 * What a reply has said so far is in `view` while it is written (a window opened meanwhile starts
 * from it) and stored every second; a studio that stopped mid-reply leaves `streaming` rows with
 * that text: `recover` marks them cut, the text kept.
 */
export class ChatService {
  private readonly replying = new Map<ConversationId, AbortController>();
  /** What each reply this studio is writing has said so far (replying.ts keeps it). */
  private readonly live = new Map<ChatMessageId, { text: string; reasoning: string }>();
  private readonly targetCatalog: ChatTargetCatalog;

  constructor(private readonly deps: ChatServiceDeps) {
    this.targetCatalog = new ChatTargetCatalog(deps);
  }

  /** Replies whose writing process is gone (a crash, a kill) become `cut`; others' live replies are left alone. */
  recover(): void {
    for (const { id, writer } of this.deps.repo.streaming()) {
      if (writer !== null && writerAlive(writer)) continue;
      this.deps.repo.cutStreaming(
        id,
        'The studio closed while this reply was being written; what it had written is kept. Retry writes it again.',
      );
    }
  }

  /** Whom a conversation with the character may talk to (chat-targets.ts). */
  targets(characterId: CharacterId): ChatTargets {
    return this.targetCatalog.list(characterId);
  }

  /** Conversations named at the command line by their id or its start. */
  match(key: string): { id: ConversationId; characterId: CharacterId }[] {
    return this.deps.repo.matchIds(key);
  }

  list(characterId: CharacterId, query?: string): ConversationHit[] {
    this.deps.characters.get(characterId);
    return searchConversations(this.deps.repo, characterId, query?.trim() ?? '');
  }

  create(arg: CommandArg<'chat/create'>): ConversationView {
    const character = this.deps.characters.get(arg.characterId);
    this.targetCatalog.check(arg.characterId, arg.target, arg.runtime);
    const scene = arg.sceneId === undefined ? null : this.sceneOf(arg.characterId, arg.sceneId);
    const id = startConversation(this.deps, arg, character, scene);
    this.changed(arg.characterId, id);
    return this.view(id);
  }

  view(id: ConversationId): ConversationView {
    const conversation = this.conversation(id);
    const tree = new ConversationTree(this.deps.repo.messages(id));
    return {
      conversation,
      // A reply being written here, as far as it has gone (the stored text lags by up to PROGRESS_MS).
      path: tree.path(conversation.leafId).map((step) => {
        const so = step.message.state === 'streaming' ? this.live.get(step.message.id) : undefined;
        if (!so) return step;
        const alternatives = step.alternatives.map((a) =>
          a.id === step.message.id ? { ...a, preview: alternativePreview(so.text) } : a,
        );
        return { ...step, message: { ...step.message, text: so.text, reasoning: so.reasoning || null }, alternatives };
      }),
      characterName: this.deps.characters.get(conversation.characterId).shortName,
      replying: this.replying.has(id),
      continuation: tree.continuation(conversation.leafId),
    };
  }

  update(id: ConversationId, patch: Omit<CommandArg<'chat/update'>, 'id'>): ConversationView {
    const current = this.conversation(id);
    if (patch.title !== undefined && patch.title.trim() === '')
      throw new StudioFailure('invalid_argument', 'A conversation needs a title: type a few words.');
    if (patch.setting && patch.settingFromSceneId !== undefined)
      throw new StudioFailure(
        'invalid_argument',
        'Give the scene either as a location and status or as a dataset scene, not both.',
      );
    if (patch.target || patch.runtime)
      this.targetCatalog.check(current.characterId, patch.target ?? current.target, patch.runtime ?? current.runtime);
    const setting =
      patch.settingFromSceneId === undefined
        ? patch.setting
        : settingOfScene(this.sceneOf(current.characterId, patch.settingFromSceneId));
    this.deps.repo.update(
      id,
      {
        ...(patch.title !== undefined && { title: patch.title.trim() }),
        ...(setting && { setting: cleanSetting(setting) }),
        ...(patch.userName !== undefined && { userName: patch.userName }),
        ...(patch.target && { target: patch.target }),
        ...(patch.runtime && { runtime: patch.runtime }),
        ...(patch.sampling && { sampling: patch.sampling }),
      },
      this.deps.clock.now(),
    );
    this.changed(current.characterId, id);
    return this.view(id);
  }

  delete(id: ConversationId): { deleted: true } {
    const conversation = this.conversation(id);
    this.replying.get(id)?.abort();
    this.deps.repo.delete(id);
    this.changed(conversation.characterId, id);
    return { deleted: true };
  }

  /** The user's message after the current leaf, then the character's reply to it. */
  async send(id: ConversationId, text: string, sampling?: Partial<ChatSamplingSettings>): Promise<ConversationMessage> {
    const conversation = this.conversation(id);
    const clean = text.trim();
    if (clean === '') throw new StudioFailure('invalid_argument', 'Type a message first.');
    this.checkIdle(id);
    const leaf = conversation.leafId === null ? null : this.deps.repo.message(conversation.leafId);
    const userId = this.deps.newId() as ChatMessageId;
    this.deps.repo.addMessage(
      {
        id: userId,
        conversationId: id,
        parentId: leaf?.id ?? null,
        role: 'user',
        speaker: this.userSpeaker(id),
        text: clean,
        reasoning: null,
        state: 'complete',
        producer: null,
        editedFrom: null,
      },
      this.deps.clock.now(),
    );
    if (conversation.title === NEW_TITLE) this.deps.repo.update(id, { title: titleOf(clean) }, this.deps.clock.now());
    return this.reply(id, userId, sampling);
  }

  /** The character's reply to the path ending at `parentId`, as a new child (Regenerate, Retry). */
  async reply(
    id: ConversationId,
    parentId: ChatMessageId,
    sampling: Partial<ChatSamplingSettings> = {},
  ): Promise<ConversationMessage> {
    const conversation = this.conversation(id);
    const parent = this.deps.repo.message(parentId);
    if (!parent || parent.conversationId !== id)
      throw new StudioFailure('not_found', 'That message is not part of this conversation any more.');
    if (parent.role !== 'user')
      throw new StudioFailure('invalid_argument', 'A reply answers a message of yours: pick one of your messages.');
    return this.write(conversation, parentId, sampling);
  }

  /**
   * Continue: more of a reply that was stopped or cut off, appended to it in place (see
   * `chat/continue`); refused, with what to do instead, for a reply that cannot go on.
   */
  async continue(
    id: ConversationId,
    messageId: ChatMessageId,
    sampling: Partial<ChatSamplingSettings> = {},
  ): Promise<ConversationMessage> {
    const conversation = this.conversation(id);
    this.checkIdle(id);
    const message = continuable(this.deps.repo, id, messageId);
    return this.write(conversation, message.parentId, sampling, message);
  }

  /** Writes a reply after `parentId`, or more of `resume` (Continue); one per conversation at a time. */
  private async write(
    conversation: Conversation,
    parentId: ChatMessageId,
    sampling: Partial<ChatSamplingSettings>,
    resume?: ConversationMessage,
  ): Promise<ConversationMessage> {
    const id = conversation.id;
    this.checkIdle(id);
    const controller = new AbortController();
    this.replying.set(id, controller);
    const character = this.deps.characters.get(conversation.characterId);
    try {
      const messageId = await writeReply(this.deps, {
        conversation,
        parentId,
        ...(resume && { resume }),
        speaker: character.shortName,
        roleplay:
          conversation.target.kind === 'baseline'
            ? roleplayPrompt(character, this.deps.profile.intro(character.id))
            : null,
        // The conversation's settings (chat/update), then this one reply's overrides.
        sampling: { ...DEFAULT_CHAT_SAMPLING, ...conversation.sampling, ...sampling },
        signal: controller.signal,
        live: this.live,
        onStarted: () => this.changed(conversation.characterId, id),
      });
      return this.message(messageId);
    } finally {
      if (this.replying.get(id) === controller) this.replying.delete(id);
      // Written last so a screen that refetches on it sees the reply ended and the conversation free.
      if (this.deps.repo.get(id)) this.changed(conversation.characterId, id);
    }
  }

  stop(id: ConversationId): { stopped: boolean } {
    this.conversation(id);
    const controller = this.replying.get(id);
    controller?.abort(new Error('stopped by the user'));
    return { stopped: controller !== undefined };
  }

  /**
   * An edit as a new sibling of the message, the original kept as an alternative. The path moves to
   * the edit; for the user's message the caller then asks for the reply (`chat/reply`).
   */
  edit(messageId: ChatMessageId, text: string, reasoning?: string | null): ConversationView {
    const original = this.messageOrFail(messageId);
    const conversation = this.conversation(original.conversationId);
    const clean = text.trim();
    if (clean === '' && original.role === 'user')
      throw new StudioFailure('invalid_argument', 'Type the new message first.');
    if (clean === '' && !reasoning?.trim())
      throw new StudioFailure(
        'invalid_argument',
        'The edited reply is empty: write what the character says or thinks.',
      );
    this.checkIdle(conversation.id);
    const id = this.deps.newId() as ChatMessageId;
    this.deps.repo.addMessage(
      {
        id,
        conversationId: conversation.id,
        parentId: original.parentId,
        role: original.role,
        speaker: original.speaker,
        text: clean,
        reasoning:
          original.role === 'user' ? null : reasoning === undefined ? original.reasoning : reasoning?.trim() || null,
        state: 'complete',
        producer: null,
        editedFrom: original.id,
      },
      this.deps.clock.now(),
    );
    this.changed(conversation.characterId, conversation.id);
    return this.view(conversation.id);
  }

  /**
   * Moves the path: through `messageId` to its newest end, or (`branch`) ending at it. With
   * `within`, a message of another conversation is refused instead of moving that one's path.
   */
  select(messageId: ChatMessageId, branch = false, within?: ConversationId): ConversationView {
    const message = this.messageOrFail(messageId);
    if (within !== undefined && message.conversationId !== within)
      throw new StudioFailure(
        'not_found',
        `Message ${messageId} is not part of conversation ${within}; a search (chat list --query) says where each message is.`,
      );
    const conversation = this.conversation(message.conversationId);
    this.checkIdle(conversation.id);
    const tree = new ConversationTree(this.deps.repo.messages(conversation.id));
    this.deps.repo.setLeaf(conversation.id, branch ? messageId : tree.latestLeaf(messageId), this.deps.clock.now());
    this.changed(conversation.characterId, conversation.id);
    return this.view(conversation.id);
  }

  export(id: ConversationId, format: 'markdown' | 'json'): { fileName: string; content: string } {
    const { conversation, path, characterName } = this.view(id);
    return format === 'markdown'
      ? { fileName: fileNameOf(conversation, 'md'), content: conversationMarkdown(conversation, path, characterName) }
      : {
          fileName: fileNameOf(conversation, 'json'),
          content: conversationJson(conversation, this.deps.repo.messages(id), path, characterName),
        };
  }

  /** A reply the user rewrote, sent to the dataset as an accepted "chat correction" scene (once). */
  correct(messageId: ChatMessageId): { sceneId: SceneId } {
    const message = this.messageOrFail(messageId);
    if (message.sceneId) return { sceneId: message.sceneId };
    if (message.role !== 'character' || message.editedFrom === null)
      throw new StudioFailure(
        'invalid_argument',
        "Only a character's reply you rewrote can become training data: edit the reply first, then send the edit.",
      );
    const conversation = this.conversation(message.conversationId);
    const tree = new ConversationTree(this.deps.repo.messages(conversation.id));
    const doc = correctionDoc(conversation.setting, tree.lineage(messageId));
    const { id } = this.deps.scenes.create(conversation.characterId, doc, 'chat');
    this.deps.repo.setScene(messageId, id);
    this.changed(conversation.characterId, conversation.id);
    return { sceneId: id };
  }

  /** Stops every reply being written (each is kept, cancelled) and frees every runtime. */
  async shutdown(): Promise<void> {
    for (const controller of this.replying.values()) controller.abort(new Error('the studio is closing'));
    await this.deps.runtimes.disposeAll();
  }

  private message(id: ChatMessageId): ConversationMessage {
    return this.messageOrFail(id);
  }

  private messageOrFail(id: ChatMessageId): ConversationMessage {
    const message = this.deps.repo.message(id);
    if (!message)
      throw new StudioFailure('not_found', 'That message no longer exists; its conversation may have been deleted.');
    return message;
  }

  private conversation(id: ConversationId): Conversation {
    const conversation = this.deps.repo.get(id);
    if (!conversation)
      throw new StudioFailure(
        'not_found',
        'That conversation no longer exists. It may have been deleted in another window.',
      );
    return conversation;
  }

  private sceneOf(characterId: CharacterId, sceneId: SceneId): Scene {
    const scene = this.deps.scenes.get(sceneId);
    if (!scene || scene.characterId !== characterId)
      throw new StudioFailure(
        'not_found',
        `That scene is not one of ${this.deps.characters.get(characterId).shortName}'s; pick another one.`,
      );
    return scene;
  }

  private checkIdle(id: ConversationId): void {
    if (this.replying.has(id))
      throw new StudioFailure('conflict', 'The character is still answering: wait for the reply or press Stop first.');
  }

  /** The name the user speaks under: the conversation's, else the paper's interviewer "Man". */
  private userSpeaker(id: ConversationId): string {
    return this.conversation(id).userName || USER_SPEAKER;
  }

  private changed(characterId: CharacterId, conversationId: ConversationId): void {
    this.deps.events.emit('chat/changed', { characterId, conversationId });
  }
}
