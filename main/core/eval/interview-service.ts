import type {
  CharacterId,
  EvalSystem,
  EvalSystemId,
  Interview,
  InterviewFilter,
  InterviewId,
  InterviewJob,
  InterviewRequest,
  InterviewSettings,
  InterviewTranscript,
  JobId,
  ProviderId,
  Question,
} from '../../../common/contract';
import type { Db } from '../../store/database';
import type { EvalRepo } from '../../store/eval-repo';
import type { ItemRow } from '../../store/job-items-repo';
import type { JobRow, JobsRepo } from '../../store/jobs-repo';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import { defaultProvider } from './default-provider';
import type { EventBus } from '../events';
import { drainItems, type Lane } from '../jobs/item-pump';
import type { JobKind, KindView } from '../jobs/job-kind';
import type { RunHandle } from '../jobs/job-runner';
import type { JobLlm } from '../jobs/job-calls';
import type { JobService } from '../jobs/job-service';
import { isLlmError } from '../llm/types';
import type { ChatRuntime } from '../runtimes/chat-runtime';
import { ChatRuntimeError } from '../runtimes/chat-runtime';
import { DEFAULT_ROUNDS, INTERVIEWER_TEMPERATURE, interviewSetting, MAX_ROUNDS } from './eval-prompts';
import { intervieweeFor, oneAtATime, type IntervieweeDeps } from './interviewee';
import { InterviewRounds } from './interview-rounds';
import type { ProfileText } from './profile-text';
import type { QuestionService } from './question-service';
import type { SystemService } from './system-service';

const STAGE = 'interviews' as const;
/** Interviews out at once across the job's systems (each endpoint also obeys its provider's cap). */
const DEFAULT_CONCURRENCY = 8;
/** Interviews one job plans at most (systems × questions). */
const MAX_INTERVIEWS = 20_000;

interface ItemInput {
  interviewId: InterviewId;
}

/**
 * Interviews as jobs of the generic engine (kind `interview`): one item per interview (system ×
 * question × mode). Single-turn: the question in a fresh conversation in the paper's setting.
 * Multi-turn: an LLM interviewer (through the job's gateway, temperature 0.2) pursues the goal for
 * `rounds` rounds. Every round is stored as it ends (`InterviewRounds`), so a job stopped anywhere
 * (paused, crashed, its interviewee gone) resumes each interview at the round it was in.
 */
export class InterviewService implements JobKind {
  readonly name = 'interview';
  readonly resumable = true;

  constructor(
    private readonly db: Db,
    private readonly repo: EvalRepo,
    private readonly jobs: JobsRepo,
    private readonly characters: CharacterService,
    private readonly questions: QuestionService,
    private readonly systems: SystemService,
    private readonly profile: ProfileText,
    private readonly interviewees: IntervieweeDeps,
    private readonly engine: JobService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {
    engine.register(this);
  }

  start(request: InterviewRequest): InterviewJob {
    const character = this.characters.get(request.characterId);
    const detail = this.questions.get(request.setId, request.version);
    if (detail.set.characterId !== character.id)
      throw new StudioFailure('invalid_argument', `"${detail.set.name}" is a question set of another character.`);
    const asked = request.mode ? detail.questions.filter((q) => q.mode === request.mode) : detail.questions;
    if (asked.length === 0)
      throw new StudioFailure(
        'invalid_argument',
        `"${detail.set.name}" (version ${detail.version}) has no ${request.mode === 'multi' ? 'multi-turn goals' : request.mode === 'single' ? 'single-turn questions' : 'questions'}: add some or pick another set.`,
      );
    const systems = this.checkSystems(character.id, request.systemIds);
    if (systems.length * asked.length > MAX_INTERVIEWS)
      throw new StudioFailure(
        'too_large',
        `That is ${systems.length * asked.length} interviews; one job runs at most ${MAX_INTERVIEWS}. Pick fewer systems or a smaller set.`,
      );
    const rounds = request.rounds ?? DEFAULT_ROUNDS;
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS)
      throw new StudioFailure(
        'invalid_argument',
        `Rounds must be a whole number from 1 to ${MAX_ROUNDS}; got ${rounds}.`,
      );
    const multi = asked.some((q) => q.mode === 'multi');
    const setting = interviewSetting(character);
    const settings: InterviewSettings = {
      providerId: this.interviewerOf(character.id, request.interviewerProviderId, multi, systems),
      interviewerModel: request.interviewerModel?.trim() || null,
      interviewerTemperature: INTERVIEWER_TEMPERATURE,
      systemIds: systems.map((s) => s.id),
      setId: detail.set.id,
      setVersion: detail.version,
      mode: request.mode ?? null,
      rounds,
      location: setting.location,
      status: setting.status,
      concurrency: DEFAULT_CONCURRENCY,
      budgetUsd: request.budgetUsd ?? null,
    };
    this.engine.calls.assertBudgetCountable(settings.budgetUsd, [
      ...(multi && settings.providerId ? [{ providerId: settings.providerId, model: settings.interviewerModel }] : []),
      ...systems.flatMap(({ answerer }) =>
        answerer?.runtime === 'endpoint' ? [{ providerId: answerer.providerId, model: answerer.model }] : [],
      ),
    ]);
    const job = this.engine.startWithItems('interview', character.id, settings, (jobId) => {
      const now = this.clock.now();
      const items = [];
      // Question by question, each put to every system in turn: items are taken in this order, so
      // systems answer side by side (a one-at-a-time embedded model does not hold the others back).
      for (const question of asked)
        for (const system of systems) {
          const id = this.newId() as InterviewId;
          this.repo.insertInterview(
            {
              id,
              characterId: character.id,
              jobId,
              systemId: system.id,
              question,
              mode: question.mode,
              rounds: roundsOf(question, rounds),
            },
            now,
          );
          items.push({
            id: this.newId(),
            stage: STAGE,
            key: `interview:${id}`,
            input: { interviewId: id } satisfies ItemInput,
          });
        }
      this.jobs.items.planItems(jobId, items, now);
    });
    return job as InterviewJob;
  }

