import { useEffect, useRef, useState } from 'react';
import type { RunId } from '../../../../common/contract';
import { TRAINING_LOG_LINES, useTrainingLog } from '../../lib/training-log-queries';

/**
 * The trainer's log of the run: the stored lines (whichever process trained it, after a reload
 * too), then live ones as they arrive, newest at the bottom; it follows new lines unless the user
 * has scrolled up to read.
 */
export function LogView({ runId, live }: { runId: RunId; live: boolean }) {
  const [open, setOpen] = useState(false);
  const log = useTrainingLog(runId, open, live).data;
  const lines = log?.lines ?? [];
  const pre = useRef<HTMLPreElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    const el = pre.current;
    if (open && el && follow.current) el.scrollTop = el.scrollHeight;
  }, [log, open]);

  const earlier = log ? log.total - log.leftOut - lines.filter((l) => l.seq !== null).length : 0;
  return (
    <details className="run-log" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        Trainer log{' '}
        <span className="muted">
          {lines.length === 0
            ? live
              ? '(waiting for output)'
              : log
                ? '(nothing logged)'
                : ''
            : `(${earlier > 0 || lines.length === TRAINING_LOG_LINES ? `last ${lines.length} of ${log?.total ?? lines.length}` : lines.length} line${lines.length === 1 ? '' : 's'})`}
        </span>
      </summary>
      {lines.length > 0 ? (
        <pre
          ref={pre}
          className="log-lines"
          aria-label="Trainer log lines"
          tabIndex={0}
          onScroll={(e) => {
            const el = e.currentTarget;
            follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {lines.map((l) => l.line).join('\n')}
        </pre>
      ) : (
        <p className="muted">
          The trainer&apos;s messages (warnings, versions, tracebacks) appear here while it runs, and stay with the run.
          Its events stay in <code>events.jsonl</code> in the run folder.
        </p>
      )}
    </details>
  );
}
