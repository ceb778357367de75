import { formatDuration } from '../../../common/duration';
import fs from 'node:fs';
import type { RunId, RunStatus, TrainingLog, TrainingPoint, TrainingRun } from '../../../common/contract';
import { artifacts, exportStep, phaseLabel } from '../../../common/training-text';
import { StudioFailure } from '../../core/errors';
import { OLLAMA_MODEL_NAME } from '../../core/training/training-schemas';
import {
  argument,
  findCharacter,
  findRun,
  interpreterOption,
  str,
  UsageError,
  when,
  type Call,
  type CliContext,
} from '../shared';
import { onInterrupt } from '../interrupt';
import { trainLog } from './train-log';

/**
 * `train list|show|stop|cancel|export|setup`: a character's training runs as the Train tab lists and
 * controls them, for a GPU box without a browser. A run is named by its id or a unique start of it
 * (`training/match`); every step goes through the same contract commands as the run card's buttons.
 */
export const RUN_COMMANDS = ['list', 'show', 'log', 'stop', 'cancel', 'export', 'setup'] as const;
export type RunCommand = (typeof RUN_COMMANDS)[number];

export function isRunCommand(word: string | undefined): word is RunCommand {
  return (RUN_COMMANDS as readonly (string | undefined)[]).includes(word);
}

/** What an export writes beside the adapter (the trainer's output kinds). */
const EXPORT_KINDS = ['merged', 'modelfile', 'gguf', 'adapter_gguf'];
/** Runs whose trainer process is (or is about to be) working. */
const LIVE: readonly RunStatus[] = ['queued', 'running', 'stopping'];

/** `rest` starts after the sub-command: `rest[0]` is the character or the run. */
export async function trainRunsCommand(sub: RunCommand, ctx: CliContext): Promise<number> {
  const { call, rest, print, io } = ctx;
  switch (sub) {
    case 'list': {
      const character = await findCharacter(call, argument(rest, 0, '<character>', 'train list'));
      const runs = await call('training/list', { characterId: character.id });
      const hosts = await hostNames(call, runs);
      print(runs, () =>
        runs.length === 0
          ? `${character.fullName} has no training runs yet. Start one with: character-studio train "${character.shortName}" --base-model <hf-id|folder> (see --help).`
          : runs.map((run) => runLine(run, hosts)).join('\n'),
      );
      return 0;
    }
    case 'show': {
      const run = await call('training/get', { id: await findRun(call, argument(rest, 0, '<run>', 'train show')) });
      const hosts = await hostNames(call, [run]);
      const log = await call('training/log', { runId: run.id, limit: 1 });
      print(run, () => runDetail(run, hosts, log));
      return 0;
    }
    case 'log':
      return trainLog(ctx);
    case 'stop':
    case 'cancel': {
      const run = await call('training/get', { id: await findRun(call, argument(rest, 0, '<run>', `train ${sub}`)) });
      let done: TrainingRun;
      try {
        done = await call(sub === 'stop' ? 'training/stop' : 'training/cancel', { id: run.id });
      } catch (error) {
        // A live run whose process cannot be asked (training/stop asks one on this machine).
        if (error instanceof StudioFailure && error.code === 'invalid_argument' && LIVE.includes(run.status))
          throw new StudioFailure('conflict', drivenElsewhere(run, sub));
        throw error;
      }
      const hosts = await hostNames(call, [done]);
      const seeThrough = sub === 'stop' && done.status === 'stopping' && ctx.studio.training.followed(done.id);
      if (seeThrough) {
        // A run on an SSH host that no studio followed: this process sees the stop through (checkpoint home).
        io.err(
          `${done.message ?? 'Stopping…'} Waiting for it to stop and its checkpoint to come home; Ctrl+C leaves it stopping there (run train stop ${done.id} again to see it through).`,
        );
        done = await ctx.studio.training.whenIdle(done.id);
      }
      print(done, () => runLine(done, hosts));
      if (done.message) io.err(done.message);
      // A remote stop that did not end stopped (its host was lost or unreachable; the message says why) is 1.
      const lost = sub === 'stop' && done.config.target !== 'local' && ['interrupted', 'failed'].includes(done.status);
      return lost ? 1 : 0;
    }
    case 'export':
      return exportRun(ctx);
    case 'setup':
      return setupPython(ctx);
  }
}

/** Host names by id, for the runs that trained on an SSH host (none asked when all are local). */
async function hostNames(call: Call, runs: TrainingRun[]): Promise<Map<string, string>> {
  if (runs.every((run) => run.config.target === 'local')) return new Map();
  return new Map((await call('hosts/list', {})).map((host) => [host.id, host.name]));
}

function where(run: TrainingRun, hosts: Map<string, string>): string {
  const target = run.config.target;
  return target === 'local' ? 'local' : `host ${hosts.get(target) ?? `${target} (removed)`}`;
}

