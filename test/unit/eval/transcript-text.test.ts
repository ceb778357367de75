import { describe, expect, it } from 'vitest';
import type { InterviewId, InterviewTurn } from '../../../common/contract';
import { transcriptText } from '../../../main/core/eval/transcript-text';

function turn(seq: number, patch: Partial<InterviewTurn>): InterviewTurn {
  return {
    id: `t${seq}`,
    interviewId: 'i' as InterviewId,
    round: 1,
    seq,
    role: 'character',
    speaker: 'Beethoven',
    action: 'speaking',
    rawAction: null,
    text: '',
    nonstop: false,
    source: null,
    callId: null,
    createdAt: 0,
    ...patch,
  };
}

describe('transcriptText', () => {
  const turns = [
    turn(0, { role: 'interviewer', speaker: 'Man', text: 'What of Haydn?' }),
    turn(1, { action: 'thinking', text: 'That old man.' }),
    turn(2, { text: 'He taught me little', nonstop: true }),
  ];

  it("writes the paper's Name (action): text lines, thoughts and a cut answer marked", () => {
    expect(transcriptText(turns, { thoughts: true })).toBe(
      'Man (speaking): What of Haydn?\nBeethoven (thinking): That old man.\nBeethoven (speaking): He taught me little [cut off]',
    );
  });

  it('leaves the thoughts out when asked', () => {
    expect(transcriptText(turns, { thoughts: false })).toBe(
      'Man (speaking): What of Haydn?\nBeethoven (speaking): He taught me little [cut off]',
    );
  });
});
