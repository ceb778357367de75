import { useEffect, useRef } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { Events, RunId, TrainingLog } from '../../../common/contract';
import { invoke, queryClient } from './queries';
import { studio } from './studio';

/** The lines a log view holds: the stored log's last ones, then the live ones. */
export const TRAINING_LOG_LINES = 1_000;
/** How often an open log of a live run is read again: its trainer may run in another process. Milliseconds. */
const LIVE_REFRESH_MS = 2_000;

/** A run's log as the view holds it; a live line that is not kept (a model server's) has no `seq`. */
export interface ShownLog extends Omit<TrainingLog, 'lines'> {
  lines: { seq: number | null; line: string }[];
}

const keyOf = (runId: RunId) => ['training/log', { runId }] as const;

/**
 * The run's trainer log (training/log), loaded when the view opens or the run is live, after a
 * reload too; live lines are added by `storeLoggedLine`. While an open run is live it is read again
 * every LIVE_REFRESH_MS, since a run another process trains sends no events here.
 */
export function useTrainingLog(runId: RunId, open: boolean, live: boolean) {
  // A run that has just ended is read once more: its last lines (a traceback) may be another process's.
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live) void queryClient.invalidateQueries({ queryKey: keyOf(runId) });
    wasLive.current = live;
  }, [live, runId]);
  return useQuery({
    queryKey: keyOf(runId),
    queryFn: async (): Promise<ShownLog> => invoke('training/log', { runId, limit: TRAINING_LOG_LINES }),
    enabled: open || live,
    staleTime: live ? 0 : Infinity,
    refetchInterval: open && live ? LIVE_REFRESH_MS : false,
  });
}

/**
 * A `training/logged` event into the cached log: a stored line joins after the last one by its
 * number (one already there is skipped); a line missing between them, or a line while the log is
 * still loading, has it read again, so the view has neither duplicates nor gaps.
 */
export function storeLoggedLine({ runId, line, seq }: Events['training/logged']): void {
  const key = keyOf(runId);
  if (!queryClient.getQueryState(key)) return; // no view has asked for it: loaded whole when one does
  const log = queryClient.getQueryData<ShownLog>(key);
  const last = log?.lines.findLast((l) => l.seq !== null)?.seq ?? log?.total ?? 0;
  if (!log || (seq !== null && seq > last + 1)) {
    void queryClient.invalidateQueries({ queryKey: key });
    return;
  }
  if (seq !== null && seq <= last) return;
  queryClient.setQueryData<ShownLog>(key, {
    ...log,
    lines: [...log.lines, { seq, line }].slice(-TRAINING_LOG_LINES),
    total: seq ?? log.total,
  });
}

/** Keeps the cached logs in step with `training/logged`; returns the unsubscribe. */
export function subscribeToTrainingLogEvents(): () => void {
  return studio().on('training/logged', storeLoggedLine);
}
