import type { GenerationEstimate, GenerationPlan, Provider } from '../../../../common/contract';
import { EstimateFrame } from '../estimate-frame';
import { useUi } from '../../state/ui';
import { formatDuration, formatTokens, formatUsd } from '../../lib/format';
import { STAGE_LABEL } from './job-labels';
import { isLocal } from './settings-form';
import '../../presets.css';

/** What a run with these settings will take: calls, tokens, money and time, before it starts. */
export function EstimatePanel({
  estimate,
  error,
  loading,
  invalid,
  provider,
}: {
  estimate: GenerationEstimate | null;
  error: string | null;
  loading: boolean;
  invalid: boolean;
  provider: Provider | null;
}) {
  const openSettings = useUi((s) => s.openSettings);
  const local = provider ? isLocal(provider) : false;

  return (
    <EstimateFrame
      label="Estimate"
      loading={loading}
      invalid={invalid}
      error={error}
      warnings={estimate?.warnings ?? null}
    >
      {estimate && (
        <>
          <dl className="estimate-figures">
            <div className="wide">
              <dt>Scenes</dt>
              <dd data-testid="estimate-scenes">
                {scenesText(estimate.plan)}
                <small>
                  {estimate.plan.scenesAsked.toLocaleString('en-US')} asked in{' '}
                  {estimate.plan.sceneCalls.toLocaleString('en-US')} calls · {estimate.plan.protectiveScenes} protective
                </small>
              </dd>
            </div>
            <div>
              <dt>LLM calls</dt>
              <dd data-testid="estimate-calls">{estimate.calls.toLocaleString('en-US')}</dd>
            </div>
            <div>
              <dt>Tokens</dt>
              <dd
                title={`${estimate.promptTokens.toLocaleString('en-US')} prompt + ${estimate.completionTokens.toLocaleString('en-US')} completion`}
              >
                {formatTokens(estimate.promptTokens + estimate.completionTokens)}
                <small>
                  {formatTokens(estimate.promptTokens)} in · {formatTokens(estimate.completionTokens)} out
                </small>
              </dd>
            </div>
            <div>
              <dt>Cost</dt>
              <dd data-testid="estimate-cost">
                {estimate.costUsd === 0 && local ? (
                  'free (local)'
                ) : estimate.costUsd !== null ? (
                  `≈ ${formatUsd(estimate.costUsd)}`
                ) : (
                  <span className="unknown">
                    unknown
                    <small>
                      No price for <code>{provider?.model}</code>.{' '}
                      <button className="link small" onClick={() => openSettings(true)}>
                        Add one
                      </button>
                    </small>
                  </span>
                )}
              </dd>
            </div>
            <div>
              <dt>Time</dt>
              <dd>
                ≈ {formatDuration(estimate.seconds)}
                <small data-testid="estimate-time-basis">
                  {provider && provider.kind !== 'embedded' && `${provider.maxConcurrency} at a time · `}
                  {estimate.timeBasis}
                </small>
              </dd>
            </div>
          </dl>
          <table className="estimate-stages">
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">Calls</th>
                <th scope="col">Tokens in</th>
                <th scope="col">Tokens out</th>
              </tr>
            </thead>
            <tbody>
              {estimate.stages.map((s) => (
                <tr key={s.stage}>
                  <th scope="row">{STAGE_LABEL[s.stage]}</th>
                  <td>{s.calls.toLocaleString('en-US')}</td>
                  <td>{formatTokens(s.promptTokens)}</td>
                  <td>{formatTokens(s.completionTokens)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </EstimateFrame>
  );
}

/** Scenes the run should end with: exact for the studio's plan, a range where answers decide. */
function scenesText(plan: GenerationPlan): string {
  const { low, high } = plan.expectedScenes;
  return low === high ? low.toLocaleString('en-US') : `${low.toLocaleString('en-US')}–${high.toLocaleString('en-US')}`;
}
