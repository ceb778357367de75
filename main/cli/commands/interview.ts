import type {
  Character,
  ChatRuntimeKind,
  EvalAnswerer,
  EvalSystem,
  InterviewJob,
  InterviewTranscript,
  Judgment,
  RunId,
} from '../../../common/contract';
import { argument, findCharacter, findProvider, numberOption, str, UsageError, type CliContext } from '../shared';
import { DIMENSIONS } from '../../core/eval/judge-prompts';
import { findInterview, findSet, findSystems } from '../eval-names';
import { followJob } from './generate';
import { counted } from '../../../common/plural';
import { judgeNameOf } from '../../../common/judge-name';

/**
 * `interview`: the Evaluate tab's interviews in a terminal, on the same commands and job engine.
 *
 *   interview <character> --system <a,b> --set <set> [--version <n>] [--mode single|multi] [--rounds <n>]
 *        [--provider <interviewer>] [--model <interviewer model>] [--budget <usd>] [--json]
 *   interview <character> systems
 *   interview <character> add-system --kind run|base|prompted [--run <id>] [--runtime embedded|served|endpoint]
 *        [--provider <p>] [--model <m>] [--name <label>] [--temperature <t>] [--top-p <p>] [--max-tokens <n>]
 *   interview <character> archive-system <system>
 *   interview <character> list [--set <set>] [--system <system>] [--mode single|multi]
 *   interview <character> show <interview> [--reasoning]
 *
 * Running again with the same systems and set resumes that job when it stopped (paused,
 * interrupted, failed): each interview goes on at the round it was in.
 */
export async function interviewCommand(ctx: CliContext): Promise<number> {
  const character = await findCharacter(ctx.call, argument(ctx.rest, 0, '<character>', 'interview'));
  const verb = ctx.rest[1];
  if (verb === 'systems') {
    const systems = await ctx.call('eval/systems/list', { characterId: character.id });
    ctx.print(systems, () =>
      systems.length === 0
        ? `No systems yet. Add one: character-studio interview ${character.shortName} add-system --kind prompted --provider <p>`
        : systems.map(describeSystem).join('\n'),
    );
    return 0;
  }
  if (verb === 'add-system') return addSystem(ctx, character);
  if (verb === 'archive-system') {
    const [system] = await findSystems(
      ctx.call,
      character,
      argument(ctx.rest, 2, '<system>', 'interview archive-system'),
    );
    const archived = await ctx.call('eval/systems/archive', { id: system!.id });
    ctx.print(
      archived,
      () =>
        `Archived "${archived.label}": it leaves the lists and the report; its ${counted(archived.interviews, 'interview')} and their judgments are kept.`,
    );
    return 0;
  }
  if (verb === 'list') return listInterviews(ctx, character);
  if (verb === 'show') {
    const id = await findInterview(ctx.call, character, argument(ctx.rest, 2, '<interview>', 'interview show'));
    const transcript = await ctx.call('eval/interviews/get', { id });
    // The judge's verdicts under the transcript, as the Evaluate tab shows them.
    const judgments = await ctx.call('eval/judgments/list', { characterId: character.id, interviewId: id });
    ctx.print({ ...transcript, judgments }, () =>
      [describeTranscript(transcript), ...describeJudgments(judgments, ctx.values.reasoning === true)].join('\n'),
    );
    return 0;
  }
  if (verb !== undefined)
    throw new UsageError(`Unknown interview command "${verb}": use systems, add-system, archive-system, list or show.`);
  return runInterviews(ctx, character);
}

