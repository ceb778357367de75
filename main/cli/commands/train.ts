import type { TrainingConfig, TrainingRun } from '../../../common/contract';
import { StudioFailure } from '../../core/errors';
import {
  argument,
  findCharacter,
  findHost,
  formatDuration,
  numberOption,
  str as strOf,
  UsageError,
  type CliContext,
} from '../shared';

/** `train <character>`: starts, or resumes, a training run and follows it to the end. */
export async function trainCommand(ctx: CliContext): Promise<number> {
  const { studio, call, values, rest, io } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', 'train'));
  const str = (name: string) => strOf(values, name);
  const runs = await call('training/list', { characterId: character.id });
  let run = runs.find((r) => r.status === 'stopped' || r.status === 'interrupted');
  if (run && !str('base-model')) {
    io.err(`Resuming the ${run.status} run of ${character.fullName} at step ${run.step}/${run.totalSteps}.`);
    run = await call('training/resume', { id: run.id });
  } else {
    const baseModel = str('base-model');
    if (!baseModel)
      throw new UsageError(
        'Missing --base-model (a Hugging Face id such as Qwen/Qwen2.5-1.5B-Instruct, or a model folder).',
      );
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
    if (format !== 'chat' && format !== 'character-llm')
      throw new UsageError('--format must be chat or character-llm.');
    const maxSteps = str('max-steps');
    const hostKey = str('host');
    const target = hostKey === undefined ? 'local' : (await findHost(call, hostKey)).id;
    if (hostKey !== undefined && str('python') !== undefined)
      io.err("Note: --python is ignored for a remote run; the host's python is used (hosts add --python).");
    const config: TrainingConfig = {
      baseModel,
      format,
      target,
      python: str('python') ?? '',
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
    const estimate = await call('training/estimate', { characterId: character.id, config });
    io.err(
      `${estimate.examples} scenes (~${estimate.meanTokens} tokens each), ${estimate.steps} steps${estimate.memoryGiB ? `, about ${estimate.memoryGiB} GiB of GPU memory` : ''}${estimate.seconds !== null ? `, about ${formatDuration(estimate.seconds)} (${estimate.speedBasis ?? ''})` : ''}.`,
    );
    for (const warning of estimate.warnings) io.err(`Warning: ${warning}`);
    run = await call('training/start', { characterId: character.id, config });
  }
  const id = run.id;
  let last = '';
  const off = studio.events.subscribe((name, payload) => {
    if (name === 'training/logged' && (payload as { runId: string }).runId === id)
      io.err(`  ${(payload as { line: string }).line}`);
    if (name !== 'training/progressed' || (payload as TrainingRun).id !== id) return;
    const r = payload as TrainingRun;
    const loss = r.points.at(-1)?.loss;
    const line = `[${r.status}] ${r.phase ?? ''} step ${r.step}/${r.totalSteps}${loss != null ? ` · loss ${loss.toFixed(4)}` : ''}${r.etaSeconds ? ` · ETA ${formatDuration(r.etaSeconds)}` : ''}`;
    if (line !== last) io.err(line);
    last = line;
  });
  const interrupt = () => {
    io.err('Saving a checkpoint and stopping… (run the same command again to resume)');
    void call('training/stop', { id }).catch(() => undefined);
  };
  process.once('SIGINT', interrupt);
  try {
    const final = await studio.training.whenIdle(id);
    if (final.message) io.err(final.message);
    for (const [kind, file] of Object.entries(final.outputs)) io.err(`  ${kind}: ${file}`);
    if (values.json) io.out(JSON.stringify(final, null, 2));
    return final.status === 'succeeded' ? 0 : final.status === 'stopped' ? 3 : 1;
  } finally {
    off();
    process.off('SIGINT', interrupt);
    await studio.shutdown();
  }
}

/** Serves the character's latest finished run (or `--run <id>`) over the OpenAI protocol until Ctrl+C. */
export async function chatServerCommand(ctx: CliContext): Promise<number> {
  const { studio, call, values, rest, io } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', 'chat-server'));
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
  io.err(`Loading ${character.shortName}'s model from run ${run.id}…`);
  const served = await call('training/serve', { id: run.id });
  const { url, model } = served.serving ?? { url: null, model: null };
  if (values.json) io.out(JSON.stringify({ runId: run.id, url, model }, null, 2));
  else io.out(`${url}\nmodel: ${model}`);
  io.err('Point any OpenAI-compatible chat app at this base URL (any API key). Ctrl+C stops the server.');
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  io.err('Stopping…');
  await studio.shutdown();
  return 0;
}

/** `doctor`: checks the trainer's Python environment. */
export async function doctorCommand(ctx: CliContext): Promise<number> {
  const report = await ctx.call('training/doctor', { python: strOf(ctx.values, 'python') ?? '' });
  ctx.print(report, () => `${report.ok ? '✓' : '✗'} ${report.python}: ${report.summary}`);
  return report.ok ? 0 : 1;
}
