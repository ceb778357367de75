import type { ConnectionCheck } from '../../../../common/contract';

/**
 * A connection check as main reported it: the summary, each step, and the models the endpoint
 * offers as chips; `onPick` takes the chosen model (saved on a card, put into the field in a form).
 */
export function CheckResult({
  check,
  current,
  onPick,
  busy,
}: {
  check: ConnectionCheck;
  current: string;
  onPick: (model: string) => void;
  busy: boolean;
}) {
  // A failed check's summary is its failing step's message; say it once, on the step.
  const failedStep = check.ok ? undefined : check.steps.find((s) => !s.ok && s.message === check.summary);
  return (
    <div className={check.ok ? 'check ok' : 'check bad'} role="status" aria-label="Connection check">
      <p className="check-summary">
        <span aria-hidden="true">{check.ok ? '✓' : '✕'}</span>{' '}
        {failedStep ? `The connection test failed at “${failedStep.name}”:` : check.summary}
      </p>
      <ol className="check-steps">
        {check.steps.map((step) => (
          <li key={step.name} className={step.ok ? 'ok' : 'bad'}>
            <span className="step-mark" aria-label={step.ok ? 'passed' : 'failed'}>
              {step.ok ? '✓' : '✕'}
            </span>
            <span className="step-name">{step.name}</span>
            <span className="step-message">{step.message}</span>
            <span className="muted step-latency">{step.latencyMs} ms</span>
          </li>
        ))}
      </ol>
      {check.models && check.models.length > 0 && (
        <div className="model-list">
          <span className="muted">Models offered — click one to use it:</span>
          <div className="model-chips">
            {check.models.map((m) => (
              <button
                type="button"
                key={m}
                className={m === current ? 'chip selected' : 'chip'}
                aria-pressed={m === current}
                disabled={busy || m === current}
                onClick={() => onPick(m)}
              >
                {m}
              </button>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
