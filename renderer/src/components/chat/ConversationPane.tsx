import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { ChatMessageId, ConversationId, ConversationView, PathStep } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke, useChatTargets, useConversation } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { samplingSummary } from './chat-fields';
import { ConversationSettings } from './ConversationSettings';
import { MessageBubble, type BubbleActions } from './MessageBubble';
import { markdownTitle } from '../../../../common/chat-markdown';
import { OverflowMenu } from '../overflow-menu';
import { useReplyStreams } from '../../state/reply-streams';
import { useAutoGrow } from './auto-grow';
import { useFoundMark, useFoundMessage, type FoundMessage } from './found-message';

/** How close to the bottom (px) still counts as "following the conversation". */
const STICK_PX = 48;
/** The tallest the message box grows (about ten lines) before it scrolls. */
const COMPOSER_MAX_PX = 220;

/** What a Branch from `at` took out of the path shown: down to `leaf`, `count` messages. */
interface HiddenByBranch {
  at: ChatMessageId;
  leaf: ChatMessageId;
  count: number;
}

/**
 * One conversation: its header (title, who answers, the scene), the path as bubbles with their
 * actions, and the composer (Enter sends, Shift+Enter breaks the line; Stop while a reply streams).
 * The view follows new text to the bottom until the user scrolls up; "Jump to latest" brings it back.
 * `found` (a search hit) is scrolled into view and marked for a moment, its branch shown first when
 * the path shown does not hold it; `onShown` says it is done with.
 */
