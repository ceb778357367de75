import type { PairOrder, PairSide } from '../../../common/contract';
import type { PairwiseVerdict } from './judge-parse';

/**
 * Pairwise judging asks every pair twice: once with system A's answer shown first (`ab`) and once
 * with system B's first (`ba`). A judge with a position bias (preferring whatever is shown first)
 * then contradicts itself and the pair is `inconsistent` instead of a win for whoever came first.
 *
 * `1` / `2` name a position; `winnerOf` undoes the swap so both orders speak of systems; how the two
 * orders make one outcome is `pairOutcome` (common/pairwise-rule.ts).
 */
export const PAIR_ORDERS: readonly PairOrder[] = ['ab', 'ba'];

/** Which system won in one order: position 1 is A in `ab` and B in `ba`. */
export function winnerOf(order: PairOrder, verdict: PairwiseVerdict): PairSide {
  if (verdict === 'tie') return 'tie';
  const firstWon = verdict === '1';
  return firstWon === (order === 'ab') ? 'a' : 'b';
}
