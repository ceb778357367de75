import type { InterviewTurn } from '../../../common/contract';

/**
 * An interview as plain text for an LLM to read (the judge, a report's export): one line per turn
 * in the paper's `Name (action): text` form, turns in order, a `[cut off]` mark where an answer
 * was unfinished. `thoughts: false` leaves the character's thinking out (what an interlocutor hears).
 */
export function transcriptText(turns: readonly InterviewTurn[], options: { thoughts: boolean }): string {
  return turns
    .filter((t) => options.thoughts || t.action !== 'thinking')
    .map((t) => `${t.speaker} (${t.action}): ${t.text}${t.nonstop ? ' [cut off]' : ''}`)
    .join('\n');
}