export function ConversationPane({
  id,
  onExport,
  found = null,
  onShown = () => undefined,
}: {
  id: ConversationId;
  onExport: (format: 'markdown' | 'json') => void;
  found?: FoundMessage | null;
  onShown?: () => void;
}) {
  const query = useConversation(id);
  const toast = useUi((s) => s.toast);
  const thoughts = useUi((s) => s.chatThoughts);
  const setThoughts = useUi((s) => s.setChatThoughts);
  const streams = useReplyStreams((s) => s.streams);
  const forget = useReplyStreams((s) => s.forget);
  const [sending, setSending] = useState(false);
  const list = useRef<HTMLOListElement>(null);
  const [stuck, setStuck] = useState(true);
  const [settingsOpen, setSettingsOpen] = useState(false);

  const view = query.data;
  const replying = sending || (view?.replying ?? false);
  const last = view?.path.at(-1)?.message;
  const streamed = last ? streams.get(last.id) : undefined;

  // Follow the text while stuck to the bottom: after each render that may have grown the list.
  useLayoutEffect(() => {
    const el = list.current;
    if (el && stuck) el.scrollTop = el.scrollHeight;
    // A path grown shorter (a Branch, another alternative) may fit whole: nothing to jump to.
    else if (el && el.scrollHeight - el.clientHeight < STICK_PX) setStuck(true);
  }, [stuck, view, streamed?.text, streamed?.reasoning, streamed?.loading, thoughts]);
  useEffect(() => setStuck(true), [id]);
  // Replies that have ended show their stored text; what streamed of them is no longer needed.
  useEffect(() => {
    if (view) forget(view.path.filter((s) => s.message.state !== 'streaming').map((s) => s.message.id));
  }, [view, forget]);
  // A reply being written when this view was read starts from what it had said (a reload mid-reply):
  // the pieces streamed from then on go after it.
  const seed = useReplyStreams((s) => s.seed);
  useEffect(() => {
    for (const { message: m } of view?.path ?? []) if (m.state === 'streaming') seed(m.id, m.text, m.reasoning ?? '');
  }, [view, seed]);
  useFoundMessage({ id, view, found, onShown, list, setStuck });
  const marked = useFoundMark(found, view);
  const onScroll = () => {
    const el = list.current;
    if (el) setStuck(el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX);
  };

  /** Runs a command that writes a reply (send, regenerate, retry); failures become a toast. */
  const write = useCallback(
    async (run: () => Promise<unknown>) => {
      setSending(true);
      setStuck(true);
      try {
        await run();
      } catch (error) {
        toast({ kind: 'error', text: messageOf(error) });
      } finally {
        setSending(false);
      }
    },
    [toast],
  );
  const act = useCallback(
    (run: () => Promise<unknown>) => {
      run().catch((error: unknown) => toast({ kind: 'error', text: messageOf(error) }));
    },
    [toast],
  );

  const send = (text: string) => void write(() => invoke('chat/send', { conversationId: id, text }));
  const stop = () => act(() => invoke('chat/stop', { conversationId: id }));

  // The view as last shown, for actions that need what was on screen (kept out of `actions`, which must stay stable).
  const shownRef = useRef(view);
  shownRef.current = view;
  const [hidden, setHidden] = useState<HiddenByBranch | null>(null);
  // The same object across renders: the bubbles are memoized, and a pane that renders for each
  // streamed piece of a reply must not render every message of a long conversation with it.
  const actions = useMemo<BubbleActions>(
    () => ({
      browse: (messageId: ChatMessageId) => act(() => invoke('chat/select', { messageId })),
      regenerate: (step: PathStep) =>
        void write(() => invoke('chat/reply', { conversationId: id, parentId: step.message.parentId! })),
      continue: (step: PathStep) =>
        void write(() => invoke('chat/continue', { conversationId: id, messageId: step.message.id })),
      edit: (step, text, reasoning) =>
        void write(async () => {
          const edited = await invoke('chat/edit', { messageId: step.message.id, text, reasoning });
          const leaf = edited.path.at(-1)!.message;
          // The user's new wording asks the character again; a rewritten reply stands as it is.
          if (leaf.role === 'user') await invoke('chat/reply', { conversationId: id, parentId: leaf.id });
        }),
      branch: (step) =>
        act(async () => {
          const before = shownRef.current;
          await invoke('chat/select', { messageId: step.message.id, branch: true });
          // What this Branch hides, exactly as it was shown (the view alone knows the newest branch).
          const at = before?.path.findIndex((s) => s.message.id === step.message.id) ?? -1;
          const leaf = before?.conversation.leafId;
          if (before && leaf && at >= 0 && at < before.path.length - 1)
            setHidden({ at: step.message.id, leaf, count: before.path.length - 1 - at });
        }),
      correct: (step) =>
        act(async () => {
          await invoke('chat/correct', { messageId: step.message.id });
          toast({ kind: 'info', text: 'Sent to the dataset as an accepted "chat correction" scene.' });
        }),
    }),
    [id, write, act, toast],
  );

  if (query.isPending) return <p className="muted chat-pane-empty">Opening the conversation…</p>;
  if (query.isError) return <p className="form-error chat-pane-empty">{query.error.message}</p>;
  const v: ConversationView = query.data;
  const { conversation: c } = v;
  const empty = v.path.length === 0;
  // Shown as read, without its Markdown marks (Rename still edits it as stored).
  const title = markdownTitle(c.title);
  const who = c.target.kind === 'run' ? `trained run ${c.target.runId.slice(0, 8)}` : `baseline ${c.target.model}`;
  const where = c.setting.location ? ` · ${c.setting.location}` : '';
  const sampling = samplingSummary(c.sampling);
  // After Branch, what it hid: as it was shown when this window branched, else (a reload, another
  // window) what followed down the newest alternatives.
  const remembered = hidden && last && hidden.at === last.id ? hidden : null;
  const after = remembered?.count ?? v.continuation;

  return (
    <section className="chat-pane" aria-label={`Conversation: ${title}`}>
      <header className="chat-pane-head">
        <div className="chat-pane-title">
          <h2 title={title}>{title}</h2>
        </div>
        <div className="chat-pane-tools">
          <button
            className="small"
            aria-label="Conversation settings"
            onClick={() => setSettingsOpen(true)}
            title="Who answers, the runtime, the sampling and the scene of the next replies"
          >
            ⚙ Setup
          </button>
          <label className="toggle">
            <input type="checkbox" checked={thoughts} onChange={(e) => setThoughts(e.target.checked)} /> Thoughts
          </label>
          <OverflowMenu
            label="Export the conversation"
            items={[
              { label: 'Export as Markdown (.md)', onSelect: () => onExport('markdown') },
              { label: 'Export as JSON (.json)', onSelect: () => onExport('json') },
            ]}
          />
        </div>
        <p
          className="muted chat-pane-meta"
          data-testid="conversation-setup"
          title={`${c.runtime} · ${who}${where} · ${sampling}`}
        >
          <RuntimePill conversation={c} /> {who}
          {where}
          <span className="chat-pane-sampling"> · {sampling}</span>
        </p>
      </header>
      {settingsOpen && (
        <ConversationSettings conversation={c} characterName={v.characterName} onClose={() => setSettingsOpen(false)} />
      )}
      {c.setting.status && <p className="chat-scene">{c.setting.status}</p>}
      <div className="chat-scroll-wrap">
        <ol className="chat-messages" ref={list} onScroll={onScroll} aria-live="polite" aria-label="Messages">
          {empty && (
            <li className="chat-empty">
              <h3>Say something to {v.characterName}</h3>
              <p className="muted">
                {c.target.kind === 'run'
                  ? `${v.characterName} answers in the scene above, as trained.`
                  : `A baseline model plays ${v.characterName} in the scene above, without this training.`}{' '}
                Enter sends; Shift+Enter starts a new line.
              </p>
            </li>
          )}
          {v.path.map((step, at) => (
            <MessageBubble
              key={step.message.id}
              step={step}
              stream={streams.get(step.message.id)}
              thoughts={thoughts}
              busy={replying}
              actions={actions}
              found={marked === step.message.id}
              // Continue goes on from the last reply only: one the conversation went on from would change what was answered.
              last={at === v.path.length - 1 && v.continuation === 0}
            />
          ))}
          {after > 0 && last && (
            <li className="chat-branch-note" data-testid="branch-note">
              <span>
                Branched here: your next message starts a new branch. The {messagesText(after)} that came after this one{' '}
                {after === 1 ? 'is' : 'are'} kept.
              </span>
              <button
                className="small"
                disabled={replying}
                onClick={() => act(() => invoke('chat/select', { messageId: remembered?.leaf ?? last.id }))}
              >
                Show {after === 1 ? 'it' : 'them'}
              </button>
            </li>
          )}
        </ol>
        {!stuck && (
          <button className="jump-latest small" onClick={() => setStuck(true)}>
            ↓ Jump to latest
          </button>
        )}
      </div>
      <Composer id={id} characterName={v.characterName} replying={replying} onSend={send} onStop={stop} />
    </section>
  );
}

