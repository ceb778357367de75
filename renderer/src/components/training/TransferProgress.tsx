import type { TrainingTransfer } from '../../../../common/contract';
import { transferLabel } from './training-form';

/** "Downloading Qwen/Qwen2.5-0.5B: 312 MB of 988 MB" with a bar, while a run's phase moves bytes. */
export function TransferProgress({ transfer }: { transfer: TrainingTransfer }) {
  const total = transfer.totalBytes;
  const percent = total ? Math.min(100, Math.round((transfer.doneBytes / total) * 100)) : null;
  const label = transferLabel(transfer);
  return (
    <div className="job-transfer" data-testid="run-transfer">
      <div
        className="bar"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total ?? undefined}
        aria-valuenow={transfer.doneBytes}
      >
        <div className="bar-done" style={{ width: `${percent ?? 0}%` }} />
      </div>
      <div className="job-figures">
        <span>{label}</span>
        {percent !== null && <strong>{percent}%</strong>}
        {transfer.filesTotal !== null && (
          <span>
            {transfer.filesDone ?? 0} of {transfer.filesTotal} files
          </span>
        )}
      </div>
    </div>
  );
}
