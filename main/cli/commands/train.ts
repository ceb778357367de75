import { formatDuration } from '../../../common/duration';
import fs from 'node:fs';
import type { Character, TrainingConfig, TrainingPreview, TrainingRun } from '../../../common/contract';
import { revisionNumbering } from '../../../common/scene-doc/revision-numbers';
import { exportStep } from '../../../common/training-text';
import { StudioFailure } from '../../core/errors';
import { looksLikePath } from '../../core/training/base-model-check';
import {
  argument,
  findCharacter,
  findHost,
  findScene,
  interpreterOption,
  localPath,
  numberOption,
  str as strOf,
  UsageError,
  type CliContext,
} from '../shared';
import { onInterrupt } from '../interrupt';
import { isRunCommand, trainRunsCommand } from './train-runs';

/**
 * `train <character>`: starts, or resumes, a training run and follows it to the end. The same
 * command run again resumes the character's stopped or interrupted run; one with another base
 * model, format or target (or `--new`) starts a new run instead, and says why.
 */
export async function trainCommand(ctx: CliContext): Promise<number> {
  const sub = ctx.rest[0];
  if (sub === 'preview') return previewCommand({ ...ctx, rest: ctx.rest.slice(1) });
  if (isRunCommand(sub)) return trainRunsCommand(sub, { ...ctx, rest: ctx.rest.slice(1) });
  const { studio, call, values, rest, io } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', 'train'));
  const runs = await call('training/list', { characterId: character.id });
  const resumable = runs.find((r) => r.status === 'stopped' || r.status === 'interrupted');
  const asked = strOf(values, 'base-model') === undefined ? null : await configFromOptions(ctx);
  const same = resumable && (asked === null || sameRun(resumable.config, asked));
  let run: TrainingRun;
  if (resumable && same && values.new !== true) {
    io.err(
      `Resuming the ${resumable.status} run of ${character.fullName} (${describeRun(resumable.config)}) at step ${resumable.step}/${resumable.totalSteps}.`,
    );
    const differs = asked ? settingsThatDiffer(resumable.config, asked) : [];
    if (differs.length)
      io.err(
        `Note: it keeps its own settings (${differs.join('; ')}); to train with yours instead, run the same command with --new.`,
      );
    run = await call('training/resume', { id: resumable.id });
  } else {
    if (!asked)
      throw new UsageError(
        'Missing --base-model (a Hugging Face id such as Qwen/Qwen2.5-1.5B-Instruct, or a model folder).',
      );
    if (resumable)
      io.err(
        values.new === true
          ? `Starting a new run (--new); the ${resumable.status} run (${describeRun(resumable.config)}) stays as it is.`
          : `Starting a new run: the ${resumable.status} run of ${character.fullName} trains ${describeRun(resumable.config)}, and this one ${describeRun(asked)}. That run stays as it is; the same command with its base model and format resumes it.`,
      );
    const estimate = await call('training/estimate', { characterId: character.id, config: asked });
    io.err(
      `${estimate.examples} scenes (~${estimate.meanTokens} tokens each), ${estimate.steps} steps${estimate.memoryGiB ? `, about ${estimate.memoryGiB} GiB of GPU memory` : ''}${estimate.seconds !== null ? `, about ${formatDuration(estimate.seconds)} (${estimate.speedBasis ?? ''})` : ''}.`,
    );
    for (const warning of estimate.warnings) io.err(`Warning: ${warning}`);
    run = await call('training/start', { characterId: character.id, config: asked });
  }
  const id = run.id;
  let last = '';
  // Warnings of earlier attempts were shown then; the trainer's new ones are shown as they come.
  let warned = run.warnings.length;
  const off = studio.events.subscribe((name, payload) => {
    if (name === 'training/logged' && (payload as { runId: string }).runId === id)
      io.err(`  ${(payload as { line: string }).line}`);
    if (name !== 'training/progressed' || (payload as TrainingRun).id !== id) return;
    const r = payload as TrainingRun;
    for (const warning of r.warnings.slice(warned)) io.err(`Warning: ${warning.message}`);
    warned = Math.max(warned, r.warnings.length);
    const loss = r.points.at(-1)?.loss;
    const line = `[${r.status}] ${r.phase ?? ''} step ${r.step}/${r.totalSteps}${loss != null ? ` · loss ${loss.toFixed(4)}` : ''}${r.etaSeconds ? ` · ETA ${formatDuration(r.etaSeconds)}` : ''}`;
    if (line !== last) io.err(line);
    last = line;
  });
  const offInterrupt = onInterrupt(() => {
    io.err('Saving a checkpoint and stopping… (run the same command again to resume)');
    return call('training/stop', { id });
  });
  try {
    const final = await studio.training.whenIdle(id);
    if (final.message) io.err(final.message);
    for (const [kind, file] of Object.entries(final.outputs)) io.err(`  ${kind}: ${file}`);
    if (values.json) io.out(JSON.stringify(final, null, 2));
    return final.status === 'succeeded' ? 0 : final.status === 'stopped' ? 3 : 1;
  } finally {
    off();
    offInterrupt();
    await studio.shutdown();
  }
}

