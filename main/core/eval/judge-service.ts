import type {
  CharacterId,
  EvalSystemId,
  JobId,
  JudgeJob,
  JudgeRequest,
  JudgeSettings,
  Judgment,
  JudgmentFilter,
  PairwiseFilter,
  PairwiseJudgment,
  PairwiseSummary,
  Provider,
  ProviderId,
} from '../../../common/contract';
import type { Db } from '../../store/database';
import type { JobRow, JobsRepo } from '../../store/jobs-repo';
import type { EvalRepo } from '../../store/eval-repo';
import type { JudgmentsRepo } from '../../store/judgments-repo';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import { defaultProvider } from './default-provider';
import type { EventBus } from '../events';
import { drainItems } from '../jobs/item-pump';
import type { JobKind, KindView } from '../jobs/job-kind';
import type { RunHandle } from '../jobs/job-runner';
import type { JobLlm } from '../jobs/job-calls';
import type { JobService } from '../jobs/job-service';
import { askJudge, DEFAULT_JUDGE_RETRIES, MAX_JUDGE_RETRIES } from './judge-ask';
import { parsePairwiseVerdict, parseScore, type Parsed } from './judge-parse';
import type { ChatMessage } from '../llm/types';
import {
  DIMENSIONS,
  JUDGE_PROMPT_VERSION,
  judgeMessages,
  PAIRWISE_PROMPT_VERSION,
  pairwiseMessages,
} from './judge-prompts';
import { JudgeSubjects } from './judge-subjects';
import type { ProfileText } from './profile-text';
import { winnerOf } from './pairwise';
import {
  PAIR_STAGE,
  pairItems,
  SCORE_STAGE,
  scoreItems,
  type JudgeStage,
  type PairInput,
  type ScoreInput,
} from './judge-plan';
import { winRates } from './win-rate';

/** What every item of one run works with. */
interface RunContext {
  jobId: JobId;
  characterId: CharacterId;
  run: RunHandle;
  llm: JobLlm;
  s: JudgeSettings;
}

/**
 * The judge as a job kind (`judge`) of the generic engine: one item per finished interview ×
 * dimension (a score 1–7, or unscored after bounded repairs), and for a pairwise comparison two
 * items per shared question × dimension, one per order. Every ask is a recorded call at
 * temperature 0 through the job's gateway, so concurrency, budget, cost and resume are the
 * engine's. A judgment and its item's `done` mark are written in one transaction: a run killed
 * anywhere resumes without asking twice or storing twice. Which items a job holds (and how pairs
 * are matched) is `judge-plan.ts`.
 */
export class JudgeService implements JobKind {
  readonly name = 'judge';
  readonly resumable = true;
  private readonly subjects: JudgeSubjects;

  constructor(
    private readonly db: Db,
    private readonly jobs: JobsRepo,
    private readonly repo: JudgmentsRepo,
    evalRepo: EvalRepo,
    private readonly characters: CharacterService,
    profile: ProfileText,
    private readonly engine: JobService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    /** The configured providers, for the default judge. */
    private readonly providers: () => readonly Provider[],
  ) {
    this.subjects = new JudgeSubjects(repo, evalRepo, characters, profile);
    engine.register(this);
  }

