import type { CharacterId, InterviewId, Judgment } from '../../../../common/contract';
import { judgeNameOf } from '../../../../common/judge-name';
import { useInterviewJudgments } from '../../lib/judge-queries';
import { DIMENSION_LABEL, DIMENSIONS } from './judge-format';
import '../../judge.css';

/**
 * The judge's verdicts on one interview, under its transcript: per dimension the score (or
 * UNSCORED with each unreadable answer's reason) by every judge that scored it, and the judge's
 * reasoning a click away.
 */
export function TranscriptJudgments({
  characterId,
  interviewId,
}: {
  characterId: CharacterId;
  interviewId: InterviewId;
}) {
  const judgments = useInterviewJudgments(characterId, interviewId).data ?? [];
  if (judgments.length === 0) return null;
  const ordered = [...judgments].sort(
    (a, b) => DIMENSIONS.indexOf(a.dimension) - DIMENSIONS.indexOf(b.dimension) || a.createdAt - b.createdAt,
  );
  return (
    <section className="judge-verdicts" aria-label="Judge's scores">
      <h3>Judge’s scores</h3>
      <ul>
        {ordered.map((j) => (
          <Verdict key={j.id} judgment={j} />
        ))}
      </ul>
    </section>
  );
}

function Verdict({ judgment: j }: { judgment: Judgment }) {
  return (
    <li className="judge-verdict">
      <details>
        <summary>
          <span className="judge-dimension">{DIMENSION_LABEL[j.dimension]}</span>
          {j.score === null ? (
            <span className="judge-score unscored" title="The judge never gave a readable score">
              unscored
            </span>
          ) : (
            <span className="judge-score" aria-label={`score ${j.score} of 7`}>
              {j.score}
              <span className="muted">/7</span>
            </span>
          )}
          <span className="muted">
            {judgeNameOf(j.model, j.promptVersion)}
            {j.failures.length > 0 && ` · ${j.failures.length} unreadable answer${j.failures.length === 1 ? '' : 's'}`}
          </span>
        </summary>
        {j.reasoning && <p className="judge-reasoning">{j.reasoning}</p>}
        {j.failures.length > 0 && (
          <ol className="judge-failures">
            {j.failures.map((f) => (
              <li key={f.callId}>
                <span className="pill subtle">ask {f.attempt}</span> {f.message}
              </li>
            ))}
          </ol>
        )}
      </details>
    </li>
  );
}
