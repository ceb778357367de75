import type { JudgeDimension } from './contract';

/** The paper's five criteria in its order (METHOD.md §3); stability applies to multi-turn interviews only. */
export const JUDGE_DIMENSIONS: readonly JudgeDimension[] = [
  'memorization',
  'values',
  'personality',
  'hallucination',
  'stability',
];

/** How each dimension is named to a person. */
export const DIMENSION_LABEL: Readonly<Record<JudgeDimension, string>> = {
  memorization: 'Memorization',
  values: 'Values',
  personality: 'Personality',
  hallucination: 'Hallucination',
  stability: 'Stability',
};