async function runInterviews(ctx: CliContext, character: Character): Promise<number> {
  const systemKeys = str(ctx.values, 'system');
  const setKey = str(ctx.values, 'set');
  if (!systemKeys || !setKey)
    throw new UsageError('Say who answers and what: --system <name[,name…]> --set <question set>.');
  const systems = await findSystems(ctx.call, character, systemKeys);
  const set = await findSet(ctx.call, character, setKey);
  const mode = str(ctx.values, 'mode');
  if (mode !== undefined && mode !== 'single' && mode !== 'multi')
    throw new UsageError(`--mode must be single or multi, not "${mode}".`);
  const version = setVersionOf(str(ctx.values, 'version'), set.currentVersion, set.name);
  const stopped = (await ctx.call('jobs/list', { characterId: character.id })).find(
    (j): j is InterviewJob =>
      j.kind === 'interview' &&
      ['paused', 'interrupted', 'failed'].includes(j.status) &&
      j.settings.setId === set.id &&
      j.settings.setVersion === (version ?? set.currentVersion) &&
      (j.settings.mode ?? undefined) === mode &&
      sameIds(
        j.settings.systemIds,
        systems.map((s) => s.id),
      ),
  );
  let id;
  if (stopped) {
    ctx.io.err(`Resuming the ${stopped.status} interview job ${stopped.id} (${stopped.done}/${stopped.total} done).`);
    id = (await ctx.call('jobs/resume', { id: stopped.id })).id;
  } else {
    const provider = str(ctx.values, 'provider');
    const budget = str(ctx.values, 'budget');
    const rounds = str(ctx.values, 'rounds');
    const job = await ctx.call('eval/interviews/start', {
      characterId: character.id,
      systemIds: systems.map((s) => s.id),
      setId: set.id,
      ...(version !== undefined && { version }),
      ...(mode !== undefined && { mode }),
      ...(rounds !== undefined && { rounds: numberOption(rounds, '--rounds', 5) }),
      ...(provider && { interviewerProviderId: (await findProvider(ctx.call, provider)).id }),
      ...(str(ctx.values, 'model') && { interviewerModel: str(ctx.values, 'model')! }),
      ...(budget !== undefined && { budgetUsd: numberOption(budget, '--budget', 0) }),
    });
    ctx.io.err(`Started ${job.total} interview${job.total === 1 ? '' : 's'} (job ${job.id}).`);
    id = job.id;
  }
  return followJob(ctx, id);
}

/**
 * `--version <n>`: ask an earlier version of the set, so the answers stay comparable to runs that
 * asked it. Absent: the newest. The core says which versions exist when `n` is not one of them.
 */
