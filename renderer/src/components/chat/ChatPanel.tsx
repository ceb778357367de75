import { useCallback, useEffect, useState } from 'react';
import { Marked } from '../dataset/SceneBrowserList';
import type { Character, ConversationHit, ConversationId } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke, useConversations } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { ConversationPane } from './ConversationPane';
import type { FoundMessage } from './found-message';
import { NewConversation } from './NewConversation';
import { download } from '../../lib/files';
import { markdownSnippet, markdownText, markdownTitle } from '../../../../common/chat-markdown';
import { NameDialog } from '../name-dialog';
import { OverflowMenu } from '../overflow-menu';
import '../../chat.css';
import '../../chat-list.css';
import '../../chat-setup.css';
import '../../chat-message.css';

/**
 * The Chat tab: the character's conversations on the left (search, rename, delete), the open one
 * or a new one on the right. Choosing a search hit opens its conversation at the message found.
 * Everything is stored: a reload or a restart shows it as it was.
 */
export function ChatPanel({ character }: { character: Character }) {
  const selection = useUi((s) => s.chatSelections[character.id]);
  const openChat = useUi((s) => s.openChat);
  const toast = useUi((s) => s.toast);
  const [query, setQuery] = useState('');
  const list = useConversations(character.id, query);
  const hits = list.data ?? [];
  // With nothing chosen: the most recent conversation, or the form for the first one.
  const current =
    selection ??
    (query === '' && hits[0]
      ? { kind: 'conversation' as const, id: hits[0].conversation.id }
      : { kind: 'new' as const });
  // Once shown, the most recent conversation is the chosen one: a search or a rename reorders the
  // list, and the conversation being read (and what is typed in it) must not change under the user.
  const shownId = selection === undefined && current.kind === 'conversation' ? current.id : null;
  useEffect(() => {
    if (shownId !== null) openChat(character.id, { kind: 'conversation', id: shownId });
  }, [shownId, character.id, openChat]);

  const open = (id: ConversationId) => openChat(character.id, { kind: 'conversation', id });
  // A search hit chosen: its message, to be shown once the conversation is open (each choice anew,
  // so choosing the same hit twice brings it back into view).
  const [found, setFound] = useState<FoundMessage | null>(null);
  const forgetFound = useCallback(() => setFound(null), []);
  const openHit = (hit: ConversationHit) => {
    open(hit.conversation.id);
    if (hit.messageId)
      setFound((last) => ({
        conversationId: hit.conversation.id,
        messageId: hit.messageId!,
        seq: (last?.seq ?? 0) + 1,
      }));
  };
  const fail = (error: unknown) => toast({ kind: 'error', text: messageOf(error) });
  const [renaming, setRenaming] = useState<ConversationHit | null>(null);
  const remove = (hit: ConversationHit) => {
    if (!window.confirm(`Delete “${hit.conversation.title}” and its ${hit.conversation.messageCount} messages?`))
      return;
    invoke('chat/delete', { id: hit.conversation.id })
      .then(() => {
        if (current.kind === 'conversation' && current.id === hit.conversation.id)
          openChat(character.id, { kind: 'new' });
      })
      .catch(fail);
  };
  const exportAs = (id: ConversationId, format: 'markdown' | 'json') => {
    invoke('chat/export', { id, format })
      .then(({ fileName, content }) =>
        download(fileName, content, format === 'json' ? 'application/json' : 'text/markdown'),
      )
      .catch(fail);
  };

  return (
    <div className="chat-layout">
      <aside className="chat-list" aria-label="Conversations">
        <div className="chat-list-head">
          <input
            type="search"
            aria-label="Search conversations"
            placeholder="Search…"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <button
            className="primary small"
            aria-label="New conversation"
            onClick={() => openChat(character.id, { kind: 'new' })}
          >
            + New
          </button>
        </div>
        {hits.length === 0 ? (
          <p className="muted chat-list-empty">
            {query ? `No conversation mentions “${query}”.` : 'No conversations yet. Every chat is kept here.'}
          </p>
        ) : (
          <ul>
            {hits.map((hit) => {
              const c = hit.conversation;
              const selected = current.kind === 'conversation' && current.id === c.id;
              return (
                <li key={c.id} className={selected ? 'chat-item selected' : 'chat-item'}>
                  <button
                    className="chat-item-main"
                    onClick={() => openHit(hit)}
                    aria-current={selected}
                    title={hit.place ? placeText(hit.place) : undefined}
                  >
                    <span className="chat-item-title">{markdownTitle(c.title)}</span>
                    <span className="chat-item-preview">
                      {hit.snippet.length > 0 ? (
                        <Marked parts={markdownSnippet(hit.snippet)} />
                      ) : (
                        markdownText(c.preview) || 'No messages yet'
                      )}
                    </span>
                    <span className="chat-item-meta">
                      {new Date(c.updatedAt).toLocaleDateString()} · {c.messageCount} messages
                    </span>
                  </button>
                  {/* One small "⋯" beside the title, not buttons over it: the list is narrow, and a
                      click meant to open the conversation must not land on Delete. */}
                  <span className="chat-item-tools">
                    <OverflowMenu
                      label={`Actions for ${markdownTitle(c.title)}`}
                      items={[
                        { label: 'Rename…', onSelect: () => setRenaming(hit) },
                        { label: 'Delete…', onSelect: () => remove(hit) },
                      ]}
                    />
                  </span>
                </li>
              );
            })}
          </ul>
        )}
        {renaming && (
          <NameDialog
            title="Rename the conversation"
            label="Title"
            initial={renaming.conversation.title}
            submitLabel="Rename"
            onSubmit={(title) => invoke('chat/update', { id: renaming.conversation.id, title })}
            onClose={() => setRenaming(null)}
          />
        )}
      </aside>
      <div className="chat-main">
        {current.kind === 'new' ? (
          <NewConversation
            key={current.runId ?? 'new'}
            character={character}
            {...(current.runId && { runId: current.runId })}
            onCreated={(view) => open(view.conversation.id)}
          />
        ) : (
          <ConversationPane
            key={current.id}
            id={current.id}
            onExport={(format) => exportAs(current.id, format)}
            found={found?.conversationId === current.id ? found : null}
            onShown={forgetFound}
          />
        )}
      </div>
    </div>
  );
}

/** A hit's place for its tooltip: which message it is and whether choosing it switches branch. */
function placeText(place: NonNullable<ConversationHit['place']>): string {
  return `Message ${place.position}${place.onPath ? '' : ', on another branch: opening it shows that branch'}`;
}