/** The run the options describe; paths are the user's, relative to where they stand. */
async function configFromOptions(ctx: CliContext): Promise<TrainingConfig> {
  const { call, values, io } = ctx;
  const str = (name: string) => strOf(values, name);
  const options = await call('training/options', {});
  const presetId = str('preset');
  const preset = presetId === undefined ? undefined : options.presets.find((p) => p.id === presetId);
  if (presetId !== undefined && !preset)
    throw new UsageError(`--preset must be one of ${options.presets.map((p) => p.id).join(', ')}.`);
  const defaults = { ...options.defaults, ...preset?.hyperparameters };
  const dtype = str('dtype') ?? defaults.dtype;
  if (dtype !== 'auto' && dtype !== 'bf16' && dtype !== 'fp16' && dtype !== 'fp32')
    throw new UsageError('--dtype must be auto, bf16, fp16 or fp32.');
  const format = str('format') ?? 'chat';
  if (format !== 'chat' && format !== 'character-llm') throw new UsageError('--format must be chat or character-llm.');
  const maxSteps = str('max-steps');
  const hostKey = str('host');
  const target = hostKey === undefined ? 'local' : (await findHost(call, hostKey)).id;
  if (hostKey !== undefined && str('python') !== undefined)
    io.err("Note: --python is ignored for a remote run; the host's python is used (hosts add --python).");
  return {
    baseModel: baseModelOption(str('base-model') ?? '', target === 'local'),
    format,
    target,
    python: target === 'local' ? (interpreterOption(values, 'python') ?? '') : '',
    hyperparameters: {
      ...defaults,
      epochs: numberOption(str('epochs'), '--epochs', defaults.epochs),
      learningRate: numberOption(str('lr'), '--lr', defaults.learningRate),
      loraRank: numberOption(str('rank'), '--rank', defaults.loraRank),
      loraAlpha:
        str('rank') === undefined ? defaults.loraAlpha : 2 * numberOption(str('rank'), '--rank', defaults.loraRank),
      batchSize: numberOption(str('batch'), '--batch', defaults.batchSize),
      maxLength: numberOption(str('max-length'), '--max-length', defaults.maxLength),
      maxSteps: maxSteps === undefined ? null : numberOption(maxSteps, '--max-steps', 0),
      fullFinetune: values.full === true || defaults.fullFinetune,
      loadIn4bit: values.qlora === true || defaults.loadIn4bit,
      dtype,
    },
  };
}

/**
 * `--base-model` for a local run: a folder (it looks like a path, or one by that name is here) is
 * made absolute against where the user stands; anything else is a Hugging Face id. A remote run's
 * folder is on its host and stays as typed.
 */
function baseModelOption(text: string, local: boolean): string {
  const value = text.trim();
  if (!local || !value) return value;
  return looksLikePath(value) || fs.existsSync(localPath(value)) ? localPath(value) : value;
}

/** Whether a new config is the same run as a stored one: the same base model, format and machine. */
function sameRun(stored: TrainingConfig, asked: TrainingConfig): boolean {
  return stored.baseModel === asked.baseModel && stored.format === asked.format && stored.target === asked.target;
}

function describeRun(config: TrainingConfig): string {
  return `${config.baseModel} in the ${config.format} format${config.target === 'local' ? '' : ' on its SSH host'}`;
}

