import type { PairCounts, PairOutcome, PairSide } from './contract';

/**
 * How a pair asked in both orders counts, in the Judge tab, the report and the CLI alike: a system
 * wins only when the judge prefers it in both orders; a pair whose two orders disagree (position
 * bias or indecision) counts as a tie, and how many ties are such pairs is shown beside them. This
 * is the conservative rule of pairwise LLM judging (Zheng et al. 2023, "Judging LLM-as-a-judge");
 * the Character-LLM paper itself scores 1–7 only, so this is the faithful reading for the
 * comparison it does not make. One implementation: every count of pairs goes through `countPairs`.
 */
export const PAIRWISE_RULE =
  'A system wins a pair only when the judge prefers it in both orders; when the two orders disagree the pair counts as a tie.';

/** The pair's result from both orders; null while either is missing or unreadable (unscored). */
export function pairOutcome(ab: PairSide | null, ba: PairSide | null): PairOutcome | null {
  if (ab === null || ba === null) return null;
  return ab === ba ? ab : 'inconsistent';
}

/** Counts the outcomes of many pairs (null: unscored) by PAIRWISE_RULE. */
export function countPairs(outcomes: Iterable<PairOutcome | null>): PairCounts {
  const c: PairCounts = { pairs: 0, aWins: 0, ties: 0, bWins: 0, inconsistent: 0, unscored: 0 };
  for (const o of outcomes) {
    if (o === null) {
      c.unscored++;
      continue;
    }
    c.pairs++;
    if (o === 'a') c.aWins++;
    else if (o === 'b') c.bWins++;
    else {
      c.ties++;
      if (o === 'inconsistent') c.inconsistent++;
    }
  }
  return c;
}
