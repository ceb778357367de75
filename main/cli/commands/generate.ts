import { formatDuration } from '../../../common/duration';
import type { GenerationPlan, GenerationPreset, GenerationSettings, Job, JobId } from '../../../common/contract';
import { formatUsd, jobCostText } from '../../../common/money';
import {
  argument,
  confirmOnTerminal,
  findCharacter,
  findProvider,
  numberOption,
  str as strOf,
  UsageError,
  type CliContext,
} from '../shared';
import { onInterrupt } from '../interrupt';

/**
 * `generate <character>`: resumes the character's unfinished job (paused, interrupted, or the
 * latest one if it failed), or starts a run towards the target, the character's total of scenes;
 * `--more N` adds N to what it has. Follows the job to its end. Exit codes: 0 done (or nothing to
 * do), 1 failed or refused, 3 paused.
 */
export async function generateCommand(ctx: CliContext): Promise<number> {
  const { call, values, rest, io } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', 'generate'));
  const str = (name: string) => strOf(values, name);
  // Regenerations of single scenes are jobs too; only generation runs are resumed here.
  const jobs = (await call('jobs/list', { characterId: character.id })).filter((j) => j.kind === 'generation');
  const more = str('more') === undefined ? undefined : numberOption(str('more'), '--more', 0);
  const resumable =
    jobs.find((j) => ['paused', 'interrupted', 'queued', 'running'].includes(j.status)) ??
    (jobs[0]?.status === 'failed' ? jobs[0] : undefined);
  let job: Job;
  if (resumable && !values.estimate) {
    if (more !== undefined && resumable.status !== 'failed')
      throw new UsageError(
        `${character.fullName} has a ${resumable.status} job: run without --more to resume it, or cancel it first.`,
      );
    await refuseNewSettings(ctx, resumable, character.fullName);
    if (str('budget') !== undefined) {
      const budgetUsd = numberOption(str('budget'), '--budget', 0);
      await call('jobs/set-budget', { id: resumable.id, budgetUsd });
      io.err(`Budget set to ${formatUsd(budgetUsd)}.`);
    }
    io.err(
      `Resuming the ${resumable.status} job for ${character.fullName} (${resumable.done}/${resumable.total} done).`,
    );
    job = await call('jobs/resume', { id: resumable.id });
  } else {
    const providerKey = str('provider') ?? jobs[0]?.settings.providerId;
    if (!providerKey) throw new UsageError('Missing --provider (see: character-studio providers list).');
    const provider = await findProvider(call, providerKey);
    // The character's last-used values, so a re-run with fewer options means the same run.
    const preset = presetOption(str('preset'), values);
    const defaults = await call('generation/defaults', {
      characterId: character.id,
      ...(preset !== undefined && { preset }),
    });
    const settings: GenerationSettings = {
      ...defaults,
      providerId: provider.id,
      targetScenes: numberOption(str('target'), '--target', defaults.targetScenes),
      scenesPerCall: numberOption(str('per-call'), '--per-call', defaults.scenesPerCall),
      protectiveShare: protectiveOption(str('protective'), defaults.protectiveShare),
      temperature: numberOption(str('temperature'), '--temperature', defaults.temperature),
      topP: numberOption(str('top-p'), '--top-p', defaults.topP),
      maxTokens: numberOption(str('max-tokens'), '--max-tokens', defaults.maxTokens),
      budgetUsd: str('budget') === undefined ? null : numberOption(str('budget'), '--budget', 0),
    };
    const target = { characterId: character.id, settings, ...(more !== undefined && { more }) };
    const estimate = await call('generation/estimate', target);
    if (!estimate.hasWork && !values.estimate) {
      io.err(
        `${character.fullName} already has ${estimate.existingScenes} scenes, each with its experience: the target of ${estimate.targetScenes} is met. Nothing to do; use --more N to add N scenes.`,
      );
      return 0;
    }
    io.err(describePlan(estimate.plan));
    const cost = estimate.costUsd === null ? 'unknown cost' : formatUsd(estimate.costUsd);
    io.err(
      `Estimate: ${estimate.existingScenes} of ${estimate.targetScenes} scenes exist; ${estimate.calls} calls, ${estimate.promptTokens.toLocaleString('en')} prompt + ${estimate.completionTokens.toLocaleString('en')} completion tokens, ${cost}, about ${formatDuration(estimate.seconds)} (${estimate.timeBasis}).`,
    );
    for (const warning of estimate.warnings) io.err(`Warning: ${warning}`);
    if (values.estimate) {
      if (values.json) io.out(JSON.stringify(estimate, null, 2));
      return 0;
    }
    const threshold =
      str('confirm-above') === undefined
        ? (await call('generation/preferences', {})).confirmAboveUsd
        : numberOption(str('confirm-above'), '--confirm-above', 0);
    if (estimate.costUsd !== null && estimate.costUsd > threshold && !values.yes) {
      const question = `The estimate (${formatUsd(estimate.costUsd)}) is above ${formatUsd(threshold)}, the cost that asks first.`;
      if (!(await confirmOnTerminal(io, `${question} Start anyway?`))) {
        io.err(`${question} Nothing was started: run again with --yes to go ahead.`);
        return 1;
      }
    }
    job = await call('generation/start', target);
  }
  return followJob(ctx, job.id);
}