/** Settings a resumed run keeps although the command asked for others, as `name: kept (asked)`. */
function settingsThatDiffer(stored: TrainingConfig, asked: TrainingConfig): string[] {
  const kept = stored.hyperparameters as unknown as Record<string, unknown>;
  const wanted = asked.hyperparameters as unknown as Record<string, unknown>;
  const differs = Object.keys(wanted)
    .filter((key) => JSON.stringify(kept[key]) !== JSON.stringify(wanted[key]))
    .map((key) => `${key}: ${JSON.stringify(kept[key])} (asked ${JSON.stringify(wanted[key])})`);
  if (asked.python && stored.python !== asked.python) differs.push(`python: ${stored.python || 'the default'}`);
  return differs;
}

/** The character's run named by `--run <id or prefix>`, else its latest finished one. */
async function chosenRun(ctx: CliContext, command: string): Promise<{ character: Character; run: TrainingRun }> {
  const { call, values, rest } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', command));
  const runs = await call('training/list', { characterId: character.id });
  const wanted = typeof values.run === 'string' ? values.run : undefined;
  const run = wanted
    ? runs.find((r) => r.id === wanted || r.id.startsWith(wanted))
    : runs.find((r) => r.status === 'succeeded');
  if (!run)
    throw new StudioFailure(
      'not_found',
      wanted
        ? `${character.fullName} has no training run "${wanted}"; see the Train tab or \`train\` for its runs.`
        : `${character.fullName} has no finished training run yet; train one first (character-studio train).`,
    );
  return { character, run };
}

/**
 * `chat-gguf <character> [--run <id>]`: makes the run's GGUF files for the embedded chat runtime (the
 * base model unmerged and the LoRA adapter), offline, with the converters node-llama-cpp ships; prints
 * their paths (`--json`: the whole `training/prepare-chat` result). Ctrl+C cancels the conversion.
 */
export async function chatGgufCommand(ctx: CliContext): Promise<number> {
  const { studio, call, io, values } = ctx;
  const { character, run } = await chosenRun(ctx, 'chat-gguf');
  let last = '';
  const off = studio.events.subscribe((name, payload) => {
    if (name !== 'training/progressed' || (payload as TrainingRun).id !== run.id) return;
    const exporting = (payload as TrainingRun).exporting;
    const line = exporting ? exportStep(exporting.phase, exporting.target) : '';
    if (line && line !== last) io.err(line);
    last = line;
  });
  const offInterrupt = onInterrupt(() => {
    io.err('Cancelling the conversion…');
    return call('training/export-cancel', { id: run.id });
  });
  try {
    io.err(`Preparing ${character.shortName}'s run ${run.id} for the embedded chat runtime…`);
    const files = await call('training/prepare-chat', { id: run.id });
    if (values.json) io.out(JSON.stringify(files, null, 2));
    else {
      io.err(files.seconds > 0 ? `Converted in ${formatDuration(files.seconds)}.` : 'Already converted.');
      io.out(`base model: ${files.baseGguf}`);
      if (files.adapterGguf) io.out(`adapter: ${files.adapterGguf}`);
      io.out(`format: ${files.format}`);
    }
    return 0;
  } finally {
    off();
    offInterrupt();
    await studio.shutdown();
  }
}

/** Serves the character's latest finished run (or `--run <id>`) over the OpenAI protocol until Ctrl+C. */
export async function chatServerCommand(ctx: CliContext): Promise<number> {
  const { studio, call, values, io } = ctx;
  const { character, run } = await chosenRun(ctx, 'chat-server');
  // One served model at a time: each holds its weights in memory.
  for (const other of await call('training/served', {}))
    if (other.runId !== run.id)
      io.err(
        `Stopping the model server of ${other.characterName}'s run ${other.runId} (${other.serving.model ?? 'loading'}) first.`,
      );
  io.err(`Loading ${character.shortName}'s model from run ${run.id}…`);
  const served = await call('training/serve', { id: run.id, others: 'stop' });
  const { url, model } = served.serving ?? { url: null, model: null };
  if (values.json) io.out(JSON.stringify({ runId: run.id, url, model }, null, 2));
  else io.out(`${url}\nmodel: ${model}`);
  io.err('Point any OpenAI-compatible chat app at this base URL (any API key). Ctrl+C stops the server.');
  let offInterrupt = (): void => undefined;
  await new Promise<void>((resolve) => (offInterrupt = onInterrupt(resolve)));
  try {
    io.err('Stopping…');
    await studio.shutdown();
    return 0;
  } finally {
    offInterrupt();
  }
}

