import type { StageEstimate } from '../../../common/contract';
import type { CallPace } from '../../store/call-records-repo';

/** Answered calls a measured pace needs before the estimate trusts it over the typical speed. */
export const MIN_MEASURED_CALLS = 5;

/** Where a provider's speed comes from when nothing was measured: tokens a second, per request. */
export const TYPICAL_SPEED = {
  embedded: { tokensPerSecond: 10, what: 'a model in the studio' },
  hosted: { tokensPerSecond: 60, what: 'a hosted API' },
  local: { tokensPerSecond: 25, what: 'a local server' },
} as const;

/** What a request costs beyond its tokens (connection, queueing, the prompt's reading), seconds. */
const TYPICAL_OVERHEAD_S = 1.5;

export interface TimeEstimate {
  seconds: number;
  /** Where the speed comes from, in words: measured on this provider's calls, or typical of its kind. */
  basis: string;
}

/**
 * The wall time of `stages` at `parallel` requests at a time. With `pace` (this provider's and
 * model's latest answered calls, at least MIN_MEASURED_CALLS), a completion token takes what it
 * took them, the requests' overhead included; otherwise a typical speed for the kind of provider,
 * plus a typical overhead per request.
 */
export function estimateTime(
  stages: readonly StageEstimate[],
  parallel: number,
  kind: keyof typeof TYPICAL_SPEED,
  model: string,
  pace: CallPace | null,
): TimeEstimate {
  const lanes = Math.max(1, parallel);
  if (pace && pace.calls >= MIN_MEASURED_CALLS && pace.completionTokens > 0) {
    const secondsPerToken = pace.latencyMs / 1000 / pace.completionTokens;
    const work = stages.reduce((sum, s) => sum + s.completionTokens * secondsPerToken, 0);
    const perRequest = Math.round(pace.completionTokens / (pace.latencyMs / 1000));
    return {
      seconds: Math.ceil(work / lanes),
      basis: `measured: ${perRequest.toLocaleString('en-US')} tokens/s a request over the last ${pace.calls.toLocaleString('en-US')} answers of ${model}`,
    };
  }
  const typical = TYPICAL_SPEED[kind];
  const work = stages.reduce(
    (sum, s) => sum + s.calls * TYPICAL_OVERHEAD_S + s.completionTokens / typical.tokensPerSecond,
    0,
  );
  return {
    seconds: Math.ceil(work / lanes),
    basis: `typical of ${typical.what} (${typical.tokensPerSecond} tokens/s a request) until a run measures ${model}`,
  };
}
