/**
 * How a pair asked in both orders counts in reports: a system wins only when the judge prefers it
 * in both orders; a pair whose two orders disagree (position bias or indecision) counts as a tie,
 * and how many ties are such pairs is shown beside them. This is the conservative rule of pairwise
 * LLM judging (Zheng et al. 2023, "Judging LLM-as-a-judge"); the Character-LLM paper itself scores
 * 1–7 only, so this is the faithful reading for the comparison it does not make.
 */
export const PAIRWISE_RULE =
  'A system wins a pair only when the judge prefers it in both orders; when the two orders disagree the pair counts as a tie.';
