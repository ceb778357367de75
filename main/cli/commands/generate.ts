import type { GenerationPlan, GenerationPreset, GenerationSettings, Job } from '../../../common/contract';
import {
  argument,
  findCharacter,
  findProvider,
  formatDuration,
  numberOption,
  str as strOf,
  UsageError,
  type CliContext,
} from '../shared';

/** `generate <character>`: starts, or resumes, the character's generation job and follows it to the end. */
export async function generateCommand(ctx: CliContext): Promise<number> {
  const { studio, call, values, rest, io } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', 'generate'));
  const str = (name: string) => strOf(values, name);
  const jobs = await call('jobs/list', { characterId: character.id });
  let job = jobs.find((j) => ['paused', 'interrupted', 'queued', 'running'].includes(j.status));
  if (job && !values.estimate) {
    io.err(`Resuming the ${job.status} job for ${character.fullName} (${job.done}/${job.total} done).`);
    job = await call('jobs/resume', { id: job.id });
  } else {
    const providerKey = str('provider');
    if (!providerKey) throw new UsageError('Missing --provider (see: character-studio providers list).');
    const provider = await findProvider(call, providerKey);
    const preset = presetOption(str('preset'), values);
    const defaults = await call('generation/defaults', { characterId: character.id, preset });
    const settings: GenerationSettings = {
      ...defaults,
      providerId: provider.id,
      targetScenes: numberOption(str('target'), '--target', defaults.targetScenes),
      scenesPerCall: numberOption(str('per-call'), '--per-call', defaults.scenesPerCall),
      protectiveShare: numberOption(str('protective'), '--protective', defaults.protectiveShare),
      temperature: numberOption(str('temperature'), '--temperature', defaults.temperature),
      topP: numberOption(str('top-p'), '--top-p', defaults.topP),
      maxTokens: numberOption(str('max-tokens'), '--max-tokens', defaults.maxTokens),
      budgetUsd: str('budget') === undefined ? null : numberOption(str('budget'), '--budget', 0),
    };
    const estimate = await call('generation/estimate', { characterId: character.id, settings });
    io.err(describePlan(estimate.plan));
    const cost = estimate.costUsd === null ? 'unknown cost' : `$${estimate.costUsd.toFixed(2)}`;
    io.err(
      `Estimate: ${estimate.calls} calls, ${estimate.promptTokens.toLocaleString('en')} prompt + ${estimate.completionTokens.toLocaleString('en')} completion tokens, ${cost}, about ${formatDuration(estimate.seconds)}.`,
    );
    for (const warning of estimate.warnings) io.err(`Warning: ${warning}`);
    if (values.estimate) {
      if (values.json) io.out(JSON.stringify(estimate, null, 2));
      return 0;
    }
    job = await call('generation/start', { characterId: character.id, settings });
  }
  const id = job.id;
  let last = '';
  const off = studio.events.subscribe((name, payload) => {
    if (name !== 'jobs/progressed') return;
    const j = payload as Job;
    if (j.id !== id) return;
    const line = describeJob(j);
    if (line !== last) io.err(line);
    last = line;
  });
  const interrupt = () => {
    io.err('Pausing… (run the same command again to resume)');
    void call('jobs/pause', { id }).catch(() => undefined);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const final = await studio.generation.whenIdle(id);
    io.err(describeJob(final));
    if (final.message) io.err(final.message);
    if (values.json) io.out(JSON.stringify(final, null, 2));
    return final.status === 'succeeded' ? 0 : final.status === 'paused' ? 3 : 1;
  } finally {
    off();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await studio.shutdown();
  }
}

/** `--preset studio|paper`; the paper's plan fixes the scene numbers, so it refuses options that set them. */
function presetOption(text: string | undefined, values: CliContext['values']): GenerationPreset {
  if (text === undefined || text === 'studio') return 'studio';
  if (text !== 'paper') throw new UsageError(`Unknown --preset "${text}" for generate: use studio or paper.`);
  const fixed = ['target', 'per-call', 'protective'].filter((name) => values[name] !== undefined);
  if (fixed.length > 0)
    throw new UsageError(
      `--preset paper sets the scene numbers as the paper did (100 calls of 20 scenes, one protective scene per chunk); leave out ${fixed.map((n) => `--${n}`).join(', ')}.`,
    );
  return 'paper';
}

function describePlan(plan: GenerationPlan): string {
  const { low, high } = plan.expectedScenes;
  const expected = low === high ? `${low}` : `${low}–${high}`;
  return [
    `Plan (${plan.preset}): ${plan.sceneCalls} scene calls of ${plan.scenesPerCall} (${plan.scenesAsked} scenes asked), ${expected} scenes expected, ${plan.protectiveScenes} protective.`,
    ...plan.rules.map((rule) => `  ${rule}`),
  ].join('\n');
}

function describeJob(job: Job): string {
  const stages = job.stages
    .map((s) => `${s.stage} ${s.done}/${s.total}${s.failed ? ` (${s.failed} failed)` : ''}`)
    .join(' · ');
  const eta = job.etaSeconds === null ? '' : ` · ETA ${formatDuration(job.etaSeconds)}`;
  const cost = job.costUsd > 0 ? ` · $${job.costUsd.toFixed(3)}` : '';
  return `[${job.status}] ${stages} · ${(job.promptTokens + job.completionTokens).toLocaleString('en')} tokens${cost}${eta}`;
}