  /** The interviews of the character's live systems; an archived system's only when the filter names it. */
  list(filter: InterviewFilter): Interview[] {
    this.characters.get(filter.characterId);
    const interviews = this.repo.interviews(filter);
    if (filter.systemId !== undefined) return interviews;
    const live = new Set(this.repo.systems(filter.characterId).map((s) => s.id));
    return interviews.filter((i) => live.has(i.systemId));
  }

  get(id: InterviewId): InterviewTranscript {
    const interview = this.repo.interview(id);
    if (!interview) throw new StudioFailure('not_found', 'That interview no longer exists.');
    return { interview, system: this.systems.get(interview.systemId), turns: this.repo.turns(id) };
  }

  match(key: string): { id: InterviewId; characterId: CharacterId }[] {
    return this.repo.matchInterviews(key);
  }

  async run(id: JobId, run: RunHandle): Promise<string | null> {
    const row = this.jobs.job(id)!;
    const settings = JSON.parse(row.settings) as InterviewSettings;
    const character = this.characters.get(row.character_id);
    const interviewer: JobLlm | null =
      settings.providerId && this.repo.interviews({ characterId: character.id, jobId: id, mode: 'multi' }).length > 0
        ? this.engine.calls.llmFor(id, run, settings.providerId, settings.interviewerModel ?? undefined)
        : null;
    const rounds = new InterviewRounds(this.db, this.repo, this.jobs, this.clock, this.newId, {
      character,
      intro: this.profile.intro(character.id),
      setting: { location: settings.location, status: settings.status },
      interviewer,
      interviewerTemperature: settings.interviewerTemperature,
    });
    const runtimes = new Map<EvalSystemId, Promise<{ runtime: ChatRuntime; owned: boolean }>>();
    const recorder = (metered: boolean) => this.engine.calls.recorderFor(id, run, metered);
    const runtimeOf = (system: EvalSystem) => {
      let made = runtimes.get(system.id);
      if (!made) {
        made = intervieweeFor(system, this.interviewees, recorder);
        runtimes.set(system.id, made);
        made.catch(() => runtimes.delete(system.id));
      }
      return made;
    };
    try {
      if (this.jobs.job(id)?.stage !== STAGE) this.jobs.setStage(id, STAGE, this.clock.now());
      // Each system is a lane: a model of this process answers one interview at a time, an
      // endpoint as many as its provider allows, and the other systems' interviews pass them.
      const laneOf = (item: ItemRow): Lane | null => {
        const interview = this.interviewOf(item);
        if (!interview) return null;
        return { key: interview.systemId, cap: this.capOf(this.systems.get(interview.systemId), settings.concurrency) };
      };
      await drainItems(
        this.jobs,
        id,
        STAGE,
        settings.concurrency,
        run.controller.signal,
        (item) => {
          const interview = this.interviewOf(item);
          if (!interview) {
            this.jobs.items.completeItem(item.id, null, this.clock.now(), 'its interview was deleted');
            return Promise.resolve();
          }
          const system = this.systems.get(interview.systemId);
          return this.runItem(id, run, rounds, item.id, interview, system, runtimeOf);
        },
        { laneOf },
      );
    } finally {
      const made = await Promise.allSettled(runtimes.values());
      await Promise.allSettled(
        made.flatMap((m) => (m.status === 'fulfilled' && m.value.owned ? [m.value.runtime.dispose()] : [])),
      );
    }
    const counts = this.repo.jobCounts(id);
    const cut = this.repo.interviews({ characterId: character.id, jobId: id }).filter((i) => i.nonstop).length;
    return cut === 0
      ? null
      : `${cut} of ${counts.done} interview${counts.done === 1 ? '' : 's'} hold an answer cut at the token limit (flagged; raise the system's max tokens to avoid it).`;
  }

