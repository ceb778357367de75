import { useCallback, useState } from 'react';
import type { CommandArg, CommandResult, Events } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke, useCommand, useStudioEvent } from '../../lib/queries';

/** A new id for one export or import, so its progress events and its cancel find it. */
export function newRequestId(): string {
  return `io-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Runs an export or import under a fresh request id (for its progress and Cancel) and keeps its
 * report or its error for the dialog. `arg` builds the command's argument for that id.
 */
export function useIoRun<K extends 'dataset/export' | 'dataset/import'>(name: K) {
  const run = useCommand(name, { quiet: true });
  const [requestId, setRequestId] = useState<string | null>(null);
  const [report, setReport] = useState<CommandResult<K> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const start = async (arg: (requestId: string) => Promise<CommandArg<K>> | CommandArg<K>) => {
    setError(null);
    const id = newRequestId();
    setRequestId(id);
    try {
      setReport(await run.mutateAsync(await arg(id)));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setRequestId(null);
    }
  };
  return { requestId, report, error, setError, pending: run.isPending, start };
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

/** A finished export's or import's notices (what its rules did), and Done. */
export function IoNotices({ notices, onDone }: { notices: string[]; onDone: () => void }) {
  return (
    <>
      {notices.map((n) => (
        <p key={n} className="io-notice">
          {n}
        </p>
      ))}
      <div className="actions">
        <button className="primary" type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </>
  );
}