/** The options of a new run, each with the setting it sets: a resumed job keeps its own. */
const RUN_OPTIONS = [
  ['target', 'targetScenes'],
  ['per-call', 'scenesPerCall'],
  ['protective', 'protectiveShare'],
  ['temperature', 'temperature'],
  ['top-p', 'topP'],
  ['max-tokens', 'maxTokens'],
] as const;

/**
 * Refuses options that would change a job being resumed (another provider, another target…):
 * a resumed job runs with the settings it started with, and they were dropped without a word.
 * The same command run again (what Ctrl+C says to do) names the same values and goes on.
 */
async function refuseNewSettings(ctx: CliContext, job: Job, name: string): Promise<void> {
  const { call, values } = ctx;
  const settings = job.settings as GenerationSettings;
  const changed: string[] = [];
  const providerKey = strOf(values, 'provider');
  const providers = await call('providers/list', {});
  const current = providers.find((p) => p.id === settings.providerId);
  if (providerKey !== undefined && (await findProvider(call, providerKey, providers)).id !== settings.providerId)
    changed.push('--provider');
  for (const [flag, key] of RUN_OPTIONS) {
    const text = strOf(values, flag);
    if (text !== undefined && numberOption(text, `--${flag}`, 0) !== settings[key]) changed.push(`--${flag}`);
  }
  if (strOf(values, 'preset') !== undefined && strOf(values, 'preset') !== (settings.preset ?? 'studio'))
    changed.push('--preset');
  if (changed.length === 0) return;
  throw new UsageError(
    `${name} has a ${job.status} generation job (${job.done}/${job.total} done${current ? `, on ${current.name}` : ''}); a resumed job keeps the settings it started with, so ${changed.join(', ')} would not apply. Run without ${changed.length === 1 ? 'it' : 'them'} to resume the job, or cancel it first (character-studio jobs cancel ${job.id.slice(0, 8)}) and run again to start a new one.`,
  );
}

/**
 * `--protective`: the share of protective scenes, 0 to 0.2. A percentage (the Generate tab asks for
 * one: "3") is refused with the share it likely meant, rather than failing on the core's range.
 */
function protectiveOption(text: string | undefined, fallback: number): number {
  const share = numberOption(text, '--protective', fallback);
  if (share >= 0 && share <= 0.2) return share;
  throw new UsageError(
    `--protective is a share from 0 to 0.2 (the paper used 0.01–0.05)${share > 0.2 && share <= 20 ? `; for ${share}%, give ${share / 100}` : ''}, not ${text}.`,
  );
}

/**
 * Prints a job's progress (any kind) to stderr until it ends, pausing it on Ctrl+C; the exit code
 * is 0 when it succeeded, 3 when paused, 1 otherwise. Shuts the studio down after. `report`: prints
 * the result in place of the final job (`--json`), while the studio is still open.
 */
export async function followJob(ctx: CliContext, id: JobId, report?: (final: Job) => Promise<void>): Promise<number> {
  const { studio, io, call, values } = ctx;
  let last = '';
  const off = studio.events.subscribe((name, payload) => {
    if (name !== 'jobs/progressed') return;
    const j = payload as Job;
    if (j.id !== id) return;
    const line = describeJob(j);
    if (line !== last) io.err(line);
    last = line;
  });
  const offInterrupt = onInterrupt(() => {
    io.err('Pausing… (run the same command again to resume)');
    return call('jobs/pause', { id });
  }, ['SIGINT', 'SIGTERM']);
  try {
    const final = await studio.jobs.whenIdle(id);
    if (describeJob(final) !== last) io.err(describeJob(final));
    if (final.message) io.err(final.message);
    if (final.notedItems > 0 && final.kind === 'regenerate')
      io.err(
        `${final.notedItems} scene(s) not rewritten in place: each rewrite waits as a proposal (scenes proposals <scene> lists them, scenes diff <scene> --proposal <n> compares, scenes adopt <scene> takes one):\n${final.notes.map((n) => `  ${n.text}`).join('\n')}`,
      );
    else if (final.notedItems > 0)
      io.err(
        `${final.notedItems} answer(s) had parts that could not be read (left out, on record with their calls):\n${final.notes.map((n) => `  ${n.stage}: ${n.text}`).join('\n')}`,
      );
    if (report) await report(final);
    else if (values.json) io.out(JSON.stringify(final, null, 2));
    return final.status === 'succeeded' ? 0 : final.status === 'paused' ? 3 : 1;
  } finally {
    off();
    offInterrupt();
    await studio.shutdown();
  }
}

/** `--preset studio|paper`; the paper's plan fixes the scene numbers, so it refuses options that set them. */
function presetOption(text: string | undefined, values: CliContext['values']): GenerationPreset | undefined {
  if (text === undefined || text === 'studio') return text;
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

/** A job's progress on one line: its status, each stage's count, tokens, cost and the time left. */
export function describeJob(job: Job): string {
  const stages = job.stages
    .map((s) => `${s.stage} ${s.done}/${s.total}${s.failed ? ` (${s.failed} failed)` : ''}`)
    .join(' · ');
  const eta = job.etaSeconds === null ? '' : ` · ETA ${formatDuration(job.etaSeconds)}`;
  const cost = job.costUsd > 0 || job.unpricedCalls > 0 ? ` · ${jobCostText(job)}` : '';
  const lost = job.interruptedCalls > 0 ? ` · ${job.interruptedCalls} interrupted calls (cost unknown)` : '';
  return `[${job.status}] ${stages} · ${(job.promptTokens + job.completionTokens).toLocaleString('en')} tokens${cost}${lost}${eta}`;
}
