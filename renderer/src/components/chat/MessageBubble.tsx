import { memo, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { CallId, ChatMessageId, ChatProducer, PathStep } from '../../../../common/contract';
import { callCostText, callTokensText } from '../../../../common/provenance';
import { useCalls } from '../../lib/queries';
import { RUNTIME_LABELS, samplingSummary } from './chat-fields';
import type { StreamedReply } from '../../state/reply-streams';
import { useAutoGrow } from './auto-grow';
import { CopyButton } from '../copy-button';
import { MessageText } from './MessageText';
import { BranchSwitch } from './BranchSwitch';

/** The paper's interviewer: who the user is unless a scene says otherwise (see ChatService). */
const DEFAULT_USER_SPEAKER = 'Man';
/** The tallest an edit box grows before it scrolls. */
const EDIT_MAX_PX = 320;

export interface BubbleActions {
  /** Shows another alternative of this step (← →, or chosen from their list). */
  browse(id: ChatMessageId): void;
  regenerate(step: PathStep): void;
  /** Continue: the model goes on from a reply that was stopped or cut off, in the same message. */
  continue(step: PathStep): void;
  edit(step: PathStep, text: string, reasoning: string | null): void;
  branch(step: PathStep): void;
  correct(step: PathStep): void;
}

/**
 * One message of the path: the speaker, the character's thoughts apart (italic, muted) when shown,
 * the speech (its Markdown shown), its state (writing, stopped, cut, edited), and its actions: ‹ ›
 * between alternatives (BranchSwitch), Copy, Regenerate or Retry, Continue (the last reply, stopped or
 * cut off), Edit, Branch from here, and for a reply the user rewrote, Send to dataset.
 * Memoized: it renders again only when its own props change (`actions` is one stable object).
 */
export const MessageBubble = memo(function MessageBubble({
  step,
  stream,
  thoughts,
  busy,
  actions,
  found = false,
  last = false,
}: {
  step: PathStep;
  stream: StreamedReply | undefined;
  thoughts: boolean;
  /** A reply is being written: actions that would change the path wait. */
  busy: boolean;
  actions: BubbleActions;
  /** A search has just brought it into view: marked for a moment. */
  found?: boolean;
  /** The last message of the path, with nothing after it on any branch (Continue may go on from it). */
  last?: boolean;
}) {
  const { message: m, siblings } = step;
  const mine = m.role === 'user';
  const writing = m.state === 'streaming';
  const continuable = last && !mine && (m.state === 'cut' || m.state === 'cancelled') && m.text.trim() !== '';
  const continueButton = (className: string) => (
    <button
      className={className}
      disabled={busy}
      onClick={() => actions.continue(step)}
      title="Go on from where the reply stopped, in this message"
    >
      Continue
    </button>
  );
  // While written: what streamed, or what the view read of it if that is more (a window opened mid-reply).
  const text = writing ? longer(stream?.text, m.text) : m.text;
  const reasoning = writing ? longer(stream?.reasoning, m.reasoning ?? '') : (m.reasoning ?? '');
  const [editing, setEditing] = useState(false);
  const [details, setDetails] = useState(false);
  const [draft, setDraft] = useState({ text: m.text, reasoning: m.reasoning ?? '' });
  const thoughtsBox = useAutoGrow(EDIT_MAX_PX);
  const textBox = useAutoGrow(EDIT_MAX_PX);
  const startEdit = () => {
    setDraft({ text: m.text, reasoning: m.reasoning ?? '' });
    setEditing(true);
  };
  const savable = draft.text.trim() !== '' || draft.reasoning.trim() !== '';
  const save = () => {
    if (!savable) return;
    setEditing(false);
    actions.edit(step, draft.text, mine ? null : draft.reasoning.trim() || null);
  };
  // As in the message box: Enter saves, Shift+Enter starts a new line; Escape cancels.
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') setEditing(false);
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      save();
    }
  };
  // Details opened on a message at the bottom of the view would unfold out of sight.
  const detailsList = useRef<HTMLUListElement>(null);
  useEffect(() => {
    if (details) detailsList.current?.scrollIntoView({ block: 'nearest' });
  }, [details]);

  return (
    <li
      className={`bubble-row ${mine ? 'mine' : 'theirs'}${found ? ' found' : ''}`}
      data-testid={mine ? 'message-user' : 'message-character'}
      data-message-id={m.id}
      // Focusable from script only: a search that brings the message into view puts the focus there.
      tabIndex={-1}
    >
      <div className={`bubble ${m.state}`}>
        <div className="bubble-head">
          <span className="bubble-speaker">{mine ? youAs(m.speaker) : m.speaker}</span>
          {m.editedFrom && <span className="bubble-tag">edited by you</span>}
          {m.state === 'cancelled' && <span className="bubble-tag">stopped</span>}
          {m.state === 'cut' && <span className="bubble-tag danger">cut off</span>}
          {m.finish === 'length' && <span className="bubble-tag">token limit</span>}
          {m.sceneId && <span className="bubble-tag accent">in the dataset</span>}
        </div>
        {editing ? (
          <div className="bubble-edit">
            {!mine && (
              <label>
                <span>Thoughts</span>
                <textarea
                  ref={thoughtsBox}
                  aria-label="Edit the thoughts"
                  rows={2}
                  value={draft.reasoning}
                  onChange={(e) => setDraft({ ...draft, reasoning: e.target.value })}
                  onKeyDown={onKey}
                />
              </label>
            )}
            <label>
              <span>{mine ? 'Your message' : 'Speech'}</span>
              <textarea
                ref={textBox}
                aria-label="Edit the message"
                rows={3}
                autoFocus
                value={draft.text}
                onChange={(e) => setDraft({ ...draft, text: e.target.value })}
                onKeyDown={onKey}
              />
            </label>
            <div className="bubble-edit-actions">
              <button className="primary small" onClick={save} disabled={!savable}>
                {mine ? 'Save and ask again' : 'Save as an alternative'}
              </button>
              <button className="ghost small" onClick={() => setEditing(false)}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <>
            {thoughts && reasoning.trim() !== '' && (
              <MessageText className="bubble-thoughts" testId="thoughts" text={reasoning.trim()} />
            )}
            {writing && stream?.loading && (
              <p className="bubble-loading" role="status">
                <span className="pulse" aria-hidden="true" /> {stream.loading}
              </p>
            )}
            {/* Markdown for display only: the stored text is what Edit shows and Copy copies. */}
            <MessageText
              className="bubble-text"
              text={text}
              tail={
                writing ? (
                  <span className="caret" aria-label="writing" />
                ) : (
                  text === '' && <em className="muted">(says nothing)</em>
                )
              }
            />
            {m.state === 'cut' && (
              <p className="bubble-error" role="alert">
                Cut off: {m.error ?? 'the runtime failed'}{' '}
                <button className="small" onClick={() => actions.regenerate(step)} disabled={busy}>
                  Retry
                </button>{' '}
                {continuable && continueButton('small')}
              </p>
            )}
          </>
        )}
      </div>
      {!editing && (siblings.length > 1 || !writing) && (
        <div className="bubble-foot">
          {siblings.length > 1 && <BranchSwitch step={step} busy={busy} browse={(id) => actions.browse(id)} />}
          {!writing && (
            <div className="bubble-actions">
              {(m.text !== '' || m.reasoning) && (
                <CopyButton
                  className="ghost small"
                  text={m.text || (m.reasoning ?? '')}
                  label={mine ? 'Copy your message' : 'Copy the reply'}
                  what="the message"
                />
              )}
              {!mine && m.state !== 'cut' && (
                <button className="ghost small" disabled={busy} onClick={() => actions.regenerate(step)}>
                  Regenerate
                </button>
              )}
              {continuable && m.state === 'cancelled' && continueButton('ghost small')}
              <button className="ghost small" disabled={busy} onClick={startEdit}>
                Edit
              </button>
              <button
                className="ghost small"
                disabled={busy}
                onClick={() => actions.branch(step)}
                title="Continue from here in a new branch"
              >
                Branch
              </button>
              {m.producer && (
                <button
                  className="ghost small"
                  aria-expanded={details}
                  title={producerLines(m.producer).join('\n')}
                  onClick={() => setDetails(!details)}
                >
                  Details
                </button>
              )}
              {!mine && m.editedFrom && !m.sceneId && (
                <button className="ghost small accent" disabled={busy} onClick={() => actions.correct(step)}>
                  Send to dataset
                </button>
              )}
            </div>
          )}
        </div>
      )}
      {details && m.producer && !editing && (
        <ul className="bubble-details" aria-label="How this reply was made" ref={detailsList}>
          {producerLines(m.producer).map((line) => (
            <li key={line}>{line}</li>
          ))}
          {m.callId && m.state !== 'streaming' && <CallLine id={m.callId} />}
        </ul>
      )}
    </li>
  );
});

