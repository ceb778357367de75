import { useEffect, useState } from 'react';
import type { TrainingRun } from '../../../../common/contract';
import { useUi } from '../../state/ui';
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
            <CopyButton text={a.path} label={`Copy the path of ${a.label}`} />
          </li>
        ))}
      </ul>
      {Object.keys(run.outputs).length === 0 && (
        <p className="muted">Checkpoints, the adapter and the manifest are listed here as the trainer writes them.</p>
      )}
    </section>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const toast = useUi((s) => s.toast);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);

  const onCopy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      toast({ kind: 'error', text: 'The clipboard is not available here: select the path and copy it by hand.' });
    }
  };
  return (
    <button className="small ghost copy" aria-label={label} onClick={() => void onCopy()}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}
