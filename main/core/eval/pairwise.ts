import type { PairOrder, PairOutcome, PairSide } from '../../../common/contract';
import type { PairwiseVerdict } from './judge-parse';

/**
 * Pairwise judging asks every pair twice: once with system A's answer shown first (`ab`) and once
 * with system B's first (`ba`). A judge with a position bias (preferring whatever is shown first)
 * then contradicts itself and the pair is `inconsistent` instead of a win for whoever came first.
 *
 * `1` / `2` name a position; `winnerOf` undoes the swap so both orders speak of systems.
 */
export const PAIR_ORDERS: readonly PairOrder[] = ['ab', 'ba'];

/** Which system won in one order: position 1 is A in `ab` and B in `ba`. */
export function winnerOf(order: PairOrder, verdict: PairwiseVerdict): PairSide {
  if (verdict === 'tie') return 'tie';
  const firstWon = verdict === '1';
  return firstWon === (order === 'ab') ? 'a' : 'b';
}

/** The pair's result from both orders; null while either is missing or unreadable (unscored). */
export function pairOutcome(ab: PairSide | null, ba: PairSide | null): PairOutcome | null {
  if (ab === null || ba === null) return null;
  return ab === ba ? ab : 'inconsistent';
}