/** The first, last or lowest training (or eval) loss with its step, as `0.1234 (step 5)`; null when none was reported. */
function lossAt(points: TrainingPoint[], field: 'loss' | 'evalLoss', pick: 'first' | 'last' | 'lowest'): string | null {
  const measured = points.filter((p) => p[field] !== null);
  if (measured.length === 0) return null;
  const point =
    pick === 'first'
      ? measured[0]!
      : pick === 'last'
        ? measured.at(-1)!
        : measured.reduce((low, p) => (p[field]! < low[field]! ? p : low));
  return `${point[field]!.toFixed(4)} (step ${point.step})`;
}

function exportsOf(run: TrainingRun): string[] {
  return EXPORT_KINDS.filter((kind) => run.outputs[kind] !== undefined);
}

/** Two lines a run: what it is now, then what it trains and where, and what was exported. */
function runLine(run: TrainingRun, hosts: Map<string, string>): string {
  const last = run.points.findLast((p) => p.loss !== null)?.loss;
  const loss = last == null ? '' : ` · loss ${last.toFixed(4)}`;
  const exported = exportsOf(run);
  return [
    `${run.id}  ${run.status.padEnd(11)} step ${run.step}/${run.totalSteps}${loss} · ${when(run.createdAt)}`,
    `    ${run.config.baseModel} · ${run.config.format} · ${where(run, hosts)}${exported.length ? ` · exported: ${exported.join(', ')}` : ''}`,
  ].join('\n');
}

/**
 * A run as its card shows it: settings, progress, losses, warnings and files (one that is gone says
 * so). Serving and exporting are live state of the process doing them, never stored: a command that
 * only reads a run cannot see them.
 */
function runDetail(run: TrainingRun, hosts: Map<string, string>, log: TrainingLog): string {
  const c = run.config;
  const h = c.hyperparameters;
  const method = h.fullFinetune
    ? 'full fine-tuning'
    : `LoRA r${h.loraRank} alpha ${h.loraAlpha}${h.loadIn4bit ? ' (4-bit base)' : ''}`;
  const lines = [
    `Run ${run.id} · ${run.status}${run.phase && LIVE.includes(run.status) ? ` (${phaseLabel(run.phase)})` : ''}`,
    `Base model: ${c.baseModel} · ${c.format} format · ${where(run, hosts)}${c.target === 'local' ? ` · python ${c.python || "the studio's default"}` : ''}`,
    `Settings: ${method} · lr ${h.learningRate} · ${h.epochs} epoch(s) · batch ${h.batchSize} × ${h.gradAccumulation} · max length ${h.maxLength}${h.maxSteps === null ? '' : ` · max steps ${h.maxSteps}`} · dtype ${h.dtype}`,
    `Started ${when(run.createdAt)}${run.finishedAt === null ? '' : ` · ended ${when(run.finishedAt)}`}`,
    [
      `Steps: ${run.step} of ${run.totalSteps} · epoch ${Number.isInteger(run.epoch) ? run.epoch : run.epoch.toFixed(2)}`,
      run.examples === null ? '' : ` · ${run.examples} examples`,
      run.tokensPerSecond === null ? '' : ` · ${Math.round(run.tokensPerSecond)} tokens/s`,
      run.peakMemoryBytes === null
        ? ''
        : ` · peak ${(run.peakMemoryBytes / 2 ** 30).toFixed(1)} GiB on ${run.device ?? 'its device'}`,
      run.status === 'running' && run.etaSeconds !== null ? ` · about ${formatDuration(run.etaSeconds)} left` : '',
    ].join(''),
  ];
  const loss = lossAt(run.points, 'loss', 'last');
  lines.push(
    loss === null
      ? 'Loss: none reported yet'
      : `Loss: first ${lossAt(run.points, 'loss', 'first')} · last ${loss} · lowest ${lossAt(run.points, 'loss', 'lowest')}`,
  );
  const evalLoss = lossAt(run.points, 'evalLoss', 'last');
  if (evalLoss !== null) lines.push(`Eval loss: last ${evalLoss} · lowest ${lossAt(run.points, 'evalLoss', 'lowest')}`);
  if (run.message) lines.push(`Message: ${run.message}`);
  if (run.warnings.length > 0) {
    lines.push('Warnings:');
    for (const warning of run.warnings) lines.push(`  ${warning.message}`);
  }
  const kept = log.total - log.leftOut;
  lines.push(
    kept === 0
      ? 'Log: no lines kept'
      : `Log: ${kept} line${kept === 1 ? '' : 's'} kept${log.leftOut ? ` (${log.leftOut} left out in the middle)` : ''}; read them with: character-studio train log ${run.id.slice(0, 13)}`,
  );
  lines.push('Files:');
  for (const file of artifacts(run))
    lines.push(`  ${file.label}: ${file.path}${fs.existsSync(file.path) ? '' : ' (missing)'}`);
  return lines.join('\n');
}

