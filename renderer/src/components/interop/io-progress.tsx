import { useCallback, useState } from 'react';
import type { Events } from '../../../../common/contract';
import { invoke, useStudioEvent } from '../../lib/queries';

/** A new id for one export or import, so its progress events and its cancel find it. */
export function newRequestId(): string {
  return `io-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The progress of the request `requestId` (null before its first event). */
export function useIoProgress(requestId: string | null): Events['dataset/io-progress'] | null {
  const [progress, setProgress] = useState<Events['dataset/io-progress'] | null>(null);
  const listener = useCallback(
    (p: Events['dataset/io-progress']) => {
      if (p.requestId === requestId) setProgress(p);
    },
    [requestId],
  );
  useStudioEvent('dataset/io-progress', listener);
  return requestId ? progress : null;
}

/** A running export's or import's line: scenes done (of how many, with a bar when known) and Cancel. */
export function IoProgress({ requestId, verb }: { requestId: string; verb: string }) {
  const progress = useIoProgress(requestId);
  const done = progress?.done ?? 0;
  const total = progress?.total ?? null;
  return (
    <div className="io-progress" role="status">
      <span>
        {verb} {done.toLocaleString('en-US')}
        {total !== null && ` of ${total.toLocaleString('en-US')}`} scenes…
      </span>
      {total !== null && total > 0 && <progress max={total} value={Math.min(done, total)} />}
      <button type="button" className="small" onClick={() => void invoke('dataset/io-cancel', { requestId })}>
        Cancel
      </button>
    </div>
  );
}