  view(row: JobRow): KindView {
    const settings = JSON.parse(row.settings) as InterviewSettings;
    const c = this.jobs.countItems(row.id, STAGE);
    const total = c.pending + c.done + c.failed;
    return {
      kind: 'interview',
      settings,
      stages: [{ stage: STAGE, done: c.done, failed: c.failed, total }],
      done: c.done,
      total,
      failed: c.failed,
    };
  }

  private async runItem(
    jobId: JobId,
    run: RunHandle,
    rounds: InterviewRounds,
    itemId: string,
    interview: Interview,
    system: EvalSystem,
    runtimeOf: (system: EvalSystem) => Promise<{ runtime: ChatRuntime; owned: boolean }>,
  ): Promise<void> {
    let callId: string | null = null;
    try {
      this.repo.setInterviewStatus(interview.id, 'running', null, this.clock.now());
      const { runtime } = await runtimeOf(system);
      await rounds.run(interview, system, runtime, run, itemId, (c) => {
        callId = c;
        this.changed(interview, jobId);
      });
      if (run.controller.signal.aborted) return this.stopped(interview);
      run.outageStreak = 0;
    } catch (error) {
      if (run.controller.signal.aborted) return this.stopped(interview);
      const cause = error instanceof ChatRuntimeError && error.cause !== undefined ? error.cause : error;
      const reason = error instanceof Error ? error.message : String(error);
      // The gateway's own error says whether the endpoint was unreachable (an outage pauses the job).
      this.engine.itemFailed(run, itemId, isLlmError(cause) ? cause : error, callId);
      // Failed once its attempts ran out; until then it waits for the next one, the reason shown.
      const failed = this.jobs.items.itemStatus(itemId) === 'failed';
      this.repo.setInterviewStatus(interview.id, failed ? 'failed' : 'pending', reason, this.clock.now());
    } finally {
      this.changed(interview, jobId);
      this.engine.progressed(jobId, false);
    }
  }

  private interviewOf(item: ItemRow): Interview | undefined {
    return this.repo.interview((JSON.parse(item.input) as ItemInput).interviewId);
  }

  /**
   * Interviews of one system out at once: one for a run's own runtime (a model in this process or
   * `serve`), the provider's own cap for an endpoint (each reply is its own gateway call).
   */
  private capOf(system: EvalSystem, concurrency: number): number {
    const answerer = system.answerer;
    if (oneAtATime(system) || answerer?.runtime !== 'endpoint') return 1;
    try {
      return Math.max(1, Math.min(concurrency, this.interviewees.provider(answerer.providerId).maxConcurrency));
    } catch {
      return 1; // a deleted provider: its item fails with the reason when it runs
    }
  }

  /** A run stopped while the interview was out: it waits for the resume (unless it ended just before). */
  private stopped(interview: Interview): void {
    if (this.repo.interview(interview.id)?.status === 'running')
      this.repo.setInterviewStatus(interview.id, 'pending', null, this.clock.now());
  }

  private changed(interview: Interview, jobId: JobId): void {
    this.events.emit('eval/interviews/changed', {
      characterId: interview.characterId,
      interviewId: interview.id,
      jobId,
    });
  }

  private checkSystems(characterId: CharacterId, ids: readonly EvalSystemId[]): EvalSystem[] {
    if (ids.length === 0) throw new StudioFailure('invalid_argument', 'Pick at least one system to interview.');
    return [...new Set(ids)].map((id) => {
      const system = this.systems.get(id);
      if (system.characterId !== characterId)
        throw new StudioFailure('invalid_argument', `"${system.label}" is a system of another character.`);
      if (system.kind === 'imported')
        throw new StudioFailure(
          'invalid_argument',
          `"${system.label}" holds imported answers and cannot be interviewed again; pick a run, a base model or a prompted baseline.`,
        );
      return system;
    });
  }

  /**
   * The interviewer's provider (needed for multi-turn: the one asked, else defaultProvider's), else
   * the first endpoint system's, else the last job's, else none.
   */
  private interviewerOf(
    characterId: CharacterId,
    asked: ProviderId | undefined,
    multi: boolean,
    systems: readonly EvalSystem[],
  ): ProviderId | null {
    if (asked) return this.engine.calls.provider(asked).id;
    if (multi)
      return this.engine.calls.provider(
        defaultProvider(
          this.jobs,
          () => this.interviewees.providers(),
          characterId,
          'that asks the multi-turn questions',
        ),
      ).id;
    const endpoint = systems.find((s) => s.answerer?.runtime === 'endpoint')?.answerer;
    if (endpoint?.runtime === 'endpoint') return endpoint.providerId;
    const last = this.jobs.latestFor(characterId);
    return last ? ((JSON.parse(last.settings) as { providerId?: ProviderId | null }).providerId ?? null) : null;
  }
}

function roundsOf(question: Question, rounds: number): number {
  return question.mode === 'multi' ? rounds : 1;
}
