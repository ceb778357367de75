import { useQuery } from '@tanstack/react-query';
import type { CharacterId, EvalSystemId, InterviewId, Job } from '../../../common/contract';
import { invoke, queryClient } from './queries';
import { studio } from './studio';

/**
 * The judge's queries (scores, pairwise comparisons), keyed `[command, arg]` like every other, and
 * the events that keep them in step: a judge job's progress (verdicts land one by one) and its end.
 */

export const useScoreSummary = (characterId: CharacterId) =>
  useQuery({
    queryKey: ['eval/judgments/summary', { characterId }],
    queryFn: () => invoke('eval/judgments/summary', { characterId }),
  });

/** Every judge's verdicts on one interview (the transcript's drill-down). */
export const useInterviewJudgments = (characterId: CharacterId, interviewId: InterviewId) =>
  useQuery({
    queryKey: ['eval/judgments/list', { characterId, interviewId }],
    queryFn: () => invoke('eval/judgments/list', { characterId, interviewId }),
  });

export const usePairwiseSummary = (characterId: CharacterId, pair: { a: EvalSystemId; b: EvalSystemId } | null) =>
  useQuery({
    queryKey: ['eval/pairwise/summary', { characterId, systemA: pair?.a, systemB: pair?.b }],
    queryFn: () => invoke('eval/pairwise/summary', { characterId, systemA: pair!.a, systemB: pair!.b }),
    enabled: pair !== null,
  });

/** A running judge job stores verdicts all the time: refetch what shows them at most once a second. */
let pending: ReturnType<typeof setTimeout> | null = null;
const touched = new Set<CharacterId>();

function refresh(characterId: CharacterId): void {
  touched.add(characterId);
  pending ??= setTimeout(() => {
    pending = null;
    for (const id of touched)
      for (const command of ['eval/judgments/summary', 'eval/judgments/list', 'eval/pairwise/summary'])
        void queryClient.invalidateQueries({ queryKey: [command, { characterId: id }] });
    touched.clear();
  }, 1_000);
}

export function subscribeToJudgeEvents(): () => void {
  const offs = [
    studio().on('jobs/progressed', (job: Job) => {
      if (job.kind === 'judge') refresh(job.characterId);
    }),
    studio().on('eval/judgments/changed', ({ characterId }) => refresh(characterId)),
  ];
  return () => offs.forEach((off) => off());
}