function setVersionOf(text: string | undefined, current: number, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.replace(/^v/i, ''));
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--version takes a version number of "${name}" (1 to ${current}), not "${text}".`);
  return n;
}

async function addSystem(ctx: CliContext, character: Character): Promise<number> {
  const kind = str(ctx.values, 'kind');
  if (kind !== 'run' && kind !== 'base' && kind !== 'prompted')
    throw new UsageError('--kind must be run, base or prompted (imported systems come from an import).');
  const runtime = (str(ctx.values, 'runtime') ?? (kind === 'run' ? 'embedded' : 'endpoint')) as ChatRuntimeKind;
  if (!['embedded', 'served', 'endpoint'].includes(runtime))
    throw new UsageError(`--runtime must be embedded, served or endpoint, not "${runtime}".`);
  const run = str(ctx.values, 'run') as RunId | undefined;
  let answerer: EvalAnswerer;
  if (runtime === 'endpoint') {
    const provider = str(ctx.values, 'provider');
    if (!provider)
      throw new UsageError('An endpoint system needs --provider <provider> (and --model when not its default).');
    const p = await findProvider(ctx.call, provider);
    answerer = { runtime, providerId: p.id, model: str(ctx.values, 'model') ?? p.model, runId: run ?? null };
  } else {
    if (!run) throw new UsageError(`The ${runtime} runtime answers for a trained run: give --run <id>.`);
    answerer = { runtime, runId: run };
  }
  const sampling = {
    ...(str(ctx.values, 'temperature') !== undefined && {
      temperature: numberOption(str(ctx.values, 'temperature'), '--temperature', 0.2),
    }),
    ...(str(ctx.values, 'top-p') !== undefined && { topP: numberOption(str(ctx.values, 'top-p'), '--top-p', 0.95) }),
    ...(str(ctx.values, 'max-tokens') !== undefined && {
      maxTokens: numberOption(str(ctx.values, 'max-tokens'), '--max-tokens', 256),
    }),
  };
  const system = await ctx.call('eval/systems/create', {
    characterId: character.id,
    kind,
    answerer,
    sampling,
    ...(str(ctx.values, 'name') && { label: str(ctx.values, 'name')! }),
  });
  ctx.print(system, () => `Added ${describeSystem(system)}`);
  return 0;
}

async function listInterviews(ctx: CliContext, character: Character): Promise<number> {
  const setKey = str(ctx.values, 'set');
  const systemKey = str(ctx.values, 'system');
  const mode = str(ctx.values, 'mode') as 'single' | 'multi' | undefined;
  const systems = await ctx.call('eval/systems/list', { characterId: character.id });
  const interviews = await ctx.call('eval/interviews/list', {
    characterId: character.id,
    ...(setKey && { setId: (await findSet(ctx.call, character, setKey)).id }),
    ...(systemKey && { systemId: (await findSystems(ctx.call, character, systemKey))[0]!.id }),
    ...(mode && { mode }),
  });
  const label = new Map(systems.map((s) => [s.id, s.label]));
  ctx.print(
    interviews,
    () =>
      interviews
        .map(
          (i) =>
            `${i.id}  ${label.get(i.systemId) ?? i.systemId} · ${i.mode} · ${i.roundsDone}/${i.rounds} · ${i.status}${i.nonstop ? ' · cut' : ''}${i.error ? ` (${i.error})` : ''}  ${i.question}`,
        )
        .join('\n') || 'No interviews.',
  );
  return 0;
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

function describeSystem(s: EvalSystem): string {
  const how =
    s.answerer === null
      ? `imported from ${s.source ?? '?'}`
      : s.answerer.runtime === 'endpoint'
        ? `${s.answerer.model} via endpoint`
        : `run ${s.answerer.runId} (${s.answerer.runtime})`;
  return `${s.id}  "${s.label}" · ${s.kind} · ${how} · ${counted(s.interviews, 'interview')}`;
}

/** Each verdict on a line, by dimension then judge; with `reasoning`, the judge's reasoning under it. */
function describeJudgments(judgments: readonly Judgment[], reasoning: boolean): string[] {
  if (judgments.length === 0) return ['Not judged yet.'];
  const sorted = [...judgments].sort(
    (a, b) => DIMENSIONS.indexOf(a.dimension) - DIMENSIONS.indexOf(b.dimension) || a.createdAt - b.createdAt,
  );
  const lines = ['Scores:'];
  for (const j of sorted) {
    const score = j.score === null ? `unscored (${counted(j.failures.length, 'unreadable answer')})` : `${j.score}/7`;
    lines.push(`  ${j.dimension}: ${score} · ${judgeNameOf(j.model, j.promptVersion)}`);
    if (reasoning && j.reasoning) lines.push(...j.reasoning.split('\n').map((l) => `      ${l}`));
  }
  if (!reasoning) lines.push('(--reasoning prints why the judge gave each score)');
  return lines;
}

/** A transcript with the character's thoughts apart (indented, in brackets) from what it says. */
function describeTranscript(t: InterviewTranscript): string {
  const head = `${t.system.label} · ${t.interview.mode}-turn · ${t.interview.roundsDone}/${t.interview.rounds} rounds · ${t.interview.status}\n${t.interview.mode === 'multi' ? 'Goal' : 'Question'}: ${t.interview.question}`;
  const lines = t.turns.map((turn) => {
    const flag = turn.nonstop ? ' [cut]' : '';
    return turn.action === 'thinking'
      ? `      (${turn.speaker} thinks: ${turn.text})${flag}`
      : `  ${turn.round}. ${turn.speaker}: ${turn.text}${flag}`;
  });
  return [head, ...lines, ...(t.interview.error ? [`Error: ${t.interview.error}`] : [])].join('\n');
}
