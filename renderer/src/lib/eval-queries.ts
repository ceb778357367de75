import { useQuery } from '@tanstack/react-query';
import type { CharacterId, InterviewFilter, InterviewId, QuestionSetId } from '../../../common/contract';
import { invoke, queryClient } from './queries';
import { studio } from './studio';

/**
 * The Evaluate tab's queries (question sets, systems, interviews), keyed `[command, arg]` like
 * every other, and the events that keep them in step with the store.
 */

export const useQuestionSets = (characterId: CharacterId) =>
  useQuery({
    queryKey: ['eval/questions/list', { characterId }],
    queryFn: () => invoke('eval/questions/list', { characterId }),
  });

export const useQuestionSet = (setId: QuestionSetId | null, version?: number) => {
  const arg = { setId: setId ?? ('' as QuestionSetId), ...(version !== undefined && { version }) };
  return useQuery({
    queryKey: ['eval/questions/get', arg],
    queryFn: () => invoke('eval/questions/get', arg),
    enabled: setId !== null,
  });
};

export const useEvalSystems = (characterId: CharacterId) =>
  useQuery({
    queryKey: ['eval/systems/list', { characterId }],
    queryFn: () => invoke('eval/systems/list', { characterId }),
  });

export const useInterviews = (filter: InterviewFilter, enabled = true) =>
  useQuery({
    queryKey: ['eval/interviews/list', filter],
    queryFn: () => invoke('eval/interviews/list', filter),
    enabled,
  });

export const useInterview = (id: InterviewId | null) =>
  useQuery({
    queryKey: ['eval/interviews/get', { id }],
    queryFn: () => invoke('eval/interviews/get', { id: id! }),
    enabled: id !== null,
  });

/** Interview rounds land one by one while a job runs: refetch what shows them at most every 500 ms. */
let pending: ReturnType<typeof setTimeout> | null = null;
const touched = new Set<string>();

export function subscribeToEvalEvents(): () => void {
  const offs = [
    studio().on('eval/questions/changed', ({ characterId, setId }) => {
      void queryClient.invalidateQueries({ queryKey: ['eval/questions/list', { characterId }] });
      void queryClient.invalidateQueries({ queryKey: ['eval/questions/get', { setId }] });
    }),
    studio().on('eval/systems/changed', ({ characterId }) => {
      void queryClient.invalidateQueries({ queryKey: ['eval/systems/list', { characterId }] });
    }),
    studio().on('eval/interviews/changed', ({ characterId, interviewId }) => {
      touched.add(interviewId);
      pending ??= setTimeout(() => {
        pending = null;
        void queryClient.invalidateQueries({ queryKey: ['eval/interviews/list', { characterId }] });
        void queryClient.invalidateQueries({ queryKey: ['eval/systems/list', { characterId }] });
        for (const id of touched) void queryClient.invalidateQueries({ queryKey: ['eval/interviews/get', { id }] });
        touched.clear();
      }, 500);
    }),
  ];
  return () => offs.forEach((off) => off());
}