/** `doctor`: checks the trainer's Python environment. */
export async function doctorCommand(ctx: CliContext): Promise<number> {
  const report = await ctx.call('training/doctor', { python: interpreterOption(ctx.values, 'python') ?? '' });
  ctx.print(report, () => `${report.ok ? '✓' : '✗'} ${report.python}: ${report.summary}`);
  return report.ok ? 0 : 1;
}

/**
 * `train preview <character> --scene <id> --base-model <folder|hf-id> [--format] [--max-length]`:
 * the scene as training takes it, made by the trainer's own preview. Trained tokens are shown in
 * [brackets] (in colour on a terminal), and a line marks where max_length cuts.
 */
async function previewCommand(ctx: CliContext): Promise<number> {
  const { call, values, rest, io } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', 'train preview'));
  const sceneId = strOf(values, 'scene');
  if (!sceneId) throw new UsageError('Missing --scene <id> (scenes show <id>, or the Dataset tab, names them).');
  const format = strOf(values, 'format') ?? 'chat';
  if (format !== 'chat' && format !== 'character-llm') throw new UsageError('--format must be chat or character-llm.');
  const baseModel = strOf(values, 'base-model');
  if (!baseModel)
    throw new UsageError('Missing --base-model (a model folder, or a Hugging Face id already in the local cache).');
  const id = await findScene(call, sceneId);
  const opened = await call('scenes/open', { id });
  if (opened.scene.characterId !== character.id)
    throw new StudioFailure('invalid_argument', `Scene ${sceneId} is not one of ${character.fullName}'s scenes.`);
  const thinking = strOf(values, 'thinking') ?? 'keep';
  if (thinking !== 'keep' && thinking !== 'drop') throw new UsageError('--thinking must be keep or drop.');
  const python = interpreterOption(values, 'python');
  // The revision as scenes history numbers it (a generated scene's stored counter is one more).
  const shown = revisionNumbering(await call('scenes/revisions', { id }))(opened.revision);
  io.err(`Rendering scene ${sceneId} (revision ${shown}) with the trainer's tokenizer code…`);
  const preview = await call('training/preview', {
    sceneId: id,
    baseModel: baseModelOption(baseModel, true),
    format,
    maxLength: numberOption(strOf(values, 'max-length'), '--max-length', 2048),
    thinking,
    ...(python && { python }),
  });
  if (values.json) {
    io.out(JSON.stringify(preview, null, 2));
  } else {
    const color = process.stdout.isTTY && !process.env.NO_COLOR;
    io.out(renderPreview(preview, color));
    io.err(
      color
        ? 'Legend: green carries loss (trained); grey was added by the tokenizer.'
        : 'Legend: [text] carries loss (trained).',
    );
  }
  const cut =
    preview.cutAt === null
      ? 'fits within max_length'
      : `cut at token ${preview.cutAt} by max_length ${preview.maxLength}`;
  io.err(`${preview.tokens.length} tokens, ${preview.trainedTokens} trained; ${cut}.`);
  for (const note of preview.notes) io.err(`Note: ${note}`);
  if (preview.excluded) io.err(preview.excluded);
  return 0;
}

/** The rendered text with trained runs in brackets (or green), and a line where max_length cuts. */
export function renderPreview(preview: TrainingPreview, color: boolean): string {
  const open = color ? '\x1b[42;30m' : '[';
  const close = color ? '\x1b[0m' : ']';
  let out = '';
  let inRun = false;
  preview.tokens.forEach((token, index) => {
    if (index === preview.cutAt) {
      if (inRun) out += close;
      inRun = false;
      out += `\n──── max_length ${preview.maxLength} cuts here: what follows is not trained on ────\n`;
    }
    // Past the cut nothing is trained, whatever the mask of the whole scene says.
    const trained = token.trained && (preview.cutAt === null || index < preview.cutAt);
    if (trained !== inRun) out += trained ? open : close;
    inRun = trained;
    out += color && token.added ? `\x1b[2m${token.piece}\x1b[22m` : token.piece;
  });
  return inRun ? out + close : out;
}