  /** Checks the request, plans every item not judged yet by this judge, and starts the job. */
  start(request: JudgeRequest): JudgeJob {
    const character = this.characters.get(request.characterId);
    const provider = this.engine.calls.provider(this.providerOf(request));
    const model = request.model?.trim() || provider.model;
    if (!model)
      throw new StudioFailure('invalid_argument', `Name the judge model: provider "${provider.name}" has none set.`);
    const dimensions = [...new Set(request.dimensions ?? DIMENSIONS)];
    if (dimensions.length === 0) throw new StudioFailure('invalid_argument', 'Choose at least one dimension to judge.');
    const maxRetries = request.maxRetries ?? DEFAULT_JUDGE_RETRIES;
    if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > MAX_JUDGE_RETRIES)
      throw new StudioFailure('invalid_argument', `Retries must be a whole number from 0 to ${MAX_JUDGE_RETRIES}.`);
    // Naming only a pair asks for the comparison alone; naming systems (or nothing) asks for scores.
    const scores = request.scores ?? !(request.pairwise && !request.systemIds);
    const systemIds = scores ? (request.systemIds ?? this.repo.systemsWithInterviews(character.id)) : [];
    for (const id of systemIds) this.checkSystem(character.id, id);
    const pairwise = request.pairwise ?? null;
    if (pairwise) {
      if (pairwise.a === pairwise.b)
        throw new StudioFailure('invalid_argument', 'A pairwise comparison needs two different systems.');
      this.checkSystem(character.id, pairwise.a);
      this.checkSystem(character.id, pairwise.b);
    }
    const settings: JudgeSettings = {
      providerId: provider.id,
      provider: provider.name,
      model,
      systemIds,
      dimensions,
      mode: request.mode ?? null,
      pairwise,
      maxRetries,
      promptVersion: JUDGE_PROMPT_VERSION,
      pairwisePromptVersion: PAIRWISE_PROMPT_VERSION,
      budgetUsd: request.budgetUsd ?? null,
    };
    this.engine.calls.assertBudgetCountable(settings.budgetUsd, [{ providerId: provider.id, model }]);
    const items = [
      ...scoreItems(this.repo, this.newId, character.id, settings),
      ...pairItems(this.repo, this.newId, character.id, settings),
    ];
    if (items.length === 0)
      throw new StudioFailure(
        'not_found',
        systemIds.length === 0 && !pairwise
          ? `${character.shortName} has no finished interviews to judge yet: run an interview first.`
          : `Nothing left to judge: every finished interview of these systems already has ${model}'s verdict with prompt ${JUDGE_PROMPT_VERSION}${pairwise ? ', and the two systems share no question not compared yet' : ''}. Choose another judge model to judge again.`,
      );
    const job = this.engine.startWithItems('judge', character.id, settings, (id) => {
      this.jobs.items.planItems(id, items, this.clock.now());
    });
    return job as JudgeJob;
  }

  async run(id: JobId, run: RunHandle): Promise<string | null> {
    const row = this.jobs.job(id)!;
    const settings = JSON.parse(row.settings) as JudgeSettings;
    const llm = this.engine.calls.llmFor(id, run, settings.providerId, settings.model);
    const ctx: RunContext = { jobId: id, characterId: row.character_id, run, llm, s: settings };
    for (const stage of [SCORE_STAGE, PAIR_STAGE]) {
      await drainItems(this.jobs, id, stage, llm.window, run.controller.signal, (item) =>
        this.guarded(ctx, item.id, () =>
          stage === SCORE_STAGE
            ? this.scoreItem(ctx, item.id, JSON.parse(item.input) as ScoreInput)
            : this.pairItem(ctx, item.id, JSON.parse(item.input) as PairInput),
        ),
      );
      if (run.controller.signal.aborted) break;
    }
    this.events.emit('eval/judgments/changed', { characterId: row.character_id, jobId: id });
    const unscored = this.unscoredOf(id);
    if (unscored === 0) return null;
    const asked = this.view(row).done;
    // Not one verdict read: nothing was judged, and the job says so by failing, not by a green
    // "finished" over a table of blanks (a CLI run exits 1).
    if (!run.controller.signal.aborted && unscored >= asked)
      throw new Error(
        `No verdict could be scored: none of the judge's ${asked} answers could be read (each reason is kept with its judgment). The judge model may not follow the format: try another one.`,
      );
    return `${unscored} verdict${unscored === 1 ? ' stays' : 's stay'} unscored: the judge's answers could not be read (each reason is kept with its judgment). Another judge model may do better.`;
  }

  view(row: JobRow): KindView {
    const settings = JSON.parse(row.settings) as JudgeSettings;
    const stages = [SCORE_STAGE, PAIR_STAGE]
      .map((stage) => {
        const c = this.jobs.countItems(row.id, stage);
        return { stage, done: c.done, failed: c.failed, total: c.pending + c.done + c.failed };
      })
      .filter((s) => s.total > 0);
    const sum = (k: 'done' | 'failed' | 'total') => stages.reduce((n, s) => n + s[k], 0);
    return { kind: 'judge', settings, stages, done: sum('done'), total: sum('total'), failed: sum('failed') };
  }

  judgments(filter: JudgmentFilter): Judgment[] {
    this.characters.get(filter.characterId);
    return this.repo.judgments(filter);
  }

  pairs(filter: PairwiseFilter): PairwiseJudgment[] {
    this.characters.get(filter.characterId);
    return this.repo.pairs(filter);
  }

  /**
   * Win rates of A against B per dimension, mode, judge model and prompt version. Pairs with an
   * order not asked yet (a job still running, or stopped) are left out; an order asked but never
   * read makes its pair unscored.
   */
  summary(characterId: CharacterId, systemA: EvalSystemId, systemB: EvalSystemId): PairwiseSummary[] {
    const groups = new Map<string, PairwiseJudgment[]>();
    const asked = (o: PairwiseJudgment['ab']) => o.side !== null || o.failures.length > 0;
    for (const p of this.pairs({ characterId, systemA, systemB })) {
      if (!asked(p.ab) || !asked(p.ba)) continue;
      const key = [p.dimension, p.mode, p.model, p.promptVersion].join('\u0000');
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    return [...groups.values()].map((ps) => ({
      systemA,
      systemB,
      dimension: ps[0]!.dimension,
      mode: ps[0]!.mode,
      model: ps[0]!.model,
      promptVersion: ps[0]!.promptVersion,
      rates: winRates(ps.map((p) => p.outcome)),
    }));
  }

  /** One item's work with the engine's bookkeeping: a failed attempt on error, progress in any case. */
  private async guarded(ctx: RunContext, itemId: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      if (!ctx.run.controller.signal.aborted) this.engine.itemFailed(ctx.run, itemId, error, null);
    } finally {
      this.engine.progressed(ctx.jobId, false);
    }
  }

  /** Asks the judge on `messages`, with the run's gateway and signal and the job's retry bound. */
  private ask<T>(
    ctx: RunContext,
    itemId: string,
    messages: ChatMessage[],
    parse: (text: string, requireReasoning: boolean) => Parsed<T>,
    noun: 'score' | 'verdict',
  ) {
    return askJudge(messages, parse, noun, {
      gateway: ctx.llm.gateway,
      signal: ctx.run.controller.signal,
      tag: itemId,
      maxRetries: ctx.s.maxRetries,
      newId: this.newId,
    });
  }

  private async scoreItem(ctx: RunContext, itemId: string, input: ScoreInput) {
    const { jobId, characterId, run, s } = ctx;
    const subject = this.subjects.of(characterId, input.interviewId);
    if (!subject) {
      this.jobs.items.completeItem(itemId, null, this.clock.now(), 'its interview was deleted: nothing to judge');
      return;
    }
    this.markStage(jobId, SCORE_STAGE);
    const asked = await this.ask(ctx, itemId, judgeMessages(subject, input.dimension), parseScore, 'score');
    if (run.controller.signal.aborted) return;
    this.db.transaction(() => {
      this.repo.insertJudgment(
        {
          id: this.newId(),
          characterId,
          interviewId: input.interviewId,
          dimension: input.dimension,
          providerId: s.providerId,
          provider: s.provider,
          model: s.model,
          promptVersion: s.promptVersion,
          score: asked.value,
          reasoning: asked.reasoning,
          failures: asked.failures,
          callIds: asked.callIds,
          jobId,
        },
        this.clock.now(),
      );
      this.jobs.items.completeItem(itemId, asked.callIds.at(-1) ?? null, this.clock.now(), unscoredNote(asked));
    })();
  }

  private async pairItem(ctx: RunContext, itemId: string, input: PairInput) {
    const { jobId, characterId, run, s } = ctx;
    const a = this.subjects.of(characterId, input.interviewA);
    const b = this.subjects.of(characterId, input.interviewB);
    const pairwise = s.pairwise;
    if (!a || !b || !pairwise) {
      this.jobs.items.completeItem(
        itemId,
        null,
        this.clock.now(),
        'one of its interviews was deleted: nothing to compare',
      );
      return;
    }
    this.markStage(jobId, PAIR_STAGE);
    const [first, second] = input.order === 'ab' ? [a, b] : [b, a];
    const messages = pairwiseMessages(first, second, input.dimension);
    const asked = await this.ask(ctx, itemId, messages, parsePairwiseVerdict, 'verdict');
    if (run.controller.signal.aborted) return;
    this.db.transaction(() => {
      const pairId = this.repo.ensurePair(
        {
          id: this.newId(),
          characterId,
          systemA: pairwise.a,
          systemB: pairwise.b,
          interviewA: input.interviewA,
          interviewB: input.interviewB,
          dimension: input.dimension,
          providerId: s.providerId,
          provider: s.provider,
          model: s.model,
          promptVersion: s.pairwisePromptVersion,
          jobId,
        },
        this.clock.now(),
      );
      this.repo.setOrder(pairId, input.order, {
        // The verdict names a position; the stored side names a system (the swap undone).
        side: asked.value === null ? null : winnerOf(input.order, asked.value),
        reasoning: asked.reasoning,
        failures: asked.failures,
        callIds: asked.callIds,
      });
      this.jobs.items.completeItem(itemId, asked.callIds.at(-1) ?? null, this.clock.now(), unscoredNote(asked));
    })();
  }

  private markStage(jobId: JobId, stage: JudgeStage): void {
    if (this.jobs.job(jobId)?.stage !== stage) this.jobs.setStage(jobId, stage, this.clock.now());
  }

  private unscoredOf(jobId: JobId): number {
    const characterId = this.jobs.job(jobId)!.character_id;
    const judged = this.repo.judgments({ characterId, jobId });
    const pairs = this.repo.pairs({ characterId, jobId });
    return (
      judged.filter((j) => j.score === null).length +
      pairs.reduce((n, p) => n + [p.ab, p.ba].filter((o) => o.side === null && o.failures.length > 0).length, 0)
    );
  }

  private checkSystem(characterId: CharacterId, id: EvalSystemId): void {
    if (this.repo.systemCharacter(id) !== characterId)
      throw new StudioFailure(
        'not_found',
        `There is no evaluation system "${id}" for this character; list them with eval/systems/list.`,
      );
  }

  /** The provider asked for, else the character's last job's, else the only one (defaultProvider). */
  private providerOf(request: JudgeRequest): ProviderId {
    return request.providerId ?? defaultProvider(this.jobs, this.providers, request.characterId, 'to judge with');
  }
}

/** The note an item ends with when its verdict stays unscored (listed with the job's notes). */
function unscoredNote(asked: { value: unknown; failures: readonly { message: string }[] }): string | null {
  if (asked.value !== null) return null;
  const n = asked.failures.length;
  return `unscored after ${n} unreadable answer${n === 1 ? '' : 's'}; the last: ${asked.failures.at(-1)?.message ?? ''}`;
}
