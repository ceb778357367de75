import { describe, expect, it } from 'vitest';
import type { ReportAnswer } from '../../../common/contract';
import { movedQuestions } from '../../../main/core/eval/report-build';

// "Questions whose scores moved most" in a comparison of two systems (the Report's and
// `report --compare`): it listed questions whose score had not moved ("3.0 → 3.0"), and a
// question asked twice in a set twice.

function answer(question: string, scores: Record<string, number | null>): ReportAnswer {
  return {
    questionKey: question.toLowerCase(),
    question,
    topicId: 'topic-1',
    mode: 'single',
    interviewId: `i-${question}`,
    turns: [],
    nonstop: false,
    judgments: Object.entries(scores).map(([dimension, score]) => ({
      dimension,
      score,
      reasoning: '',
      judgeModel: 'judge',
    })),
  };
}

describe('movedQuestions', () => {
  it('lists only questions whose score moved, each once, the largest change first', () => {
    const before = [
      answer('Where were you born?', { memorization: 3, values: 5 }),
      answer('Who was Neefe?', { memorization: 4, values: 4 }),
      answer('Have you ever flown?', { hallucination: 2 }),
      answer('Who was Neefe?', { memorization: 4, values: 4 }),
    ];
    const after = [
      answer('Where were you born?', { memorization: 3, values: 5 }),
      answer('Who was Neefe?', { memorization: 6, values: 5 }),
      answer('Have you ever flown?', { hallucination: 1 }),
    ];
    expect(movedQuestions(before, after, 'judge').map((m) => [m.question, m.before, m.after])).toEqual([
      ['Who was Neefe?', 4, 5.5],
      ['Have you ever flown?', 2, 1],
    ]);
  });

  it('is empty when nothing moved', () => {
    const same = [answer('Where were you born?', { memorization: 3 })];
    expect(movedQuestions(same, same, 'judge')).toEqual([]);
  });
});
