import type { FormatProblem, FormatProblemCode } from '../../../../common/contract';
import '../../dataset.css';

/** Short names of the problem codes a stored experience can carry, for badges and totals. */
export const PROBLEM_LABELS: Record<FormatProblemCode, string> = {
  other_thinking: 'thinking by another speaker',
  unlabeled_turn: 'turn without a label',
  unknown_kind: 'turn of an unknown kind',
  empty_turn: 'empty turn',
  unreadable_turn: 'unreadable turn',
  no_background: 'no background',
  malformed_answer: 'malformed answer',
  incomplete_scene: 'incomplete scene',
  no_scenes: 'no scenes',
  no_turns: 'no turns',
  no_main_character: 'character absent',
  truncated: 'cut off',
};

/** "2 thinking by another speaker, 1 turn without a label": a count per code, most frequent first. */
export function summarizeProblems(counts: Partial<Record<FormatProblemCode, number>>): string {
  return (Object.entries(counts) as [FormatProblemCode, number][])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${n} ${PROBLEM_LABELS[code]}`)
    .join(', ');
}

/** The badge on a scene in the list: how many format problems its experience has, by code in the title. */
export function ProblemBadge({ counts }: { counts: Partial<Record<FormatProblemCode, number>> }) {
  const total = Object.values(counts).reduce((n, c) => n + c, 0);
  if (total === 0) return null;
  return (
    <span className="badge problem" title={`Did not fit the format: ${summarizeProblems(counts)}`}>
      {total} problem{total === 1 ? '' : 's'}
    </span>
  );
}

/**
 * What in the model's answer did not fit the format, above the transcript. Each problem names the
 * turn it concerns (the turn is also marked in the transcript); text that could not be kept as a
 * turn is shown as the model wrote it.
 */
export function ProblemList({ problems }: { problems: readonly FormatProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <section className="format-problems" aria-label="Format problems">
      <h4>
        {problems.length} part{problems.length === 1 ? '' : 's'} of the answer did not fit the format
      </h4>
      <ul>
        {problems.map((p, i) => (
          <li key={i}>
            <span className="badge problem">{PROBLEM_LABELS[p.code]}</span>{' '}
            {p.turn !== null && <strong>Turn {p.turn + 1}: </strong>}
            {p.message}
            {p.turn === null && p.raw.trim() !== '' && (
              <details>
                <summary>As written</summary>
                <pre>{p.raw}</pre>
              </details>
            )}
          </li>
        ))}
      </ul>
      {problems.some((p) => p.code === 'other_thinking') && (
        <p className="muted">
          Only the character may think. Thinking turns by others stay here as the model wrote them; the training export
          leaves them out.
        </p>
      )}
    </section>
  );
}