/**
 * The message box and Send (Stop while a reply streams; Escape stops it too). The draft is the ui store's, per
 * conversation: it survives switching conversations and searching, and a keystroke renders this
 * box alone, not the conversation above it.
 */
function Composer({
  id,
  characterName,
  replying,
  onSend,
  onStop,
}: {
  id: ConversationId;
  characterName: string;
  replying: boolean;
  onSend: (text: string) => void;
  onStop: () => void;
}) {
  const draft = useUi((s) => s.chatDrafts[id] ?? '');
  const setDraft = useUi((s) => s.setChatDraft);
  const box = useAutoGrow(COMPOSER_MAX_PX);
  const send = () => {
    const text = draft.trim();
    if (!text || replying) return;
    setDraft(id, '');
    onSend(text);
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
    // Where the hands already are: no reach for the mouse to end a reply going the wrong way.
    if (e.key === 'Escape' && replying) {
      e.preventDefault();
      onStop();
    }
  };
  return (
    <div className="chat-composer">
      <textarea
        ref={box}
        aria-label={`Message to ${characterName}`}
        placeholder={`Message ${characterName}…`}
        rows={1}
        value={draft}
        onChange={(e) => setDraft(id, e.target.value)}
        onKeyDown={onKey}
      />
      {replying ? (
        <button className="danger" onClick={onStop}>
          ■ Stop
        </button>
      ) : (
        <button className="primary" onClick={send} disabled={!draft.trim()}>
          Send
        </button>
      )}
    </div>
  );
}

/**
 * What answers the conversation: its runtime, except that a baseline whose provider runs a GGUF
 * file in the studio (the embedded preset) says so rather than "endpoint".
 */
function RuntimePill({ conversation: c }: { conversation: ConversationView['conversation'] }) {
  const targets = useChatTargets(c.characterId);
  const target = c.target;
  const inStudio =
    target.kind === 'baseline' && targets.data?.baselines.find((b) => b.providerId === target.providerId)?.inStudio;
  return <span className="pill">{inStudio ? 'embedded' : c.runtime}</span>;
}

function messagesText(n: number): string {
  return n === 1 ? 'message' : `${n} messages`;
}
