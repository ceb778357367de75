import { useEffect, useRef, useState } from 'react';
import type { RunId } from '../../../../common/contract';
import { TRAINING_LOG_LINES, useTrainingLogs } from '../../state/ui';

const NO_LINES: readonly string[] = [];

/**
 * The trainer's stderr as it arrives, newest at the bottom; it follows new lines unless the user
 * has scrolled up to read. Lines logged before this window opened are not kept.
 */
export function LogView({ runId, live }: { runId: RunId; live: boolean }) {
  const lines = useTrainingLogs((s) => s.lines[runId]) ?? NO_LINES;
  const [open, setOpen] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    const el = pre.current;
    if (open && el && follow.current) el.scrollTop = el.scrollHeight;
  }, [lines, open]);

  return (
    <details className="run-log" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        Trainer log{' '}
        <span className="muted">
          {lines.length === 0
            ? live
              ? '(waiting for output)'
              : '(nothing logged while this window was open)'
            : `(${lines.length === TRAINING_LOG_LINES ? `last ${TRAINING_LOG_LINES}` : lines.length} line${lines.length === 1 ? '' : 's'})`}
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
          {lines.join('\n')}
        </pre>
      ) : (
        <p className="muted">
          The trainer&apos;s messages (warnings, versions, tracebacks) appear here while it runs. Its events stay in{' '}
          <code>events.jsonl</code> in the run folder.
        </p>
      )}
    </details>
  );
}
