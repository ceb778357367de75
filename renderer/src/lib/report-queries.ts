import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { EvalReportRequest } from '../../../common/contract';
import { invoke, queryClient } from './queries';
import { studio } from './studio';

/** The Report's queries: `eval/report`, its drill-down and comparison, kept in step by events. */
const REPORT_KEYS = ['eval/report', 'eval/report-answers', 'eval/report-compare'] as const;

export const useEvalReport = (arg: EvalReportRequest) =>
  useQuery({
    queryKey: ['eval/report', arg],
    queryFn: () => invoke('eval/report', arg),
    placeholderData: keepPreviousData,
  });

let pending: ReturnType<typeof setTimeout> | null = null;

/** Systems, interviews and judgments change a report: refetch what shows one, at most every second. */
export function subscribeToReportEvents(): () => void {
  const stale = () => {
    pending ??= setTimeout(() => {
      pending = null;
      for (const key of REPORT_KEYS) void queryClient.invalidateQueries({ queryKey: [key] });
    }, 1000);
  };
  const offs = [
    studio().on('eval/systems/changed', stale),
    studio().on('eval/interviews/changed', stale),
    studio().on('eval/judgments/changed', stale),
  ];
  return () => offs.forEach((off) => off());
}
