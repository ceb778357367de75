import { useCallback, useState } from 'react';
import type { TrainerEnvironment } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { useCommand, useStudioEvent } from '../../lib/queries';
import { DoctorResult } from './DoctorResult';

/**
 * Creates the studio's own Python environment for the trainer (in the data folder, from the pinned
 * requirements), showing pip's progress as it goes. The first run downloads PyTorch: minutes.
 */
export function PythonSetup() {
  const setup = useCommand('training/setup', { quiet: true });
  const [lines, setLines] = useState<string[]>([]);
  const [result, setResult] = useState<TrainerEnvironment | null>(null);
  const [error, setError] = useState<string | null>(null);
  const onLine = useCallback((payload: { line: string }) => setLines((old) => [...old.slice(-199), payload.line]), []);
  useStudioEvent('training/setup-progressed', onLine);

  const run = () => {
    setLines([]);
    setResult(null);
    setError(null);
    setup.mutate({ basePython: '' }, { onSuccess: setResult, onError: (e) => setError(messageOf(e)) });
  };

  return (
    <div className="python-setup">
      <button type="button" onClick={run} disabled={setup.isPending}>
        {setup.isPending ? 'Setting up Python…' : "Set up the studio's Python"}
      </button>
      <small>
        Creates a Python environment with PyTorch, transformers and peft in the studio&apos;s data folder (needs Python
        3.10+ and internet the first time; a few minutes).
      </small>
      {lines.length > 0 && (
        <pre className="log-lines" aria-label="Python setup progress">
          {lines.slice(-12).join('\n')}
        </pre>
      )}
      {(result || error) && <DoctorResult environment={result} error={error} checking={false} />}
    </div>
  );
}
