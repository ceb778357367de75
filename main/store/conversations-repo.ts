import type {
  CallId,
  CharacterId,
  ChatMessageId,
  ChatMessageState,
  ChatProducer,
  ChatRuntimeKind,
  ChatSamplingSettings,
  ChatTarget,
  Conversation,
  ConversationId,
  ConversationMessage,
  ProviderId,
  RunId,
  SceneId,
} from '../../common/contract';
import type { Db } from './database';
import { idsStartingWith } from './id-match';

/** A conversation's stored fields (migration 014), without the figures the list computes. */
export type ConversationRecord = Pick<
  Conversation,
  'id' | 'characterId' | 'title' | 'target' | 'runtime' | 'setting' | 'userName' | 'sampling' | 'sourceSceneId'
>;

/** What `update` may change; absent fields stay as they are. */
export type ConversationPatch = Partial<
  Pick<Conversation, 'title' | 'setting' | 'userName' | 'target' | 'runtime' | 'sampling'>
>;

/** A message as first written; the rest of its fields start empty. */
export type NewMessage = Pick<
  ConversationMessage,
  'id' | 'conversationId' | 'parentId' | 'role' | 'speaker' | 'text' | 'reasoning' | 'state' | 'producer' | 'editedFrom'
> & {
  callId?: string | null;
  /** For a `streaming` reply: the process writing it, `host:pid`. */
  writer?: string | null;
};

/** How a reply ended, written once it did. */
export interface MessageEnd {
  text: string;
  reasoning: string | null;
  state: Exclude<ChatMessageState, 'streaming'>;
  finish: 'stop' | 'length' | null;
  error: string | null;
  callId: string | null;
  /** What wrote the reply, as known once it ended (a runtime may learn its files while loading). */
  producer: ChatProducer;
}

interface ConversationRow {
  id: string;
  character_id: string;
  title: string;
  target_kind: 'run' | 'baseline';
  run_id: string | null;
  provider_id: string | null;
  model: string | null;
  runtime: ChatRuntimeKind;
  location: string;
  status: string;
  user_name: string;
  sampling: string;
  source_scene_id: string | null;
  leaf_id: string | null;
  created_at: number;
  updated_at: number;
  message_count: number;
  preview: string | null;
}

interface MessageRow {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: 'user' | 'character';
  speaker: string;
  text: string;
  reasoning: string | null;
  state: ChatMessageState;
  finish: 'stop' | 'length' | null;
  error: string | null;
  producer: string | null;
  call_id: string | null;
  edited_from: string | null;
  scene_id: string | null;
  created_at: number;
}

const PREVIEW_CHARS = 140;

const SELECT_CONVERSATION = `SELECT c.*,
    (SELECT count(*) FROM chat_messages m WHERE m.conversation_id = c.id) AS message_count,
    (SELECT substr(COALESCE(NULLIF(m.text, ''), p.text), 1, ${PREVIEW_CHARS})
       FROM chat_messages m LEFT JOIN chat_messages p ON p.id = m.parent_id WHERE m.id = c.leaf_id) AS preview
  FROM conversations c`;

const MESSAGE_COLUMNS = `id, conversation_id, parent_id, role, speaker, text, reasoning, state, finish, error, producer,
  call_id, edited_from, scene_id, created_at`;

/**
 * Conversations and their message trees (migration 014). Every write bumps the conversation's
 * `updated_at`, which orders the list. The FTS index is kept by triggers; `search` only reads it.
 */
export class ConversationsRepo {
  constructor(private readonly db: Db) {}

