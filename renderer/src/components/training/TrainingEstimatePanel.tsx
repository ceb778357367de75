import type { TrainerEnvironment, TrainingEstimate } from '../../../../common/contract';
import { EstimateFrame } from '../estimate-frame';
import { formatDuration } from '../../lib/format';

/** What a run with these settings will take, before it starts: data, steps and GPU memory. */
export function TrainingEstimatePanel({
  estimate,
  error,
  loading,
  invalid,
  environment,
  effectiveBatch,
}: {
  estimate: TrainingEstimate | null;
  error: string | null;
  loading: boolean;
  invalid: boolean;
  /** The last environment check of the chosen interpreter, if one was run. */
  environment: TrainerEnvironment | null;
  effectiveBatch: number | null;
}) {
  const largest = environment?.ok ? Math.max(0, ...environment.gpus.map((g) => g.memoryGiB)) : null;

  return (
    <EstimateFrame
      label="Training estimate"
      loading={loading}
      invalid={invalid}
      error={error}
      warnings={estimate?.warnings ?? null}
    >
      {estimate && (
        <>
          <dl className="estimate-figures">
            <div>
              <dt>Examples</dt>
              <dd data-testid="estimate-examples">
                {estimate.examples.toLocaleString('en-US')}
                <small>scenes with experiences</small>
              </dd>
            </div>
            <div>
              <dt>Mean length</dt>
              <dd>
                {estimate.meanTokens.toLocaleString('en-US')}
                <small>tokens, roughly</small>
              </dd>
            </div>
            <div>
              <dt>Optimizer steps</dt>
              <dd data-testid="estimate-steps">
                {estimate.steps.toLocaleString('en-US')}
                {effectiveBatch !== null && <small>{effectiveBatch} scenes a step</small>}
              </dd>
            </div>
            <div>
              <dt>GPU memory</dt>
              <dd data-testid="estimate-memory">
                {estimate.memoryGiB > 0 ? `≈ ${estimate.memoryGiB.toLocaleString('en-US')} GiB` : 'unknown'}
                <small>
                  {largest === null
                    ? 'run the check to compare'
                    : largest === 0
                      ? 'no GPU found: CPU'
                      : `largest GPU: ${largest} GiB`}
                </small>
              </dd>
            </div>
            <div className="span-2">
              <dt>Time</dt>
              <dd data-testid="estimate-time">
                {estimate.seconds === null ? 'unknown' : `≈ ${formatDuration(estimate.seconds)}`}
                <small>
                  {estimate.speedBasis ??
                    (estimate.memoryGiB > 0
                      ? 'check the environment (or test the server) to estimate it'
                      : 'a quick trial run measures the speed')}
                  {' · '}
                  {estimate.tokens >= 1e6
                    ? `${(estimate.tokens / 1e6).toLocaleString('en-US', { maximumFractionDigits: 1 })}M`
                    : estimate.tokens.toLocaleString('en-US')}{' '}
                  tokens
                </small>
              </dd>
            </div>
          </dl>
        </>
      )}
    </EstimateFrame>
  );
}
