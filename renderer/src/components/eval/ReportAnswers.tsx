import type { ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import type {
  CharacterId,
  ReportAnswer,
  ReportCell,
  ReportComparison,
  ReportMode,
  ReportSystem,
} from '../../../../common/contract';
import { invoke } from '../../lib/queries';
import { cellText, MODE_TITLE } from './ReportChart';
import { useReveal } from './reveal';

/** What the drill-down and the comparison read: the report's filters. */
export interface ReportScope {
  characterId: CharacterId;
  topics: string[];
  judge: string | null;
}

const scopeArg = (scope: ReportScope) => ({
  characterId: scope.characterId,
  ...(scope.topics.length && { topics: scope.topics }),
  ...(scope.judge && { judge: scope.judge }),
});

/**
 * One answer: the question (or, side by side, the system's name), every turn (thoughts set apart),
 * and what the judge said per dimension.
 */
export function AnswerCard({
  answer,
  open = false,
  title,
  reasoningOpen = true,
}: {
  answer: ReportAnswer;
  open?: boolean;
  title?: string;
  /** False: each judgment's reasoning a click away (side by side, where it buried the answers). */
  reasoningOpen?: boolean;
}) {
  return (
    <details className="answer-card" open={open} data-testid="report-answer">
      <summary>
        {title ? (
          <strong>{title}</strong>
        ) : (
          <>
            <span className="topic-tag">{answer.topicId}</span> {answer.question}
          </>
        )}
        {answer.nonstop && <span className="pill warn"> cut at the token limit</span>}
        <span className="scores">
          {answer.judgments.map((j) => (
            <span key={j.dimension} className={j.score === null ? 'score unscored' : 'score'} title={j.dimension}>
              {j.dimension.slice(0, 3)} {j.score ?? '–'}
            </span>
          ))}
        </span>
      </summary>
      <div className="turns">
        {answer.turns
          // A single-turn question is in the heading already.
          .filter(
            (t, i) => !(answer.mode === 'single' && i === 0 && t.by === 'interviewer' && t.content === answer.question),
          )
          .map((t, i) => (
            <p key={i} className={`turn ${t.by} ${t.action}`}>
              <b>{t.by === 'interviewer' ? 'Interviewer' : t.action === 'thinking' ? 'Thinks' : 'Says'}</b> {t.content}
            </p>
          ))}
      </div>
      {answer.judgments.length === 0 ? (
        <p className="muted">Not judged yet.</p>
      ) : (
        <ul className="judgments">
          {answer.judgments.map((j) => {
            const verdict = (
              <>
                <strong>{j.dimension}</strong>{' '}
                {j.score === null ? <em className="unscored">unscored</em> : <span className="score">{j.score}</span>}{' '}
                <small className="muted">{j.judgeModel}</small>
              </>
            );
            return (
              <li key={j.dimension}>
                {reasoningOpen || !j.reasoning ? (
                  <>
                    {verdict}
                    {j.reasoning && <pre>{j.reasoning}</pre>}
                  </>
                ) : (
                  <details className="reasoning">
                    <summary>
                      {verdict} <small className="muted">· why</small>
                    </summary>
                    <pre>{j.reasoning}</pre>
                  </details>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </details>
  );
}

function PanelHeader({ children, onClose }: { children: ReactNode; onClose: () => void }) {
  return (
    <header className="section-bar">
      <h3>{children}</h3>
      <button className="ghost small" onClick={onClose}>
        Close
      </button>
    </header>
  );
}

/** Every question a system answered in a mode, under the report's filters. */
export function AnswersPanel({
  scope,
  system,
  mode,
  onClose,
}: {
  scope: ReportScope;
  system: ReportSystem;
  mode: ReportMode;
  onClose: () => void;
}) {
  const arg = { ...scopeArg(scope), systemId: system.id, mode };
  const answers = useQuery({
    queryKey: ['eval/report-answers', arg],
    queryFn: () => invoke('eval/report-answers', arg),
  });
  const panel = useReveal<HTMLElement>(`${system.id}:${mode}`);
  return (
    <section className="report-panel" aria-label={`Answers of ${system.name}`} data-testid="report-answers" ref={panel}>
      <PanelHeader onClose={onClose}>
        {system.name} · {MODE_TITLE[mode]} · {answers.data ? `${answers.data.answers.length} answers` : '…'}
      </PanelHeader>
      {answers.error && <p className="form-error">{answers.error.message}</p>}
      {answers.data?.answers.length === 0 && <p className="muted">No answers under these filters.</p>}
      {answers.data?.answers.map((a) => (
        <AnswerCard key={a.interviewId} answer={a} />
      ))}
    </section>
  );
}

function ChangeCell({ cell }: { cell: ReportCell }) {
  const text = cellText(cell);
  return text ? (
    <td>
      {text} <small className="muted">n={cell.count}</small>
    </td>
  ) : (
    <td className="empty-cell">no scores</td>
  );
}

/** Two systems side by side: per-dimension change, the questions that moved most, every answer pair. */
export function ComparePanel({
  scope,
  a,
  b,
  mode,
  onClose,
}: {
  scope: ReportScope;
  a: ReportSystem;
  b: ReportSystem;
  mode: ReportMode;
  onClose: () => void;
}) {
  const arg = { ...scopeArg(scope), a: a.id, b: b.id, mode };
  const compare = useQuery({
    queryKey: ['eval/report-compare', arg],
    queryFn: () => invoke('eval/report-compare', arg),
  });
  const c: ReportComparison | undefined = compare.data;
  // A change is read within one judge's scores; with several judges each row names its judge.
  const judges = c ? [...new Set(c.changes.map((ch) => ch.judge))] : [];
  const several = judges.length > 1;
  const panel = useReveal<HTMLElement>(`${a.id}:${b.id}:${mode}`);
  return (
    <section className="report-panel" aria-label="Compare two systems" data-testid="report-compare" ref={panel}>
      <PanelHeader onClose={onClose}>
        What changed: {a.name} → {b.name} · {MODE_TITLE[mode]}
      </PanelHeader>
      {compare.error && <p className="form-error">{compare.error.message}</p>}
      {c && (
        <>
          <p className="muted report-note" data-testid="compare-judge">
            {several
              ? `Each judge apart (${judges.join(', ')}): a change is read within one judge's scores.`
              : judges[0]
                ? `Judged by ${judges[0]}.`
                : 'Not judged yet.'}
          </p>
          <table className="report-table">
            <thead>
              <tr>
                <th scope="col">Dimension</th>
                {several && <th scope="col">Judge</th>}
                <th scope="col">{a.name}</th>
                <th scope="col">{b.name}</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {c.changes.map((ch) => (
                <tr key={`${ch.judge}-${ch.dimension}`} data-testid={`change-${ch.dimension}`}>
                  <th scope="row">{ch.dimension}</th>
                  {several && <td>{ch.judge}</td>}
                  <ChangeCell cell={ch.a} />
                  <ChangeCell cell={ch.b} />
                  <td className={ch.delta === null ? 'empty-cell' : ch.delta >= 0 ? 'up' : 'down'}>
                    {ch.delta === null ? '—' : `${ch.delta >= 0 ? '+' : ''}${ch.delta.toFixed(2)}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {c.moved.length > 0 && (
            <>
              <h4>Questions whose scores moved most</h4>
              <ol className="moved">
                {c.moved.slice(0, 10).map((m) => (
                  <li key={`${m.judge}-${m.questionKey}`}>
                    <span className={m.delta >= 0 ? 'up' : 'down'}>
                      {m.before.toFixed(1)} → {m.after.toFixed(1)}
                    </span>{' '}
                    {several && <small className="muted">({m.judge}) </small>}
                    {m.question}
                  </li>
                ))}
              </ol>
            </>
          )}
          <h4>Answers side by side ({c.pairs.length} questions)</h4>
          <div className="pairs">
            {c.pairs.map((p) => (
              <div key={p.questionKey} className="pair" data-testid="report-pair">
                <p className="pair-question">
                  <span className="topic-tag">{p.topicId}</span> {p.question}
                </p>
                <div className="pair-sides">
                  {[p.a, p.b].map((x, i) =>
                    x ? (
                      <AnswerCard key={i} answer={x} open title={(i === 0 ? a : b).name} reasoningOpen={false} />
                    ) : (
                      <p key={i} className="muted">
                        {(i === 0 ? a : b).name} did not answer this question.
                      </p>
                    ),
                  )}
                </div>
              </div>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