  create(record: ConversationRecord, now: number): void {
    const t = targetColumns(record.target);
    this.db
      .prepare(
        `INSERT INTO conversations (id, character_id, title, target_kind, run_id, provider_id, model, runtime, location,
           status, user_name, sampling, source_scene_id, leaf_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
      )
      .run(
        record.id,
        record.characterId,
        record.title,
        t.kind,
        t.runId,
        t.providerId,
        t.model,
        record.runtime,
        record.setting.location,
        record.setting.status,
        record.userName,
        JSON.stringify(record.sampling),
        record.sourceSceneId,
        now,
        now,
      );
  }

  get(id: ConversationId): Conversation | undefined {
    const row = this.db.prepare(`${SELECT_CONVERSATION} WHERE c.id = ?`).get(id) as ConversationRow | undefined;
    return row && toConversation(row);
  }

  /** Conversations whose id is `key` or starts with it (id-match.ts). */
  matchIds(key: string): { id: ConversationId; characterId: CharacterId }[] {
    return idsStartingWith(this.db, 'conversations', key);
  }

  /** The character's conversations, most recently changed first. */
  list(characterId: CharacterId): Conversation[] {
    return (
      this.db
        .prepare(`${SELECT_CONVERSATION} WHERE c.character_id = ? ORDER BY c.updated_at DESC, c.rowid DESC`)
        .all(characterId) as ConversationRow[]
    ).map(toConversation);
  }

  /**
   * Full-text search over titles and message texts (and thoughts) of the character's conversations:
   * the best-ranked hit per conversation, best conversations first. `match` is an FTS5 query.
   */
  search(
    characterId: CharacterId,
    match: string,
    limit = 50,
  ): { conversationId: ConversationId; messageId: ChatMessageId | null; snippet: string }[] {
    // snippet() cannot run under a window function: rank the hits here, keep each conversation's best.
    const rows = this.db
      .prepare(
        `SELECT s.conversation_id, s.message_id, snippet(chat_search, 0, '', '', '…', 12) AS snippet
         FROM chat_search s JOIN conversations c ON c.id = s.conversation_id
         WHERE chat_search MATCH ? AND c.character_id = ? ORDER BY s.rank LIMIT 1000`,
      )
      .all(match, characterId) as { conversation_id: string; message_id: string | null; snippet: string }[];
    const best = new Map<string, (typeof rows)[number]>();
    for (const row of rows) if (!best.has(row.conversation_id)) best.set(row.conversation_id, row);
    return [...best.values()].slice(0, limit).map((r) => ({
      conversationId: r.conversation_id as ConversationId,
      messageId: r.message_id as ChatMessageId | null,
      snippet: r.snippet,
    }));
  }

  update(id: ConversationId, patch: ConversationPatch, now: number): void {
    const current = this.get(id);
    if (!current) return;
    const title = patch.title ?? current.title;
    const setting = patch.setting ?? current.setting;
    const t = targetColumns(patch.target ?? current.target);
    this.db
      .prepare(
        `UPDATE conversations SET title = ?, location = ?, status = ?, user_name = ?, target_kind = ?, run_id = ?,
           provider_id = ?, model = ?, runtime = ?, sampling = ?, updated_at = ? WHERE id = ?`,
      )
      .run(
        title,
        setting.location,
        setting.status,
        patch.userName ?? current.userName,
        t.kind,
        t.runId,
        t.providerId,
        t.model,
        patch.runtime ?? current.runtime,
        JSON.stringify(patch.sampling ?? current.sampling),
        now,
        id,
      );
  }

  delete(id: ConversationId): void {
    // Children first is not needed: ON DELETE CASCADE on both foreign keys removes the whole tree.
    this.db.prepare('DELETE FROM conversations WHERE id = ?').run(id);
  }

  setLeaf(id: ConversationId, leafId: ChatMessageId | null, now: number): void {
    this.db.prepare('UPDATE conversations SET leaf_id = ?, updated_at = ? WHERE id = ?').run(leafId, now, id);
  }

  /** Adds a message and makes it the conversation's leaf, in one transaction. */
  addMessage(message: NewMessage, now: number): void {
    this.db.transaction(() => {
      const seq = this.db
        .prepare('SELECT coalesce(max(seq), 0) + 1 FROM chat_messages WHERE conversation_id = ?')
        .pluck()
        .get(message.conversationId) as number;
      this.db
        .prepare(
          `INSERT INTO chat_messages (id, conversation_id, parent_id, seq, role, speaker, text, reasoning, state, finish,
             error, producer, call_id, edited_from, writer, scene_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, NULL, ?)`,
        )
        .run(
          message.id,
          message.conversationId,
          message.parentId,
          seq,
          message.role,
          message.speaker,
          message.text,
          message.reasoning,
          message.state,
          message.producer ? JSON.stringify(message.producer) : null,
          message.callId ?? null,
          message.editedFrom,
          message.writer ?? null,
          now,
        );
      this.setLeaf(message.conversationId, message.id, now);
    })();
  }

  /**
   * Continue: a stopped or cut-off reply is being written on by `writer` (`host:pid`): `streaming`
   * again with its text so far, its end forgotten, and the end of the path shown.
   */
  resumeMessage(id: ChatMessageId, writer: string, now: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE chat_messages SET state = 'streaming', finish = NULL, error = NULL, writer = ? WHERE id = ? AND state IN ('cut', 'cancelled')`,
        )
        .run(writer, id);
      this.db
        .prepare(
          'UPDATE conversations SET leaf_id = ?, updated_at = ? WHERE id = (SELECT conversation_id FROM chat_messages WHERE id = ?)',
        )
        .run(id, now, id);
    })();
  }

  /** Writes how a streamed reply ended. */
  endMessage(id: ChatMessageId, end: MessageEnd, now: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE chat_messages SET text = ?, reasoning = ?, state = ?, finish = ?, error = ?, call_id = ?, producer = ?, writer = NULL WHERE id = ?',
        )
        .run(end.text, end.reasoning, end.state, end.finish, end.error, end.callId, JSON.stringify(end.producer), id);
      this.db
        .prepare(
          'UPDATE conversations SET updated_at = ? WHERE id = (SELECT conversation_id FROM chat_messages WHERE id = ?)',
        )
        .run(now, id);
    })();
  }

  /**
   * What a reply being written has said so far, stored while it streams (a window opened meanwhile
   * starts from it; a studio that dies mid-reply leaves it): only while the reply is `streaming`.
   */
  saveProgress(id: ChatMessageId, text: string, reasoning: string | null): void {
    this.db
      .prepare(`UPDATE chat_messages SET text = ?, reasoning = ? WHERE id = ? AND state = 'streaming'`)
      .run(text, reasoning, id);
  }

  /** Replies stored as `streaming`, with the process writing each (`host:pid`). */
  streaming(): { id: ChatMessageId; writer: string | null }[] {
    return this.db.prepare(`SELECT id, writer FROM chat_messages WHERE state = 'streaming'`).all() as {
      id: ChatMessageId;
      writer: string | null;
    }[];
  }

  /** A reply whose writer is gone becomes `cut` with `why`, its text as last stored (`saveProgress`). */
  cutStreaming(id: ChatMessageId, why: string): void {
    this.db
      .prepare(`UPDATE chat_messages SET state = 'cut', error = ?, writer = NULL WHERE id = ? AND state = 'streaming'`)
      .run(why, id);
  }

  setScene(id: ChatMessageId, sceneId: SceneId): void {
    this.db.prepare('UPDATE chat_messages SET scene_id = ? WHERE id = ?').run(sceneId, id);
  }

  message(id: ChatMessageId): ConversationMessage | undefined {
    const row = this.db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM chat_messages WHERE id = ?`).get(id) as
      MessageRow | undefined;
    return row && toMessage(row);
  }

  /** Every message of the conversation, in creation order (parents before their children). */
  messages(id: ConversationId): ConversationMessage[] {
    return (
      this.db
        .prepare(`SELECT ${MESSAGE_COLUMNS} FROM chat_messages WHERE conversation_id = ? ORDER BY seq`)
        .all(id) as MessageRow[]
    ).map(toMessage);
  }
}

function targetColumns(target: ChatTarget): {
  kind: 'run' | 'baseline';
  runId: RunId | null;
  providerId: ProviderId | null;
  model: string | null;
} {
  return target.kind === 'run'
    ? { kind: 'run', runId: target.runId, providerId: null, model: null }
    : { kind: 'baseline', runId: null, providerId: target.providerId, model: target.model };
}

function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id as ConversationId,
    characterId: row.character_id as CharacterId,
    title: row.title,
    target:
      row.target_kind === 'run'
        ? { kind: 'run', runId: (row.run_id ?? '') as RunId }
        : { kind: 'baseline', providerId: (row.provider_id ?? '') as ProviderId, model: row.model ?? '' },
    runtime: row.runtime,
    setting: { location: row.location, status: row.status },
    userName: row.user_name,
    sampling: JSON.parse(row.sampling) as ChatSamplingSettings,
    sourceSceneId: row.source_scene_id as SceneId | null,
    leafId: row.leaf_id as ChatMessageId | null,
    messageCount: row.message_count,
    preview: row.preview ?? '',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toMessage(row: MessageRow): ConversationMessage {
  return {
    id: row.id as ChatMessageId,
    conversationId: row.conversation_id as ConversationId,
    parentId: row.parent_id as ChatMessageId | null,
    role: row.role,
    speaker: row.speaker,
    text: row.text,
    reasoning: row.reasoning,
    state: row.state,
    finish: row.finish,
    error: row.error,
    producer: row.producer ? (JSON.parse(row.producer) as ChatProducer) : null,
    callId: row.call_id as CallId | null,
    editedFrom: row.edited_from as ChatMessageId | null,
    sceneId: row.scene_id as SceneId | null,
    createdAt: row.created_at,
  };
}
