import { useState, type FormEvent } from 'react';
import type { Character, QuestionMode, QuestionSetId } from '../../../../common/contract';
import { counted } from '../../../../common/plural';
import { readQuestionLines } from '../../../../common/question-lines';
import { messageOf } from '../../lib/bridge-error';
import { invoke } from '../../lib/queries';
import { DialogFooter } from '../dialog-footer';
import { Modal } from '../Modal';
import { TOPICS } from './SetEditor';

/**
 * "+ New set": a question set of one's own, named, empty or with questions typed or pasted one a
 * line, read as `questions create --from` reads a file (common/question-lines.ts): a line may say
 * its topic and kind in a tag; the others take the topic and kind chosen here.
 */
export function NewSetDialog({
  character,
  onCreated,
  onClose,
}: {
  character: Character;
  onCreated: (id: QuestionSetId) => void;
  onClose: () => void;
}) {
  const [name, setName] = useState('My questions');
  const [text, setText] = useState('');
  const [topicId, setTopicId] = useState('topic-1');
  const [mode, setMode] = useState<QuestionMode>('single');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const questions = readQuestionLines(text, { topicId, mode });
  const goals = questions.filter((q) => q.mode === 'multi').length;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    invoke('eval/questions/create', { characterId: character.id, name: name.trim(), questions })
      .then((detail) => {
        onCreated(detail.set.id);
        onClose();
      })
      .catch((err: unknown) => {
        setError(messageOf(err));
        setPending(false);
      });
  };

  return (
    <Modal title="New question set" onClose={onClose} wide>
      <form className="form eval-new-set" onSubmit={submit}>
        <label>
          Name
          <input autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          <span>
            Questions <span className="optional">(optional: you can add them in the set too)</span>
          </span>
          <textarea
            rows={8}
            value={text}
            spellCheck
            placeholder={`Where were you born?\nWho taught you to play the organ?\n[topic-3] What do you value most in a friend?\n[topic-2, goal] find out how ${character.shortName} got on with his brothers`}
            onChange={(e) => setText(e.target.value)}
          />
          <small>
            One a line. A line may start with its topic, <code>[topic-2]</code>, or mark a multi-turn goal,{' '}
            <code>[topic-2, goal]</code>; blank lines and lines starting with # are skipped.
          </small>
        </label>
        <div className="eval-row">
          <label>
            Topic of the other lines
            <select value={topicId} onChange={(e) => setTopicId(e.target.value)}>
              {Object.entries(TOPICS).map(([id, label]) => (
                <option key={id} value={id}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            They are
            <select value={mode} onChange={(e) => setMode(e.target.value as QuestionMode)}>
              <option value="single">Questions (single-turn)</option>
              <option value="multi">Multi-turn goals</option>
            </select>
          </label>
        </div>
        <DialogFooter
          error={error}
          onClose={onClose}
          submitLabel={
            questions.length === 0
              ? 'Create an empty set'
              : `Create with ${[
                  questions.length > goals && counted(questions.length - goals, 'question'),
                  goals > 0 && counted(goals, 'goal'),
                ]
                  .filter(Boolean)
                  .join(' and ')}`
          }
          pendingLabel="Creating…"
          pending={pending}
          disabled={name.trim() === ''}
        />
      </form>
    </Modal>
  );
}
