import type { TrainerEnvironment } from '../../../../common/contract';

/** What `training/doctor` found in the interpreter: versions and GPUs, or what is wrong with it. */
export function DoctorResult({
  environment,
  error,
  checking,
}: {
  environment: TrainerEnvironment | null;
  error: string | null;
  checking: boolean;
}) {
  if (checking && !environment) {
    return (
      <p className="muted doctor-checking" role="status">
        Starting Python and importing torch; this takes a few seconds…
      </p>
    );
  }
  if (error) {
    return (
      <div className="check bad doctor" role="status" aria-label="Environment check">
        <p className="check-summary">The check could not run</p>
        <p className="doctor-detail">{error}</p>
      </div>
    );
  }
  if (!environment) return null;
  if (!environment.ok) {
    return (
      <div className="check bad doctor" role="status" aria-label="Environment check">
        <p className="check-summary">This Python cannot train yet</p>
        <p className="doctor-detail">{environment.summary}</p>
        <p className="muted doctor-path">
          Checked <code>{environment.python}</code>
        </p>
      </div>
    );
  }
  return (
    <div className={checking ? 'check doctor loading' : 'check doctor'} role="status" aria-label="Environment check">
      <p className="check-summary">Ready to train</p>
      <dl className="doctor-facts">
        <div>
          <dt>Python</dt>
          <dd>
            <code>{environment.python}</code>
          </dd>
        </div>
        <div>
          <dt>PyTorch</dt>
          <dd>{environment.torch ?? 'not found'}</dd>
        </div>
        <div>
          <dt>GPUs</dt>
          <dd>
            {environment.gpus.length === 0 ? (
              <span className="doctor-warn">None: CPU only, which suits only tiny models</span>
            ) : (
              <ul className="gpu-list">
                {environment.gpus.map((g, i) => (
                  <li key={`${g.name}-${i}`}>
                    {g.name} <span className="muted">· {g.memoryGiB} GiB</span>
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
        <div>
          <dt>bf16</dt>
          <dd>
            {environment.bf16
              ? 'supported: trains in bf16'
              : environment.cuda
                ? 'not on this GPU: trains in fp16'
                : 'no GPU: trains in fp32'}
          </dd>
        </div>
      </dl>
    </div>
  );
}