/** The reply's call on record: its tokens, time and cost (a paid endpoint's, at its price). */
function CallLine({ id }: { id: CallId }) {
  const calls = useCalls(id);
  const last = calls.data?.at(-1);
  // A line held while the record loads: the list keeps its height, so once scrolled into view it stays there.
  if (calls.isPending) return <li className="muted">Call: …</li>;
  if (!last) return null;
  return (
    <li>
      Call: {callTokensText(last)} · {(last.latencyMs / 1000).toFixed(2)} s
      {last.costUsd !== null && ` · cost ${callCostText(last)}`}
    </li>
  );
}

/** What produced a reply, one fact a line: runtime, model, adapter, format, sampling. */
function producerLines(p: ChatProducer): string[] {
  return [
    `Runtime: ${RUNTIME_LABELS[p.runtime]}`,
    `Model: ${p.model}`,
    `Adapter: ${p.adapter ?? 'none'}`,
    `Prompt: ${p.format === 'character-llm' ? "the paper's format" : "the model's chat template"}`,
    `Sampling: ${samplingSummary(p.sampling)}`,
  ];
}

/** The user's label: "You", or "You, as Mozart" when a scene gave the user someone else's part. */
function youAs(speaker: string): string {
  return speaker === DEFAULT_USER_SPEAKER ? 'You' : `You, as ${speaker}`;
}

function longer(a: string | undefined, b: string): string {
  return a !== undefined && a.length >= b.length ? a : b;
}
