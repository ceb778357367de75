import type { InterviewId } from '../../../../common/contract';
import { useInterview } from '../../lib/eval-queries';
import { describeAnswerer } from './SystemsCard';
import { TranscriptJudgments } from './TranscriptJudgments';
import { useReveal } from './reveal';
import '../../transcript.css';

/** One interview as it went: the interviewer's questions, the character's speech, its thoughts apart. */
export function Transcript({ id, onClose }: { id: InterviewId; onClose: () => void }) {
  const transcript = useInterview(id);
  const section = useReveal<HTMLElement>(id, transcript.isSuccess);
  if (transcript.isPending) return <p className="muted">Loading the interview…</p>;
  if (transcript.isError) return <p className="form-error">{transcript.error.message}</p>;
  const { interview, system, turns } = transcript.data;
  return (
    <section className="card eval-transcript" aria-label="Transcript" ref={section}>
      <header className="card-head">
        <div>
          <h2>{system.label}</h2>
          <p className="muted">
            {describeAnswerer(system)} · {interview.mode === 'multi' ? 'multi-turn' : 'single-turn'} · round{' '}
            {interview.roundsDone} of {interview.rounds} · {interview.status}
          </p>
          <p className="eval-goal">
            <strong>{interview.mode === 'multi' ? 'Goal' : 'Question'}:</strong> {interview.question}
          </p>
        </div>
        <button className="icon" aria-label="Close the transcript" onClick={onClose}>
          ×
        </button>
      </header>
      {interview.error && (
        <p className="job-message bad" role="status">
          {interview.error}
        </p>
      )}
      <ol className="eval-turns">
        {turns.map((t) => (
          <li
            key={t.id}
            className={`eval-turn ${t.role} ${t.action}`}
            data-round={t.round}
            aria-label={`${t.speaker} ${t.action === 'thinking' ? 'thinks' : 'says'}`}
          >
            <span className="eval-turn-who">
              {t.speaker}
              {t.action === 'thinking' && <em> (thinking)</em>}
              {interview.mode === 'multi' && t.role === 'interviewer' && (
                <span className="muted"> · round {t.round}</span>
              )}
            </span>
            <p className="eval-turn-text">{t.text}</p>
            {(t.nonstop || t.rawAction) && (
              <span className="eval-turn-flags">
                {t.nonstop && <span className="pill subtle">cut at the token limit</span>}
                {t.rawAction && <span className="pill subtle">label “{t.rawAction}”</span>}
              </span>
            )}
          </li>
        ))}
      </ol>
      <TranscriptJudgments characterId={interview.characterId} interviewId={interview.id} />
    </section>
  );
}
