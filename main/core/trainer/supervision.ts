/** What the local and the SSH launcher have in common: how a trainer run ended, and their events. */
import { TrainerExitCode, type DoneEvent, type ErrorEvent, type TrainerEvent } from '../../../common/trainer-protocol';
import type { TrainerProtocolError } from './events';

/** How a run ended, from the exit code (trainer-protocol.ts) or the signal that ended it. */
export type TrainerExitMeaning = 'done' | 'invalid_job' | 'oom' | 'stopped' | 'cancelled' | 'error' | 'killed';

export interface TrainerExit {
  /** Exit code, or null when a signal ended the process (or the code could not be learnt remotely). */
  code: number | null;
  signal: string | null;
  meaning: TrainerExitMeaning;
  /** The run's terminal event, when one was seen. */
  terminal: DoneEvent | ErrorEvent | null;
  /** One sentence for the user. */
  message: string;
}

export function exitMeaning(code: number | null, signal: string | null): TrainerExitMeaning {
  if (code === null) return signal ? 'killed' : 'error';
  switch (code) {
    case TrainerExitCode.done:
      return 'done';
    case TrainerExitCode.invalidJob:
      return 'invalid_job';
    case TrainerExitCode.outOfMemory:
      return 'oom';
    case TrainerExitCode.stopped:
      return 'stopped';
    case TrainerExitCode.cancelled:
      return 'cancelled';
    default:
      // 128+n is how a shell reports a process killed by signal n (the SSH launcher's wrapper).
      return code > 128 ? 'killed' : 'error';
  }
}

const ERROR_MEANING: Record<string, TrainerExitMeaning> = { out_of_memory: 'oom' };

/**
 * The terminal event decides when there is one: torchrun reports any failing worker as exit 1, so a
 * multi-GPU run that stopped with a checkpoint (4) or ran out of memory (3) would otherwise read as an
 * error. The exit code decides for a run that died before saying how it ended.
 */
function meaningOf(
  code: number | null,
  signal: string | null,
  terminal: DoneEvent | ErrorEvent | null,
): TrainerExitMeaning {
  const byCode = exitMeaning(code, signal);
  if (!terminal || byCode === 'killed') return byCode;
  if (terminal.type === 'done')
    return terminal.status === 'completed' ? 'done' : terminal.status === 'stopped' ? 'stopped' : 'cancelled';
  if (byCode === 'invalid_job' || byCode === 'oom') return byCode;
  return ERROR_MEANING[terminal.code] ?? (terminal.code.startsWith('invalid') ? 'invalid_job' : 'error');
}

export function describeExit(
  code: number | null,
  signal: string | null,
  terminal: DoneEvent | ErrorEvent | null,
): TrainerExit {
  const meaning = meaningOf(code, signal, terminal);
  const how = signal ? `signal ${signal}` : code === null ? 'an unknown status' : `exit code ${code}`;
  let message: string;
  if (terminal?.type === 'error') message = terminal.hint ? `${terminal.message} (${terminal.hint})` : terminal.message;
  else if (meaning === 'done') message = 'Training finished.';
  else if (meaning === 'stopped')
    message = `Training stopped with a checkpoint${terminal?.outputs.checkpoint ? ` at ${terminal.outputs.checkpoint}` : ''}; start it again to resume.`;
  else if (meaning === 'cancelled')
    message = `Training cancelled${terminal?.reason ? ` (${terminal.reason})` : ''}; nothing was saved.`;
  else if (meaning === 'killed')
    message = `The trainer was killed (${how}) before it could save; start it again to resume from its last checkpoint.`;
  else message = `The trainer ended with ${how} without saying why; its log (stderr) has the details.`;
  return { code, signal, meaning, terminal, message };
}

/** Events both launchers emit (Node EventEmitter map). */
export interface TrainerLauncherEvents {
  /** A validated protocol event, each seq once, in order. */
  event: [event: TrainerEvent];
  /** One line the trainer wrote to stderr (logs, tracebacks), or a launcher progress line. */
  log: [line: string];
  /** A line that broke the protocol; it was skipped and the run goes on. */
  protocolError: [error: TrainerProtocolError];
  /** The run is over; emitted once. */
  exit: [exit: TrainerExit];
}
