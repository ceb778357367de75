import type {
  Character,
  EvalSystem,
  Job,
  JudgeDimension,
  JudgeJob,
  JudgeRequest,
  PairwiseSummary,
  Rate,
  ScoreSummary,
} from '../../../common/contract';
import { PAIRWISE_RULE } from '../../../common/pairwise-rule';
import { judgeNameOf } from '../../../common/judge-name';
import { DIMENSIONS } from '../../core/eval/judge-prompts';
import { StudioFailure } from '../../core/errors';
import { pickSystems } from '../eval-names';
import { argument, findCharacter, numberOption, str, UsageError, type CliContext } from '../shared';
import { judgeToAsk } from '../judge-option';
import { followJob } from './generate';

/**
 * `judge <character>`: scores the character's finished interviews with an LLM judge on the paper's
 * dimensions, and with `--pairwise a,b` compares two systems question by question in both orders.
 * Resumes the character's paused or interrupted judge job when there is one. Progress on stderr;
 * the result (the job, the mean scores per system and dimension, the win rates) on stdout.
 * Exit codes as `generate`: 0 done, 1 failed or refused, 3 paused.
 */
export async function judgeCommand(ctx: CliContext): Promise<number> {
  const { call, rest, io } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', 'judge'));
  const systems = await call('eval/systems/list', { characterId: character.id });
  const jobs = (await call('jobs/list', { characterId: character.id })).filter(
    (j): j is JudgeJob => j.kind === 'judge',
  );
  const stopped = jobs.find((j) => ['paused', 'interrupted', 'queued'].includes(j.status));
  const asked = await request(ctx, character, systems);
  let job: Job;
  if (stopped) {
    // Resumed only as it was asked for: options that ask for something else were ignored, and the
    // stopped job ran instead of the one the command named.
    const differs = differences(stopped, asked);
    if (differs.length > 0)
      throw new StudioFailure(
        'conflict',
        `A ${stopped.status} judge job (${stopped.settings.model}, ${stopped.done}/${stopped.total} done) waits with other ${differs.join(', ')}. Resume it with: character-studio judge ${character.shortName} (without options); or cancel it first: character-studio jobs cancel ${stopped.id}`,
      );
    io.err(`Resuming the ${stopped.status} judge job (${stopped.done}/${stopped.total} done).`);
    job = await call('jobs/resume', { id: stopped.id });
  } else {
    const j = await call('eval/judge/start', asked);
    job = j;
    io.err(
      `Judging with ${j.settings.model} (${j.settings.provider}), prompt ${j.settings.promptVersion}: ${j.total} verdict${j.total === 1 ? '' : 's'} to ask.`,
    );
  }
  return followJob(ctx, job.id, (final) => report(ctx, character, systems, final as JudgeJob));
}

/** The job with the mean scores of its judge per system and dimension, and its win rates. */
async function report(ctx: CliContext, character: Character, systems: EvalSystem[], final: JudgeJob): Promise<void> {
  const { call } = ctx;
  const means = (await call('eval/judgments/summary', { characterId: character.id })).filter(
    (m) => m.model === final.settings.model && m.promptVersion === final.settings.promptVersion,
  );
  const pair = final.settings.pairwise;
  const rates = pair
    ? await call('eval/pairwise/summary', { characterId: character.id, systemA: pair.a, systemB: pair.b })
    : [];
  const mineRates = rates.filter((r) => r.model === final.settings.model);
  const label = (id: string) => systems.find((s) => s.id === id)?.label ?? id;
  const judge = judgeNameOf(final.settings.model, final.settings.promptVersion);
  ctx.print({ job: final, means, pairwise: mineRates }, () => describe(means, mineRates, label, judge));
}