/**
 * Why a live run cannot be stopped or cancelled from here: no process this one can ask is known to
 * train it (one on another machine sharing the data folder, or one following it on its SSH host).
 */
function drivenElsewhere(run: TrainingRun, verb: 'stop' | 'cancel'): string {
  const there =
    run.config.target === 'local'
      ? `${verb === 'stop' ? 'Stop' : 'Cancel'} it there: the Train tab's ${verb === 'stop' ? 'Stop' : 'Cancel'} button, or Ctrl+C in the terminal running \`train\` (which saves a checkpoint).`
      : `It trains on its SSH host whoever follows it: the desktop app or \`serve\` re-attaches to it when opened, and ${verb}s it from its Train tab.`;
  return `Run ${run.id} is ${run.status} in a process this one cannot ask to ${verb} it (on another machine sharing the data folder, or following it on its SSH host); nothing was changed. ${there}`;
}

/**
 * `train export <run> [--merged] [--gguf] [--ollama-name <name>]`: the run card's exports, run by
 * this process to the end with progress on stderr. Ctrl+C cancels (`training/export-cancel`: what
 * was half-written is removed, the run and its adapter stay). Exit 0 written, 1 failed, 130 cancelled.
 */
async function exportRun(ctx: CliContext): Promise<number> {
  const { studio, call, values, rest, io } = ctx;
  const key = argument(rest, 0, '<run>', 'train export');
  const gguf = values.gguf === true;
  const merged = values.merged === true || gguf;
  if (!merged)
    throw new UsageError(
      'Say what to export: --merged (the base model with the adapter merged in, and an Ollama Modelfile) or --gguf (that, converted to GGUF too). The LoRA adapter is there already.',
    );
  const ollamaName = str(values, 'ollama-name');
  if (ollamaName !== undefined && !OLLAMA_MODEL_NAME.test(ollamaName))
    throw new UsageError(
      `--ollama-name must be lower-case letters, digits, ".", "_" or "-", starting with a letter or digit (64 at most), not "${ollamaName}".`,
    );
  const id: RunId = await findRun(call, key);
  let last = '';
  let interrupted = false;
  const off = studio.events.subscribe((name, payload) => {
    if (name !== 'training/progressed' || (payload as TrainingRun).id !== id) return;
    const exporting = (payload as TrainingRun).exporting;
    const line = exporting ? exportStep(exporting.phase, exporting.target) : '';
    if (line === last) return;
    last = line; // before printing: Ctrl+C on a line cancels at once, and the cancel's change comes back here
    if (line) io.err(line);
  });
  const offInterrupt = onInterrupt(() => {
    interrupted = true;
    io.err('Cancelling the export…');
    return call('training/export-cancel', { id });
  });
  try {
    await call('training/export', { id, merged, gguf, ...(ollamaName !== undefined && { ollamaName }) });
    const final = await studio.training.whenIdle(id);
    if (final.message) {
      io.err(interrupted ? final.message : `Error: ${final.message}`);
      return interrupted ? 130 : 1;
    }
    const written = Object.fromEntries(
      exportsOf(final)
        .filter((kind) => gguf || (kind !== 'gguf' && kind !== 'adapter_gguf'))
        .map((kind) => [kind, final.outputs[kind]!]),
    );
    ctx.print({ runId: id, outputs: written }, () =>
      artifacts({ ...final, outputs: written })
        .filter((file) => file.kind !== 'folder')
        .map((file) => `${file.label}: ${file.path}`)
        .join('\n'),
    );
    return 0;
  } finally {
    off();
    offInterrupt();
    await studio.shutdown();
  }
}

/**
 * `train setup [--python <base interpreter>]`: creates (or brings up to date) the studio's own Python
 * environment for the trainer in the data folder, as the Train tab's button does, with pip's lines
 * on stderr; then the doctor's verdict. Exit 0 when the trainer can run in it, else 1.
 */
async function setupPython(ctx: CliContext): Promise<number> {
  const { studio, call, values, io } = ctx;
  const off = studio.events.subscribe((name, payload) => {
    if (name === 'training/setup-progressed') io.err(`  ${(payload as { line: string }).line}`);
  });
  try {
    const report = await call('training/setup', { basePython: interpreterOption(values, 'python') ?? '' });
    ctx.print(report, () => `${report.ok ? '✓' : '✗'} ${report.python}: ${report.summary}`);
    if (!report.ok)
      io.err(
        'Name a Python 3.10 or newer to create it with: character-studio train setup --python <interpreter>; or train with your own environment: train <character> --python <its python>.',
      );
    return report.ok ? 0 : 1;
  } finally {
    off();
  }
}
