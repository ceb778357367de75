import { useCallback, useRef, useState, type FormEvent } from 'react';
import type { ChatTurn, Events, TrainingRun } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { useCommand, useStudioEvent } from '../../lib/queries';

interface Line extends ChatTurn {
  /** The character's inner thoughts that came with the reply (Character-LLM runs). */
  reasoning?: string;
}

let nextRequest = 1;

/**
 * A conversation with a served run, to try the character out; it is not stored. Replies stream in
 * as the model writes them.
 */
export function ChatBox({ run, characterName }: { run: TrainingRun; characterName: string }) {
  const chat = useCommand('training/chat', { quiet: true });
  const [lines, setLines] = useState<Line[]>([]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<{ text: string; reasoning: string } | null>(null);
  const pendingId = useRef<string | null>(null);

  const onDelta = useCallback((delta: Events['training/chat-delta']) => {
    if (delta.requestId !== pendingId.current) return;
    setPending(
      (p) => p && { ...p, text: p.text + (delta.text ?? ''), reasoning: p.reasoning + (delta.reasoning ?? '') },
    );
  }, []);
  useStudioEvent('training/chat-delta', onDelta);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const content = draft.trim();
    if (!content || pending) return;
    const requestId = `${run.id}-${nextRequest++}`;
    const conversation: Line[] = [...lines, { role: 'user', content }];
    setLines(conversation);
    setDraft('');
    setError(null);
    pendingId.current = requestId;
    setPending({ text: '', reasoning: '' });
    try {
      const reply = await chat.mutateAsync({
        id: run.id,
        requestId,
        messages: conversation.map(({ role, content: c }) => ({ role, content: c })),
      });
      setLines([
        ...conversation,
        { role: 'assistant', content: reply.text, ...(reply.reasoning && { reasoning: reply.reasoning }) },
      ]);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      pendingId.current = null;
      setPending(null);
    }
  };

  return (
    <div className="chat-box">
      <ol className="chat-lines" aria-label={`Conversation with ${characterName}`} aria-live="polite">
        {lines.map((line, i) => (
          <ChatLine key={i} line={line} characterName={characterName} />
        ))}
        {pending && (
          <ChatLine
            line={{ role: 'assistant', content: pending.text, reasoning: pending.reasoning }}
            characterName={characterName}
            writing
          />
        )}
      </ol>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <form className="chat-input" onSubmit={(e) => void send(e)}>
        <input
          aria-label={`Say something to ${characterName}`}
          placeholder={`Say something to ${characterName}…`}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button className="primary" disabled={!draft.trim() || pending !== null}>
          {pending ? 'Answering…' : 'Send'}
        </button>
        {lines.length > 0 && !pending && (
          <button type="button" className="ghost" onClick={() => setLines([])}>
            Start over
          </button>
        )}
      </form>
    </div>
  );
}

function ChatLine({ line, characterName, writing = false }: { line: Line; characterName: string; writing?: boolean }) {
  const mine = line.role === 'user';
  return (
    <li className={mine ? 'chat-line mine' : 'chat-line'} data-testid={mine ? 'chat-user' : 'chat-character'}>
      <span className="chat-speaker">{mine ? 'You' : characterName}</span>
      {line.reasoning && <span className="chat-thinking">({line.reasoning.trim()})</span>}
      <span className="chat-text">
        {line.content || (writing ? '' : <em className="muted">(says nothing)</em>)}
        {writing && <span className="pulse" aria-label="writing" />}
      </span>
    </li>
  );
}
