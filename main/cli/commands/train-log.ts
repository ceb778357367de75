import type { RunId, TrainingLogLine } from '../../../common/contract';
import { argument, findRun, numberOption, str, UsageError, type Call, type CliContext } from '../shared';
import { onInterrupt } from '../interrupt';

/** How often `--follow` reads the stored log again, milliseconds (the trainer's process writes it every 250 ms). */
const FOLLOW_MS = 500;
/** More than a run keeps (200 first + 5,000 last lines): `train log` without --lines prints them all. */
const ALL_LINES = 10_000;

/**
 * `train log <run> [--lines N] [--follow]`: the run's stored trainer log (training and exports,
 * whichever process ran them) on stdout; `--lines N` the last N. `--follow` then prints lines as
 * they are stored until the run ends (exit 0) or Ctrl+C (exit 130): a run another process trains
 * is followed from the table. `--json` prints the log as one object; with `--follow`, one object
 * per line as each is stored.
 */
export async function trainLog(ctx: CliContext): Promise<number> {
  const { call, values, rest, io } = ctx;
  const id = await findRun(call, argument(rest, 0, '<run>', 'train log'));
  const asked = str(values, 'lines');
  const limit = asked === undefined ? ALL_LINES : numberOption(asked, '--lines', 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > ALL_LINES)
    throw new UsageError(`--lines must be a whole number from 1 to ${ALL_LINES}, not "${asked}".`);
  const log = await call('training/log', { runId: id, limit });
  if (values.json && values.follow !== true) {
    io.out(JSON.stringify(log, null, 2));
    return 0;
  }
  // With --follow, --json prints each line as it is stored, one JSON object per line ({seq, line}:
  // a gap in seq is where the cap left lines out), so a script can read them as they come.
  const show = values.json
    ? (lines: readonly TrainingLogLine[], before: number): number => {
        for (const line of lines) io.out(JSON.stringify({ seq: line.seq, line: line.line }));
        return lines.at(-1)?.seq ?? before;
      }
    : (lines: readonly TrainingLogLine[], before: number): number => printLines(lines, before, io.out);
  const skipped = log.total - log.leftOut - log.lines.length;
  if (skipped > 0) io.err(`(the last ${log.lines.length} of ${log.total} lines; without --lines, every line kept)`);
  if (log.total === 0 && values.follow !== true) io.err('No trainer log lines are kept for this run.');
  let last = show(log.lines, 0);
  if (values.follow !== true) return 0;
  io.err(`Following the log of run ${id} until the run ends (Ctrl+C stops following)…`);
  return follow(
    call,
    id,
    last,
    (lines) => {
      last = show(lines, last);
    },
    io.err,
  );
}

/**
 * Prints the lines, with a line where the cap left some out between them; returns the last one's
 * number (`before` when there is none).
 */
function printLines(lines: readonly TrainingLogLine[], before: number, out: (text: string) => void): number {
  let seq = before;
  for (const line of lines) {
    if (seq > 0 && line.seq > seq + 1)
      out(`… ${line.seq - seq - 1} lines left out (a run keeps its first 200 and last 5,000) …`);
    out(line.line);
    seq = line.seq;
  }
  return seq;
}

/** Prints what is stored after `after` every FOLLOW_MS until the run is no longer live, or Ctrl+C. */
async function follow(
  call: Call,
  id: RunId,
  after: number,
  print: (lines: TrainingLogLine[]) => void,
  err: (text: string) => void,
): Promise<number> {
  let interrupted = false;
  let wake = (): void => undefined;
  const offInterrupt = onInterrupt(() => {
    interrupted = true;
    wake();
  });
  try {
    let seq = after;
    for (;;) {
      // The status first: lines stored before the run ended are then all read below.
      const run = await call('training/get', { id });
      const live = ['queued', 'running', 'stopping'].includes(run.status);
      const next = await call('training/log', { runId: id, afterSeq: seq, limit: ALL_LINES });
      if (next.lines.length > 0) {
        print(next.lines);
        seq = next.lines.at(-1)?.seq ?? seq;
      }
      if (interrupted) return 130;
      if (!live && next.lines.length < ALL_LINES) {
        err(`The run is ${run.status}${run.message ? `: ${run.message}` : '.'}`);
        return 0;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, FOLLOW_MS);
      });
      if (interrupted) return 130;
    }
  } finally {
    offInterrupt();
  }
}