async function request(ctx: CliContext, character: Character, systems: EvalSystem[]): Promise<JudgeRequest> {
  const { values, call } = ctx;
  // A name that fits no system is a bad option here (exit 2), said with the flag that named it.
  const pick = (key: string, flag: string) => {
    try {
      return pickSystems(character, systems, [key])[0]!.id;
    } catch (error) {
      if (error instanceof StudioFailure) throw new UsageError(`${flag}: ${error.message}`);
      throw error;
    }
  };
  const list = (name: string) =>
    str(values, name)
      ?.split(',')
      .filter((s) => s.trim() !== '');
  const pairwiseKeys = list('pairwise');
  if (pairwiseKeys && pairwiseKeys.length !== 2)
    throw new UsageError('--pairwise takes two systems: --pairwise "<system a>,<system b>".');
  const systemKeys = list('systems');
  const dimensions = list('dimensions')?.map((d) => d.trim().toLowerCase());
  for (const d of dimensions ?? [])
    if (!(DIMENSIONS as readonly string[]).includes(d))
      throw new UsageError(`--dimensions: unknown dimension "${d}"; use ${DIMENSIONS.join(', ')}.`);
  const mode = str(values, 'mode');
  if (mode !== undefined && mode !== 'single' && mode !== 'multi')
    throw new UsageError(`--mode must be single or multi, not "${mode}".`);
  const judge = await judgeToAsk(call, str(values, 'judge') ?? str(values, 'provider'));
  const budget = str(values, 'budget');
  return {
    characterId: character.id,
    ...(systemKeys && { systemIds: systemKeys.map((k) => pick(k, '--systems')) }),
    ...(pairwiseKeys && {
      pairwise: { a: pick(pairwiseKeys[0]!, '--pairwise'), b: pick(pairwiseKeys[1]!, '--pairwise') },
    }),
    ...judge,
    ...(dimensions && { dimensions: dimensions as JudgeDimension[] }),
    ...(mode && { mode }),
    ...(str(values, 'retries') !== undefined && { maxRetries: numberOption(str(values, 'retries'), '--retries', 2) }),
    ...(budget !== undefined && { budgetUsd: numberOption(budget, '--budget', 0) }),
  };
}

/** What the command asks for that the stopped job does not do (only what the command names). */
function differences(stopped: JudgeJob, asked: JudgeRequest): string[] {
  const s = stopped.settings;
  const same = (a: readonly string[], b: readonly string[]) => [...a].sort().join() === [...b].sort().join();
  return [
    asked.providerId !== undefined && asked.providerId !== s.providerId && 'judge provider',
    asked.model !== undefined && asked.model !== s.model && 'judge model',
    asked.systemIds !== undefined && !same(asked.systemIds, s.systemIds) && 'systems',
    asked.dimensions !== undefined && !same(asked.dimensions, s.dimensions) && 'dimensions',
    asked.mode !== undefined && asked.mode !== s.mode && 'mode',
    asked.pairwise !== undefined &&
      (asked.pairwise.a !== s.pairwise?.a || asked.pairwise.b !== s.pairwise?.b) &&
      'pairwise systems',
  ].filter((d): d is string => typeof d === 'string');
}

function percent(r: Rate): string {
  const p = (x: number) => `${Math.round(x * 100)}%`;
  return `${p(r.rate)} [${p(r.low)}–${p(r.high)}]`;
}

function describe(
  means: ScoreSummary[],
  rates: PairwiseSummary[],
  label: (id: string) => string,
  judge: string,
): string {
  const lines: string[] = [];
  // Named: means of two judges are never one number, so each says whose it is.
  if (means.length > 0) lines.push(`Mean scores (1–7) by ${judge}:`);
  for (const m of means) {
    const score = m.mean === null ? 'unscored' : m.mean.toFixed(2);
    const extra = m.unscored > 0 ? `, ${m.unscored} unscored` : '';
    lines.push(`  ${label(m.systemId)} · ${m.mode} · ${m.dimension}: ${score} (${m.scored} scored${extra})`);
  }
  if (rates.length > 0) lines.push(`Pairwise by ${judge}, both orders asked (95% Wilson intervals). ${PAIRWISE_RULE}`);
  for (const r of rates) {
    const w = r.rates;
    lines.push(
      `  ${r.mode} · ${r.dimension}: ${label(r.systemA)} wins ${percent(w.aWins)}, ${label(r.systemB)} wins ${percent(w.bWins)}, ties ${percent(w.ties)}${w.inconsistent.count > 0 ? ` (${w.inconsistent.count} inconsistent)` : ''} of ${w.pairs} pair${w.pairs === 1 ? '' : 's'}${w.unscored > 0 ? ` (${w.unscored} unscored)` : ''}`,
    );
  }
  return lines.length > 0 ? lines.join('\n') : 'No verdicts stored.';
}
