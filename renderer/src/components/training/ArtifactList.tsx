import type { TrainingRun } from '../../../../common/contract';
import { CopyButton } from '../copy-button';
import { artifacts } from '../../../../common/training-text';

/** What the run has written, as paths on the training machine, each with a copy button. */
export function ArtifactList({ run }: { run: TrainingRun }) {
  const items = artifacts(run);
  return (
    <section className="artifacts" aria-label="Artifacts">
      <h3>Artifacts</h3>
      <ul>
        {items.map((a) => (
          <li key={a.kind} data-kind={a.kind}>
            <span className="artifact-label">{a.label}</span>
            {/* Right to left so a long path loses its start, not its telling end; the path itself stays LTR. */}
            <code className="artifact-path" title={a.path}>
              <bdi dir="ltr">{a.path}</bdi>
            </code>
            <CopyButton text={a.path} label={`Copy the path of ${a.label}`} what="the path" />
          </li>
        ))}
      </ul>
      {Object.keys(run.outputs).length === 0 && (
        <p className="muted">Checkpoints, the adapter and the manifest are listed here as the trainer writes them.</p>
      )}
    </section>
  );
}
