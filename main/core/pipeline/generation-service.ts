import type {
  Character,
  CharacterId,
  Chunk,
  FormatProblem,
  GenerationEstimate,
  GenerationPreset,
  GenerationSettings,
  Job,
  GenerationPreferences,
  JobId,
  KnowledgeLimit,
  PromptTemplate,
  Provider,
  ProviderId,
  SceneId,
  Stage,
  StageEstimate,
} from '../../../common/contract';
import { setMaxListeners } from 'node:events';
import { DatasetSums, sceneCountsSum, sumNow, type JobScope, type SceneCounts } from '../../store/dataset-sums';
import type { DatasetRepo } from '../../store/dataset-repo';
import type { Db } from '../../store/database';
import type { JobRow, JobsRepo } from '../../store/jobs-repo';
import type { PreferencesRepo } from '../../store/preferences-repo';
import { formatUsd } from '../../../common/money';
import { callRow, startedRow } from '../jobs/call-log';
import { JobRunner, type RunHandle } from '../jobs/job-runner';
import { jobProgress, toJob } from './job-view';
import type { ProfilesRepo } from '../../store/profiles-repo';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { LlmGateway, type CallRecord } from '../llm/gateway';
import { isLlmError, type LlmProvider } from '../llm/types';
import type { ProviderService } from '../providers/provider-service';
import {
  formatProblems,
  parseExperienceJson,
  parseExperienceText,
  parseScenesJson,
  parseScenesText,
  type ParsedExperience,
} from './parse';
import { SceneDeduplicator } from './parse-dedupe';
import { hashString, OVERGENERATION, PAPER_RUN, planSceneCalls } from './planner';
import {
  applyPreset,
  describePlan,
  finishedNote,
  isPaper,
  MAX_TARGET_SCENES,
  planScenes,
  protectiveWanted,
  topsUpScenes,
  wantsProtective,
} from './presets';
import {
  BUILTIN_PROMPTS,
  BUILTIN_VERSION,
  fill,
  FORMAT_INSTRUCTIONS,
  PLACEHOLDERS,
  SCHEMAS,
  STRANGER_NAMES,
  type PromptPair,
} from './prompts';

/**
 * Experience construction as a durable job: limits → scenes → experiences → protective scenes.
 *
 * Durability: every unit of work is a `job_items` row with a key unique within the job, planned
 * with INSERT OR IGNORE. An item's output and its `done` mark are written in one transaction, so a
 * crash leaves either nothing or the whole output; items still `pending` simply run again. Scenes
 * carry (item_id, ordinal) unique and are capped at the target inside that transaction, so the
 * final count is exact however often the process dies.
 */

const STAGES: readonly Stage[] = ['limits', 'scenes', 'experiences', 'protective'];
const MAX_ITEM_ATTEMPTS = 3;
const MAX_TOPUP_ROUNDS = 6;
const LIMITS_WANTED = 30;
const PROGRESS_INTERVAL_MS = 250;
const PROFILE_EXCERPT_WORDS = 400;
/** Scenes added to the near-duplicate index between two turns of the event loop (~10 ms). */
const DEDUPE_SLICE = 200;

const CONFIRM_KEY = 'generation.confirmAboveUsd';
const DEFAULT_CONFIRM_ABOVE_USD = 1;

export const DEFAULT_SETTINGS: Omit<GenerationSettings, 'providerId'> = {
  targetScenes: 1500,
  scenesPerCall: 10,
  protectiveShare: 0.03,
  temperature: 0.7,
  topP: 0.95,
  maxTokens: 3000,
  budgetUsd: null,
  dedupeThreshold: 0.7,
};

interface ItemInput {
  chunkId?: string;
  count?: number;
  sceneId?: string;
  limit?: string;
  stranger?: string;
}

export class GenerationService {
  private readonly lastEmit = new Map<JobId, number>();
  private readonly runner: JobRunner;

  constructor(
    private readonly db: Db,
    private readonly jobs: JobsRepo,
    private readonly dataset: DatasetRepo,
    private readonly profiles: ProfilesRepo,
    private readonly characters: CharacterService,
    private readonly providers: ProviderService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    private readonly preferences: PreferencesRepo,
    /** Sums for the doors' requests (the jobs list), read off this thread when the studio has a reader. */
    private readonly sums: DatasetSums = new DatasetSums(db, null),
  ) {
    this.runner = new JobRunner(jobs, clock, (id) => this.emit(id, true));
  }

  // ── settings, estimate, prompts, limits ───────────────────────────────────────────────────

  /**
   * The form's starting values: the character's last-used settings over the studio's defaults (a
   * field added since keeps its default); a preset asked for replaces the scene numbers with its own.
   */
  defaults(characterId?: CharacterId, preset?: GenerationPreset): Omit<GenerationSettings, 'providerId'> {
    const last = characterId ? this.preferences.generationSettings(characterId) : undefined;
    const base = { ...DEFAULT_SETTINGS, ...(typeof last === 'object' && last !== null ? last : {}) };
    if (preset === undefined) return base;
    if (preset !== 'paper') return { ...base, preset: 'studio' };
    return {
      ...base,
      preset,
      scenesPerCall: PAPER_RUN.scenesPerCall,
      targetScenes: PAPER_RUN.sceneCalls * PAPER_RUN.scenesPerCall,
    };
  }

  /** Studio-wide run preferences (the cost above which a run asks first: $1 unless set). */
  runPreferences(): GenerationPreferences {
    const value = this.preferences.get(CONFIRM_KEY);
    return { confirmAboveUsd: typeof value === 'number' ? value : DEFAULT_CONFIRM_ABOVE_USD };
  }

  setRunPreferences(preferences: GenerationPreferences): GenerationPreferences {
    this.preferences.set(CONFIRM_KEY, preferences.confirmAboveUsd, this.clock.now());
    return this.runPreferences();
  }

  /**
   * What a run would cost to bring the character to the target: only the work still missing
   * (scenes it lacks, experiences its scenes lack, protective scenes it lacks) is counted. The
   * paper's plan is a run from no scenes: with scenes already there it only completes what lacks.
   */
  estimate(
    characterId: CharacterId,
    asked: GenerationSettings,
    more?: number,
    counts: SceneCounts = sumNow(this.db, sceneCountsSum(characterId)),
  ): GenerationEstimate {
    const character = this.characters.get(characterId);
    const provider = this.providers.get(asked.providerId);
    const chunks = this.chunksOf(character.id);
    if (more !== undefined && isPaper(asked))
      throw new StudioFailure(
        'invalid_argument',
        "Adding scenes (more) uses the studio's plan; choose the studio plan instead of the paper's to add scenes.",
      );
    const effective = applyPreset(asked, chunks);
    const existing = counts.scenes;
    const settings = more === undefined ? effective : { ...effective, targetScenes: existing + more };
    const newScenes = isPaper(settings)
      ? existing === 0
        ? settings.targetScenes
        : 0
      : Math.max(0, settings.targetScenes - existing);
    const withoutExperience = counts.withoutExperience;
    const protectiveLacking = Math.max(
      0,
      protectiveWanted(settings, Math.max(existing, settings.targetScenes), chunks.length) - counts.protective,
    );
    this.checkSettings(settings);
    const warnings: string[] = [];
    if (chunks.length === 0) {
      throw new StudioFailure(
        'invalid_argument',
        `${character.fullName} has no profile yet. Add one on the Profile tab first.`,
      );
    }
    if (chunks.length === 1)
      warnings.push(
        'The profile has a single chunk: every scene will come from the same text. Add more of the life story for variety.',
      );
    const avgChunkChars = chunks.reduce((s, c) => s + c.text.length, 0) / chunks.length;
    const tokens = (chars: number) => Math.ceil(chars / 4);
    const prompt = (stage: Stage) => this.promptFor(character.id, stage);
    const stages: StageEstimate[] = [];
    if (protectiveLacking > 0 && this.dataset.limits(character.id).length === 0) {
      stages.push({
        stage: 'limits',
        calls: 1,
        promptTokens: tokens(prompt('limits').template.length + 2400),
        completionTokens: 500,
      });
    }
    const plan = describePlan(settings, chunks);
    const sceneCalls =
      newScenes === 0
        ? 0
        : isPaper(settings)
          ? plan.sceneCalls
          : planSceneCalls(chunks, Math.ceil(newScenes * OVERGENERATION), settings.scenesPerCall).length;
    const scenesAsked =
      newScenes === 0 ? 0 : isPaper(settings) ? plan.scenesAsked : Math.ceil(newScenes * OVERGENERATION);
    stages.push({
      stage: 'scenes',
      calls: sceneCalls,
      promptTokens: sceneCalls * tokens(prompt('scenes').template.length + avgChunkChars),
      completionTokens: scenesAsked * 90,
    });
    const experienceOut = Math.min(settings.maxTokens, 1800);
    // Every scene kept gets one experience call; for the paper's range, the estimate takes its top.
    const lacking =
      withoutExperience + (newScenes === 0 ? 0 : isPaper(settings) ? plan.expectedScenes.high : newScenes);
    stages.push({
      stage: 'experiences',
      calls: lacking,
      promptTokens: lacking * tokens(prompt('experiences').template.length + avgChunkChars + 500),
      completionTokens: lacking * experienceOut,
    });
    const protective = protectiveLacking;
    if (protective > 0) {
      stages.push({
        stage: 'protective',
        calls: protective,
        promptTokens: protective * tokens(prompt('protective').template.length + PROFILE_EXCERPT_WORDS * 6),
        completionTokens: protective * Math.min(settings.maxTokens, 1100),
      });
    }
    const calls = stages.reduce((s, x) => s + x.calls, 0);
    const promptTokens = stages.reduce((s, x) => s + x.promptTokens, 0);
    const completionTokens = stages.reduce((s, x) => s + x.completionTokens, 0);
    let costUsd: number | null = 0;
    if (this.providers.isMetered(provider)) {
      const price = this.providers.priceTable()[provider.model];
      if (price)
        costUsd = (promptTokens * price.promptPerMillion + completionTokens * price.completionPerMillion) / 1e6;
      else {
        costUsd = null;
        warnings.push(
          `No price is set for ${provider.model}; add it under Settings → Prices to see the cost and use a budget.`,
        );
      }
    }
    // Typical generation speeds: hosted APIs ~60 tokens/s per request, local servers ~25, embedded ~10.
    const speed = provider.kind === 'embedded' ? 10 : this.providers.isMetered(provider) ? 60 : 25;
    const parallel = provider.kind === 'embedded' ? 1 : provider.maxConcurrency;
    const perCall = stages.map((s) => s.calls * (1.5 + s.completionTokens / Math.max(1, s.calls) / speed));
    const seconds = Math.ceil(perCall.reduce((a, b) => a + b, 0) / parallel);
    if (settings.budgetUsd !== null && costUsd !== null && costUsd > settings.budgetUsd) {
      warnings.push(
        `The estimate (${formatUsd(costUsd)}) is above the budget (${formatUsd(settings.budgetUsd)}): the job will pause when the budget is spent.`,
      );
    }
    return {
      plan,
      stages,
      calls,
      promptTokens,
      completionTokens,
      costUsd,
      seconds,
      warnings,
      existingScenes: existing,
      targetScenes: settings.targetScenes,
      hasWork: calls > 0,
    };
  }

  prompts(characterId: CharacterId): PromptTemplate[] {
    this.characters.get(characterId);
    return STAGES.map((stage) => {
      const custom = this.dataset.customPrompt(characterId, stage);
      const active = custom?.active ? custom : null;
      return {
        stage,
        version: active ? `custom@${custom!.version}` : `builtin@${BUILTIN_VERSION}`,
        system: active ? active.system : BUILTIN_PROMPTS[stage].system,
        template: active ? active.template : BUILTIN_PROMPTS[stage].template,
        placeholders: [...PLACEHOLDERS[stage]],
        custom: active !== null,
      };
    });
  }

  savePrompt(
    characterId: CharacterId,
    stage: Stage,
    edit: { system: string; template: string } | null,
  ): PromptTemplate[] {
    this.characters.get(characterId);
    if (edit) {
      if (!edit.template.trim())
        throw new StudioFailure('invalid_argument', 'A prompt cannot be empty. Reset it to the built-in one instead.');
      const unknown = [...edit.template.matchAll(/\{([a-z_]+)\}/g)]
        .map((m) => m[1]!)
        .filter((n) => !PLACEHOLDERS[stage].includes(n));
      if (unknown.length > 0) {
        throw new StudioFailure(
          'invalid_argument',
          `Unknown placeholder ${unknown.map((n) => `{${n}}`).join(', ')}. This prompt may use: ${PLACEHOLDERS[stage].map((n) => `{${n}}`).join(' ')}.`,
        );
      }
    }
    this.dataset.insertPrompt(
      {
        id: this.newId(),
        characterId,
        stage,
        system: edit?.system ?? '',
        template: edit?.template ?? '',
        active: edit !== null,
      },
      this.clock.now(),
    );
    return this.prompts(characterId);
  }

  limits(characterId: CharacterId): KnowledgeLimit[] {
    this.characters.get(characterId);
    return this.dataset.limits(characterId);
  }

  /** Asks the provider for a list of what the character cannot know and replaces the saved list. */
  async generateLimits(characterId: CharacterId, providerId: ProviderId): Promise<KnowledgeLimit[]> {
    const character = this.characters.get(characterId);
    if (this.chunksOf(characterId).length === 0) {
      throw new StudioFailure(
        'invalid_argument',
        `${character.fullName} has no profile yet. Add one on the Profile tab first.`,
      );
    }
    const provider = this.providers.get(providerId);
    const llm = this.providers.instance(providerId);
    const structured = provider.structuredOutput && llm.capabilities.jsonSchema;
    const prompt = this.promptFor(characterId, 'limits');
    const values = { ...this.baseValues(character, 'limits', structured), count: String(LIMITS_WANTED) };
    const gateway = new LlmGateway(llm, {
      maxConcurrency: 1,
      timeoutMs: provider.timeoutMs,
      maxAttempts: 3,
      prices: this.providers.isMetered(provider) ? this.providers.priceTable() : {},
      onStart: (record) => this.jobs.startCall(startedRow(null, record)),
      onCall: (record) => this.jobs.insertCall(callRow(null, record)),
    });
    const callId = this.newId();
    let text: string;
    try {
      const result = await gateway.complete(
        {
          messages: [
            ...(prompt.system ? [{ role: 'system' as const, content: fill(prompt.system, values) }] : []),
            { role: 'user' as const, content: fill(prompt.template, values) },
          ],
          temperature: 0.7,
          maxTokens: 1500,
          ...(structured && { jsonSchema: SCHEMAS.limits }),
        },
        { callId, tag: 'limits' },
      );
      text = result.text;
    } catch (error) {
      throw new StudioFailure('unavailable', error instanceof Error ? error.message : String(error));
    }
    const texts = parseLimits(text, structured);
    if (texts.length === 0) {
      throw new StudioFailure(
        'unavailable',
        'The model answered without a list. Try again, or write the list yourself.',
      );
    }
    this.db.transaction(() =>
      this.dataset.replaceLimits(
        characterId,
        texts.slice(0, LIMITS_WANTED).map((t) => ({ id: this.newId(), text: t, source: 'generated' as const, callId })),
        this.clock.now(),
      ),
    )();
    this.events.emit('limits/changed', { characterId });
    return this.dataset.limits(characterId);
  }

  saveLimits(characterId: CharacterId, texts: readonly string[]): KnowledgeLimit[] {
    this.characters.get(characterId);
    const seen = new Set<string>();
    const clean = texts
      .map((t) => t.trim().replace(/\s+/g, ' '))
      .filter((t) => t.length > 0 && !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()));
    const previous = new Map(this.dataset.limits(characterId).map((l) => [l.text, l]));
    this.db.transaction(() =>
      this.dataset.replaceLimits(
        characterId,
        clean.map((text) => previous.get(text) ?? { id: this.newId(), text, source: 'user' as const }),
        this.clock.now(),
      ),
    )();
    this.events.emit('limits/changed', { characterId });
    return this.dataset.limits(characterId);
  }

  // ── jobs ─────────────────────────────────────────────────────────────────────────────────

  /** `estimate` for the doors: the counts over the character's scenes are read on the reader thread. */
  async estimateForDoor(
    characterId: CharacterId,
    asked: GenerationSettings,
    more?: number,
  ): Promise<GenerationEstimate> {
    this.characters.get(characterId);
    return this.estimate(characterId, asked, more, await this.sums.sceneCounts(characterId));
  }

  /**
   * Starts a run towards the character's total of `settings.targetScenes` scenes (or what it has
   * plus `more`). Refused while another job of the character is unfinished, and when there is
   * nothing to do: the target is met and every scene has its experience. `remember: false` keeps the
   * settings out of the character's remembered ones (a run the studio composed, not the user's form).
   */
  start(characterId: CharacterId, requested: GenerationSettings, more?: number, remember = true): Job {
    const estimate = this.estimate(characterId, requested, more); // validates character, profile, provider, settings
    const settings = { ...requested, targetScenes: estimate.targetScenes };
    const unfinished = this.jobs.unfinishedFor(characterId);
    if (unfinished) {
      throw new StudioFailure(
        'conflict',
        `A generation job for this character is already ${unfinished.status}. Resume or cancel it before starting another.`,
      );
    }
    if (!estimate.hasWork) {
      const name = this.characters.get(characterId).shortName;
      throw new StudioFailure(
        'conflict',
        `${name} already has ${estimate.existingScenes.toLocaleString('en-US')} scenes, each with its experience: the target of ${settings.targetScenes.toLocaleString('en-US')} is met and nothing was started. To add scenes, generate more (CLI: --more N) or raise the target.`,
      );
    }
    const { providerId: _provider, ...remembered } = settings;
    if (remember) this.preferences.saveGenerationSettings(characterId, remembered, this.clock.now());
    const id = this.newId() as JobId;
    // Stored as run: a preset's numbers, not what the form held.
    const effective = applyPreset(settings, this.chunksOf(characterId));
    this.jobs.insertJob({ id, characterId, settings: effective }, this.clock.now());
    this.launch(id);
    return this.get(id);
  }

  /** Whether one of the character's generation jobs is running now (read from the rows, no job view built). */
  hasRunningJob(characterId: CharacterId): boolean {
    return this.jobs.jobsFor(characterId).some((row) => row.status === 'running');
  }

  /** The character's jobs; what each answers for is summed on the reader thread (a job of 100,000 scenes). */
  async list(characterId: CharacterId): Promise<Job[]> {
    this.characters.get(characterId);
    const scopes = new Map(
      await Promise.all(
        this.jobs
          .jobsFor(characterId)
          .map(async (row) => [row.id, await this.sums.jobScope(row.character_id, row.id, row.created_at)] as const),
      ),
    );
    // Rows read again after the wait: a job may have moved on (or been added) meanwhile.
    return this.jobs.jobsFor(characterId).map((row) => this.toJob(row, scopes.get(row.id)));
  }

  get(id: JobId): Job {
    const row = this.jobs.job(id);
    if (!row) throw new StudioFailure('not_found', 'That job no longer exists.');
    return this.toJob(row);
  }

  pause(id: JobId): Job {
    this.runner.stop(id, this.get(id).status, 'paused', 'Paused. Resume to continue where it left off.');
    return this.get(id);
  }

  cancel(id: JobId): Job {
    this.runner.stop(id, this.get(id).status, 'cancelled', 'Cancelled. What was generated so far is kept.');
    return this.get(id);
  }

  /** Goes on where the job stopped; items whose attempts ran out (an outage, say) get fresh ones. */
  resume(id: JobId): Job {
    const job = this.get(id);
    if (!['paused', 'interrupted', 'failed', 'queued'].includes(job.status)) {
      throw new StudioFailure('invalid_argument', `A ${job.status} job cannot be resumed.`);
    }
    if (!this.runner.handle(id)) {
      this.jobs.retryFailed(id, undefined, this.clock.now());
      this.launch(id);
    }
    return this.get(id);
  }

  retry(id: JobId, itemId?: string): Job {
    const job = this.get(id);
    if (job.status === 'cancelled')
      throw new StudioFailure('invalid_argument', 'A cancelled job cannot be retried. Start a new run instead.');
    const n = this.jobs.retryFailed(id, itemId, this.clock.now());
    if (n === 0)
      throw new StudioFailure(
        'invalid_argument',
        itemId ? 'That item has not failed.' : 'This job has no failed items.',
      );
    if (!this.runner.handle(id)) this.launch(id);
    return this.get(id);
  }

  /** Changes the spending cap of a job at rest; `null` removes it. Resume to go on. */
  setBudget(id: JobId, budgetUsd: number | null): Job {
    const job = this.get(id);
    if (this.runner.handle(id) || job.status === 'running')
      throw new StudioFailure('conflict', 'Pause the job before changing its budget.');
    if (job.status === 'succeeded' || job.status === 'cancelled')
      throw new StudioFailure('invalid_argument', `A ${job.status} job has nothing left to spend on.`);
    if (budgetUsd !== null && !(budgetUsd > job.costUsd)) {
      throw new StudioFailure(
        'invalid_argument',
        `The budget must be more than the ${formatUsd(job.costUsd)} already spent, or empty for no limit.`,
      );
    }
    const settings: GenerationSettings = { ...job.settings, budgetUsd };
    this.jobs.setSettings(id, settings, this.clock.now());
    const row = this.jobs.job(id)!;
    if (row.status === 'paused' && row.message?.includes('budget')) {
      this.jobs.setStatus(
        id,
        'paused',
        `Paused. The budget is now ${budgetUsd === null ? 'unlimited' : formatUsd(budgetUsd)}: resume to go on.`,
        this.clock.now(),
      );
    }
    this.emit(id, true);
    return this.get(id);
  }

  /** At start-up: jobs left running by a crash or quit become `interrupted`, their open calls too. */
  recover(): number {
    return this.runner.recover();
  }

  /** Resolves when the job's current run ends (for the CLI and tests). */
  async whenIdle(id: JobId): Promise<Job> {
    await this.runner.whenIdle(id);
    return this.get(id);
  }

  /** Stops every run, leaving the jobs `interrupted` so they resume next time. */
  shutdown(): Promise<void> {
    return this.runner.shutdown();
  }

  private launch(id: JobId): void {
    this.runner.launch(
      id,
      (() => {
        const row = this.jobs.job(id)!;
        return jobProgress(row, this.jobs, this.scopeOf(row), this.paperChunkCount(row)).done;
      })(),
      (run) => this.execute(id, run),
    );
  }

  private async execute(id: JobId, run: RunHandle): Promise<void> {
    const row = this.jobs.job(id)!;
    const settings = JSON.parse(row.settings) as GenerationSettings;
    const character = this.characters.get(row.character_id);
    const provider = this.providers.get(settings.providerId);
    const llm = this.providers.instance(provider.id);
    const window = Math.max(1, provider.kind === 'embedded' ? 1 : provider.maxConcurrency) * 2;
    // Every call of the run waits on this signal (queued, sleeping or sent): many listeners by design.
    setMaxListeners(0, run.controller.signal);
    const gateway = new LlmGateway(llm, {
      maxConcurrency: provider.kind === 'embedded' ? 1 : provider.maxConcurrency,
      requestsPerMinute: provider.requestsPerMinute || null,
      timeoutMs: provider.timeoutMs,
      prices: this.providers.isMetered(provider) ? this.providers.priceTable() : {},
      onStart: (record) => this.jobs.startCall(startedRow(id, record)),
      onCall: (record) => this.recordCall(id, record, settings, run),
    });
    const context: RunContext = { id, run, settings, character, provider, llm, gateway, window };

    await this.runStages(context);

    const now = this.clock.now();
    if (run.controller.signal.aborted) {
      this.jobs.setStatus(id, run.stopAs ?? 'paused', run.stopMessage, now);
      return;
    }
    const failed = STAGES.reduce((n, s) => n + this.jobs.countItems(id, s).failed, 0);
    const scenes = this.dataset.countCharacterScenes(character.id, false);
    this.jobs.setStage(id, null, now);
    if (failed > 0) {
      this.jobs.setStatus(
        id,
        'failed',
        `${failed} item${failed === 1 ? '' : 's'} failed; see the reasons below and retry them, or resume to retry them all.`,
        now,
      );
    } else {
      this.jobs.setStatus(id, 'succeeded', finishedNote(settings, scenes), now);
    }
  }

  /**
   * Runs the stages overlapped, within one window of `ctx.window` items in flight (twice the
   * provider's concurrency, so the gateway always has the next call queued). Items are issued in
   * stage order (limits, scenes, experiences, protective), so the calls that unlock others go
   * first: an experience item exists as soon as its scene row does (planned in the scene's own
   * transaction) and is sent while other scene calls are still out; protective scenes are planned
   * as soon as the limits exist, for the share of the scenes there are, and run beside the
   * experiences. Returns when nothing is in flight and nothing more can be issued, or on abort.
   */
  private async runStages(ctx: RunContext): Promise<void> {
    this.plan(ctx, 'limits');
    this.plan(ctx, 'scenes');
    this.plan(ctx, 'experiences'); // scenes of earlier runs still without their experience
    const inFlight = new Map<string, { stage: Stage; count: number }>();
    const busy = new Set<string>();
    const tasks = new Set<Promise<void>>();
    const state: SchedulerState = {
      dedupe: null,
      scenesSettled: false,
      protectiveFor: -1,
      stage: undefined,
      cursor: {},
      dry: new Set(),
      outputs: 0,
      outputsSeen: -1,
      sceneCount: undefined,
    };
    const start = (stage: Stage, item: { id: string; input: string }): void => {
      const input = JSON.parse(item.input) as ItemInput;
      inFlight.set(item.id, { stage, count: input.count ?? 0 });
      busy.add(item.id);
      const task = this.runItem(ctx, stage, item.id, input, stage === 'scenes' ? state.dedupe : null).finally(() => {
        inFlight.delete(item.id);
        busy.delete(item.id);
        tasks.delete(task);
        // A failed attempt leaves the item pending; a scene item plans experiences.
        state.dry.delete(stage);
        if (stage === 'scenes') state.dry.delete('experiences');
        if (stage === 'scenes' || stage === 'limits') state.outputs++;
      });
      tasks.add(task);
    };
    const pump = (): void => {
      if (ctx.run.controller.signal.aborted) return;
      state.sceneCount = undefined;
      this.settleScenes(ctx, state, inFlight);
      this.planProtective(ctx, state);
      for (const stage of STAGES) {
        for (;;) {
          const free = ctx.window - inFlight.size;
          if (free <= 0 || ctx.run.controller.signal.aborted) break;
          if (stage === 'scenes' && (state.scenesSettled || this.scenesEnough(ctx, state, inFlight))) break;
          const items = this.nextItems(ctx, stage, stage === 'scenes' ? 1 : free, busy, state);
          if (items.length === 0) break;
          for (const item of items) start(stage, item);
        }
      }
      this.showStage(ctx, state, inFlight);
    };
    if (this.dataset.countCharacterScenes(ctx.character.id, false) < ctx.settings.targetScenes)
      state.dedupe = await this.dedupeFor(ctx);
    pump();
    while (tasks.size > 0) {
      await Promise.race(tasks);
      pump();
    }
    if (ctx.run.controller.signal.aborted) return;
    // Protective scenes are wanted but there is nothing to press the character on (the limits call
    // failed, or the list was emptied meanwhile).
    const limitsLacking =
      wantsProtective(ctx.settings) &&
      this.protectiveLacking(ctx, this.dataset.countCharacterScenes(ctx.character.id, false)) > 0 &&
      this.dataset.limits(ctx.character.id).length === 0;
    if (limitsLacking) {
      throw new StudioFailure(
        'invalid_argument',
        'There is no list of things the character cannot know. Add some on the Generate tab and resume.',
      );
    }
  }

  /**
   * The next `limit` pending items of the stage not in flight: those planned after the last one
   * issued, and when there are none, any pending item (one whose attempt failed is pending again,
   * behind the cursor).
   */
  private nextItems(
    ctx: RunContext,
    stage: Stage,
    limit: number,
    busy: ReadonlySet<string>,
    state: SchedulerState,
  ): { id: string; input: string }[] {
    if (state.dry.has(stage)) return [];
    const after = state.cursor[stage] ?? 0;
    const fresh = this.jobs.pendingItemsAfter(ctx.id, stage, after, limit);
    if (fresh.length > 0) {
      state.cursor[stage] = fresh.at(-1)!.seq;
      return fresh;
    }
    const again = this.jobs.pendingItems(ctx.id, stage, limit, busy);
    // Nothing to send until an item of the stage is planned or one of its attempts ends.
    if (again.length === 0) state.dry.add(stage);
    return again;
  }

  /**
   * Decides, when no scene call is out, whether the scenes are final: the target is met (calls
   * planned for it and not sent are skipped), or the plan is spent and topping up is over. Topping
   * up plans another round when parse losses and duplicates left the target short; rounds are
   * numbered from the items already planned, so a restarted run continues the count.
   */
  private settleScenes(ctx: RunContext, state: SchedulerState, inFlight: ReadonlyMap<string, { stage: Stage }>): void {
    if (state.scenesSettled) return;
    for (const item of inFlight.values()) if (item.stage === 'scenes') return;
    const missing = ctx.settings.targetScenes - this.scenesNow(ctx, state);
    if (missing <= 0) {
      this.jobs.skipPending(ctx.id, 'scenes', this.clock.now());
      state.scenesSettled = true;
      return;
    }
    if (this.jobs.countItems(ctx.id, 'scenes').pending > 0) return;
    state.scenesSettled = true;
    if (!topsUpScenes(ctx.settings)) return;
    let round = 1;
    while (this.jobs.countKeysWithPrefix(ctx.id, `scenes:topup:${round}:`) > 0) round++;
    if (round > MAX_TOPUP_ROUNDS) return;
    const chunks = this.chunksOf(ctx.character.id);
    const plan = planSceneCalls(chunks, Math.ceil(missing * OVERGENERATION), ctx.settings.scenesPerCall, 42 + round);
    const added = this.jobs.planItems(
      ctx.id,
      plan.map((call, i) => ({
        id: this.newId(),
        stage: 'scenes' as const,
        key: `scenes:topup:${round}:${i}`,
        input: { chunkId: call.chunkId, count: call.count },
      })),
      this.clock.now(),
    );
    if (added > 0) {
      state.scenesSettled = false;
      state.dry.delete('scenes');
    }
  }

  /**
   * Plans the protective scenes the scenes there are call for, once the limits exist; again as the
   * scenes grow (a share of the dataset grows with it). Planning again adds only the new keys.
   */
  private planProtective(ctx: RunContext, state: SchedulerState): void {
    // Only the scenes and the limits change what is wanted: look again when one of those ended.
    if (!wantsProtective(ctx.settings) || state.outputs === state.outputsSeen) return;
    state.outputsSeen = state.outputs;
    const normal = this.scenesNow(ctx, state);
    if (normal === state.protectiveFor) return;
    if (this.dataset.limits(ctx.character.id).length === 0) return;
    state.protectiveFor = normal;
    this.plan(ctx, 'protective');
    state.dry.delete('protective');
  }

  /** Protective scenes the character still lacks beside `normal` scenes (other runs' count). */
  private protectiveLacking(ctx: RunContext, normal: number): number {
    // Only the paper's plan counts chunks (one per chunk): reading the profile is not free.
    const chunkCount = isPaper(ctx.settings) ? this.chunksOf(ctx.character.id).length : 0;
    return (
      protectiveWanted(ctx.settings, normal, chunkCount) -
      this.dataset.countCharacterScenes(ctx.character.id, true, ctx.id)
    );
  }

  /** The job's stage, for the doors: the first stage with an item out (stages overlap). */
  private showStage(ctx: RunContext, state: SchedulerState, inFlight: ReadonlyMap<string, { stage: Stage }>): void {
    let first: Stage | null = null;
    for (const item of inFlight.values())
      if (first === null || STAGES.indexOf(item.stage) < STAGES.indexOf(first)) first = item.stage;
    if (first === null || first === state.stage) return;
    state.stage = first;
    this.jobs.setStage(ctx.id, first, this.clock.now());
    this.emit(ctx.id, true);
  }

  /**
   * Whether the scenes stage may stop issuing calls: the character's scenes plus what the calls in
   * flight ask for reach the target. Calls that then come back short (parse losses, duplicates)
   * make room again and the pump issues more, so no call is sent for scenes that would be dropped.
   */
  private scenesEnough(
    ctx: RunContext,
    state: SchedulerState,
    inFlight: ReadonlyMap<string, { stage: Stage; count: number }>,
  ): boolean {
    let expected = 0;
    for (const item of inFlight.values()) if (item.stage === 'scenes') expected += item.count;
    return this.scenesNow(ctx, state) + expected >= ctx.settings.targetScenes;
  }

  /** The character's normal scenes, counted at most once per pump (see `SchedulerState.sceneCount`). */
  private scenesNow(ctx: RunContext, state: SchedulerState): number {
    state.sceneCount ??= this.dataset.countCharacterScenes(ctx.character.id, false);
    return state.sceneCount;
  }

  /** Plans the stage's items; planning again adds nothing (keys are unique per job). */
  private plan(ctx: RunContext, stage: Stage): void {
    const now = this.clock.now();
    const items: { id: string; stage: Stage; key: string; input: ItemInput }[] = [];
    if (stage === 'limits') {
      if (wantsProtective(ctx.settings) && this.dataset.limits(ctx.character.id).length === 0) {
        items.push({ id: this.newId(), stage, key: 'limits', input: {} });
      }
    } else if (stage === 'scenes') {
      // Planned once, for the scenes the character lacks when the job first gets here; a resumed
      // job keeps its plan (and its top-up rounds) instead of planning again from a new count. The
      // paper's plan runs only from no scenes (see estimate).
      const c = this.jobs.countItems(ctx.id, 'scenes');
      const existing = this.dataset.countCharacterScenes(ctx.character.id, false);
      const missing = isPaper(ctx.settings) ? (existing === 0 ? 1 : 0) : ctx.settings.targetScenes - existing;
      if (c.pending + c.done + c.failed > 0 || missing <= 0) return;
      const calls = isPaper(ctx.settings)
        ? planScenes(ctx.settings, this.chunksOf(ctx.character.id))
        : planSceneCalls(
            this.chunksOf(ctx.character.id),
            Math.ceil(missing * OVERGENERATION),
            ctx.settings.scenesPerCall,
          );
      calls.forEach((call) =>
        items.push({
          id: this.newId(),
          stage,
          key: `scenes:${call.chunkId}:${call.repeat}`,
          input: { chunkId: call.chunkId, count: call.count },
        }),
      );
    } else if (stage === 'experiences') {
      // Every scene of the character still without its experience, earlier runs' included; rejected
      // scenes never reach training, so none is written for them.
      for (const scene of this.dataset.characterScenes(ctx.character.id, false)) {
        if (!scene.hasExperience && !scene.rejected) items.push(experienceItem(this.newId(), scene.id));
      }
    } else {
      // The share is of the character's whole dataset (the paper: one per chunk); protective scenes
      // other runs made count. Called once the limits exist (see planProtective).
      const chunks = isPaper(ctx.settings) ? this.chunksOf(ctx.character.id) : [];
      const n = this.protectiveLacking(ctx, this.dataset.countCharacterScenes(ctx.character.id, false));
      const limits = this.dataset.limits(ctx.character.id);
      for (let i = 0; i < n; i++) {
        const limit = limits[i % limits.length]!.text;
        const stranger = STRANGER_NAMES[hashString(`${ctx.id}:${i}`) % STRANGER_NAMES.length]!;
        // The paper writes one from each chunk: the chunk is the profile its prompt shows.
        const chunkId = isPaper(ctx.settings) ? chunks[i]?.id : undefined;
        items.push({ id: this.newId(), stage, key: `protective:${i}`, input: { limit, stranger, chunkId } });
      }
    }
    if (items.length > 0) this.jobs.planItems(ctx.id, items, now);
  }

  /**
   * The near-duplicate index of the character's scenes, built in slices of `DEDUPE_SLICE` scenes
   * with the event loop served between them (tens of microseconds a scene: a large dataset would
   * otherwise hold every request of the studio for seconds).
   */
  private async dedupeFor(ctx: RunContext): Promise<SceneDeduplicator> {
    const dedupe = new SceneDeduplicator({ threshold: ctx.settings.dedupeThreshold });
    const scenes = this.dataset.characterScenes(ctx.character.id, false);
    for (let i = 0; i < scenes.length; i++) {
      if (i > 0 && i % DEDUPE_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      dedupe.add(scenes[i]!);
    }
    return dedupe;
  }

  private async runItem(
    ctx: RunContext,
    stage: Stage,
    itemId: string,
    input: ItemInput,
    dedupe: SceneDeduplicator | null,
  ): Promise<void> {
    const callId = this.newId();
    try {
      if (stage === 'experiences' && !this.dataset.needsExperience(input.sceneId as SceneId)) {
        // Another run (an earlier, resumed one) completed this scene meanwhile, or it was rejected
        // or deleted in review since it was planned: nothing to send.
        this.jobs.completeItem(itemId, null, this.clock.now());
        return;
      }
      const { messages, prompt } = this.messagesFor(ctx, stage, input);
      const structured = ctx.provider.structuredOutput && ctx.llm.capabilities.jsonSchema;
      const result = await ctx.gateway.complete(
        {
          messages,
          temperature: ctx.settings.temperature,
          topP: ctx.settings.topP,
          maxTokens:
            stage === 'scenes'
              ? Math.min(ctx.settings.maxTokens, 350 * (input.count ?? 10) + 200)
              : ctx.settings.maxTokens,
          ...(structured && { jsonSchema: SCHEMAS[stage] }),
        },
        { signal: ctx.run.controller.signal, callId, tag: itemId },
      );
      if (ctx.run.controller.signal.aborted) return;
      ctx.run.outageStreak = 0;
      const now = this.clock.now();
      if (stage === 'limits') {
        const texts = parseLimits(result.text, structured);
        if (texts.length === 0) throw new ItemProblem('the answer held no list of things the character cannot know');
        this.db.transaction(() => {
          this.dataset.replaceLimits(
            ctx.character.id,
            texts
              .slice(0, LIMITS_WANTED)
              .map((text) => ({ id: this.newId(), text, source: 'generated' as const, callId })),
            now,
          );
          this.jobs.completeItem(itemId, callId, now);
        })();
        this.events.emit('limits/changed', { characterId: ctx.character.id });
      } else if (stage === 'scenes') {
        if (result.finishReason === 'length' && !structured) {
          // Text answers cut mid-block lose only the last block; JSON salvage keeps complete scenes.
        }
        const parsed = structured ? parseScenesJson(result.text) : parseScenesText(result.text);
        if (parsed.items.length === 0) {
          throw new ItemProblem(
            `no scene could be read from the answer (${parsed.problems[0]?.reason ?? 'empty answer'})`,
          );
        }
        this.db.transaction(() => {
          let room = ctx.settings.targetScenes - this.dataset.countCharacterScenes(ctx.character.id, false);
          // Each kept scene's experience item is planned with it: a crash leaves both or neither, and
          // the scheduler can send it while other scene calls are still out.
          const experiences: ReturnType<typeof experienceItem>[] = [];
          parsed.items.forEach((scene, ordinal) => {
            if (room <= 0) return;
            if (dedupe && dedupe.add(scene).duplicateOf !== null) return;
            const sceneId = this.newId() as SceneId;
            experiences.push(experienceItem(this.newId(), sceneId));
            this.dataset.insertScene(
              {
                id: sceneId,
                characterId: ctx.character.id,
                jobId: ctx.id,
                itemId,
                ordinal,
                chunkId: (input.chunkId ?? null) as Chunk['id'] | null,
                protective: false,
                limit: null,
                ...scene,
                callId,
                promptVersion: prompt.version,
              },
              now,
            );
            room--;
          });
          this.jobs.planItems(ctx.id, experiences, now);
          this.jobs.completeItem(itemId, callId, now, unreadNote(parsed));
        })();
        this.events.emit('dataset/changed', { characterId: ctx.character.id });
      } else {
        const experience = this.readExperience(ctx, result.text, result.finishReason, structured, input);
        this.db.transaction(() => {
          let sceneId = input.sceneId as SceneId | undefined;
          if (stage === 'protective') {
            sceneId = this.newId() as SceneId;
            this.dataset.insertScene(
              {
                id: sceneId,
                characterId: ctx.character.id,
                jobId: ctx.id,
                itemId,
                ordinal: 0,
                chunkId: null,
                protective: true,
                limit: input.limit ?? null,
                type: 'chat',
                location: 'A room',
                time: '',
                background: `${ctx.character.shortName} is chatting with a person.`,
                people: [input.stranger ?? 'A stranger'],
                callId,
                promptVersion: prompt.version,
              },
              now,
            );
          }
          this.dataset.insertExperience(
            sceneId!,
            {
              background: experience.background,
              turns: experience.turns,
              problems: experience.problems,
              callId,
              promptVersion: prompt.version,
            },
            now,
          );
          this.jobs.completeItem(itemId, callId, now);
        })();
        this.events.emit('dataset/changed', { characterId: ctx.character.id });
      }
    } catch (error) {
      if (ctx.run.controller.signal.aborted) return;
      const reason = error instanceof Error ? error.message : String(error);
      this.jobs.failAttempt(itemId, reason, MAX_ITEM_ATTEMPTS, callId, this.clock.now());
      // An unreachable provider (after the gateway's own retries) pauses the job after a few items
      // in a row: resuming retries them, attempts restored.
      if (this.runner.noteOutcome(ctx.run, error)) return;
      if (isLlmError(error) && (error.code === 'auth' || error.code === 'not_found')) {
        // Every other call would fail the same way: stop and say what to fix; resuming (after the
        // fix) continues where it stopped.
        this.runner.requestStop(ctx.run, 'failed', `${error.message} Fix it, then resume.`);
      }
    } finally {
      this.emit(ctx.id, false);
    }
  }

  private readExperience(
    ctx: RunContext,
    text: string,
    finishReason: string,
    structured: boolean,
    input: ItemInput,
  ): ParsedExperience & { problems: FormatProblem[] } {
    const options = { character: ctx.character.shortName, aliases: [ctx.character.fullName], finishReason };
    const parsed = structured ? parseExperienceJson(text, options) : parseExperienceText(text, options);
    const experience = parsed.items[0];
    if (!experience)
      throw new ItemProblem(`the interaction could not be read (${parsed.problems[0]?.reason ?? 'empty answer'})`);
    if (experience.truncated || finishReason === 'length') {
      throw new ItemProblem(
        `the answer was cut off at the token limit (${ctx.settings.maxTokens}); raise "Max tokens" if this repeats`,
      );
    }
    const short = ctx.character.shortName.toLowerCase();
    if (!experience.turns.some((t) => t.speaker.toLowerCase() === short && t.kind !== 'action')) {
      throw new ItemProblem(`${ctx.character.shortName} never speaks or thinks in the answer`);
    }
    if (input.stranger && !experience.turns.some((t) => t.speaker.toLowerCase() !== short)) {
      throw new ItemProblem('nobody presses the character in the answer');
    }
    // Kept with what did not fit the format, so the Dataset tab and the export can see it.
    return { ...experience, problems: formatProblems(parsed.problems) };
  }

  private messagesFor(
    ctx: RunContext,
    stage: Stage,
    input: ItemInput,
  ): { messages: { role: 'system' | 'user'; content: string }[]; prompt: { version: string } } {
    const prompt = this.promptFor(ctx.character.id, stage);
    const structured = ctx.provider.structuredOutput && ctx.llm.capabilities.jsonSchema;
    const values = this.baseValues(ctx.character, stage, structured);
    if (stage === 'limits') values.count = String(LIMITS_WANTED);
    if (stage === 'scenes') {
      values.chunk = this.chunkText(input.chunkId);
      values.count = String(input.count ?? ctx.settings.scenesPerCall);
    }
    if (stage === 'experiences') {
      const scene = this.dataset.scene(input.sceneId as SceneId);
      if (!scene) throw new ItemProblem('its scene was deleted');
      Object.assign(values, {
        // A scene written by hand belongs to no chunk: its experience is written from the profile.
        chunk:
          scene.origin === 'hand' && scene.chunkId === null
            ? this.profileExcerpt(ctx.character.id)
            : this.chunkText(scene.chunkId ?? undefined),
        type: scene.type,
        location: scene.location,
        time: scene.time || 'unknown',
        background: scene.background,
        people: scene.people.join(', ') || 'nobody else',
      });
    }
    if (stage === 'protective') {
      Object.assign(values, { limit: input.limit ?? '', stranger: input.stranger ?? 'a stranger' });
      if (input.chunkId !== undefined) values.profile = this.chunkText(input.chunkId);
    }
    const messages = [
      ...(prompt.system ? [{ role: 'system' as const, content: fill(prompt.system, values) }] : []),
      { role: 'user' as const, content: fill(prompt.template, values) },
    ];
    return { messages, prompt };
  }

  private baseValues(character: Character, stage: Stage, structured: boolean): Record<string, string> {
    return {
      character: character.fullName,
      short: character.shortName,
      era: character.era || 'unknown dates',
      format: FORMAT_INSTRUCTIONS[stage][structured ? 'json' : 'text'],
      // Only the stages whose prompt shows the profile pay for reading it.
      ...(PLACEHOLDERS[stage].includes('profile') && { profile: this.profileExcerpt(character.id) }),
    };
  }

  private promptFor(characterId: CharacterId, stage: Stage): PromptPair & { version: string } {
    const custom = this.dataset.customPrompt(characterId, stage);
    if (custom?.active)
      return { system: custom.system, template: custom.template, version: `custom@${custom.version}` };
    return { ...BUILTIN_PROMPTS[stage], version: `builtin@${BUILTIN_VERSION}` };
  }

  private chunksOf(characterId: CharacterId): Chunk[] {
    return this.profiles.listForCharacter(characterId).flatMap((p) => p.chunks);
  }

  private chunkText(chunkId: string | undefined): string {
    const chunk = chunkId ? this.profiles.chunk(chunkId as Chunk['id']) : undefined;
    if (!chunk) throw new ItemProblem('its profile chunk was deleted or merged; retry to use the current profile');
    return chunk.text;
  }

  private profileExcerpt(characterId: CharacterId): string {
    const words: string[] = [];
    for (const chunk of this.chunksOf(characterId)) {
      for (const word of chunk.text.split(/\s+/)) {
        if (words.length >= PROFILE_EXCERPT_WORDS) return words.join(' ') + ' …';
        words.push(word);
      }
    }
    return words.join(' ');
  }

  private recordCall(id: JobId, record: CallRecord, settings: GenerationSettings, run: RunHandle): void {
    // One commit for the call and the job's totals (a commit is most of what recording costs).
    this.db.transaction(() => {
      this.jobs.insertCall(callRow(id, record));
      this.jobs.addUsage(id, record.usage?.promptTokens ?? 0, record.usage?.completionTokens ?? 0, record.costUsd ?? 0);
    })();
    if (settings.budgetUsd !== null && !run.controller.signal.aborted) {
      const spent = this.jobs.job(id)?.cost_usd ?? 0;
      if (spent >= settings.budgetUsd) {
        this.runner.requestStop(
          run,
          'paused',
          `Paused: the budget of ${formatUsd(settings.budgetUsd)} is spent (${formatUsd(spent)}). Raise the budget and resume to go on.`,
        );
      }
    }
  }

  // ── progress ─────────────────────────────────────────────────────────────────────────────

  private emit(id: JobId, force: boolean): void {
    const now = this.clock.now();
    if (!force && now - (this.lastEmit.get(id) ?? 0) < PROGRESS_INTERVAL_MS) return;
    this.lastEmit.set(id, now);
    const row = this.jobs.job(id);
    if (row) this.events.emit('jobs/progressed', this.toJob(row));
  }

  private scopeOf(row: JobRow): JobScope {
    return this.dataset.jobScope(row.character_id, row.id, row.created_at);
  }

  private toJob(row: JobRow, scope = this.scopeOf(row)): Job {
    return toJob(row, this.jobs, scope, this.paperChunkCount(row), this.runner.handle(row.id), this.clock.now());
  }

  /**
   * The chunk count progress needs for a paper-plan job (one protective scene per chunk), else 0.
   * Read from the character's stored count: this runs on every progress event.
   */
  private paperChunkCount(row: JobRow): number {
    return isPaper(JSON.parse(row.settings) as GenerationSettings)
      ? this.characters.get(row.character_id).chunkCount
      : 0;
  }

  private checkSettings(s: GenerationSettings): void {
    const bad = (message: string) => new StudioFailure('invalid_argument', message);
    if (!(Number.isInteger(s.targetScenes) && s.targetScenes >= 1 && s.targetScenes <= MAX_TARGET_SCENES))
      throw bad('Target scenes must be a whole number from 1 to 20,000.');
    if (!(Number.isInteger(s.scenesPerCall) && s.scenesPerCall >= 1 && s.scenesPerCall <= 40))
      throw bad('Scenes per call must be from 1 to 40.');
    if (!(s.protectiveShare >= 0 && s.protectiveShare <= 0.2))
      throw bad('The protective share must be between 0% and 20% (the paper used 1–5%).');
    if (!(s.temperature >= 0 && s.temperature <= 2)) throw bad('Temperature must be between 0 and 2.');
    if (!(s.topP > 0 && s.topP <= 1)) throw bad('Top-p must be above 0 and at most 1.');
    if (!(Number.isInteger(s.maxTokens) && s.maxTokens >= 256 && s.maxTokens <= 32_000))
      throw bad('Max tokens must be from 256 to 32,000.');
    if (s.budgetUsd !== null && !(s.budgetUsd > 0)) throw bad('A budget must be more than $0, or left empty for none.');
    if (!(s.dedupeThreshold > 0 && s.dedupeThreshold <= 1))
      throw bad('The duplicate threshold must be above 0 and at most 1.');
  }
}

interface RunContext {
  id: JobId;
  run: RunHandle;
  settings: GenerationSettings;
  character: Character;
  provider: Provider;
  llm: LlmProvider;
  gateway: LlmGateway;
  window: number;
}

/** What the scheduler of one run keeps between pumps (see `runStages`). */
interface SchedulerState {
  /** Built from the character's scenes before the first scene call, when scenes are lacking. */
  dedupe: SceneDeduplicator | null;
  /** No more scene calls will be issued: the target is met, or the plan and top-ups are spent. */
  scenesSettled: boolean;
  /** The scene count the protective scenes were last planned for; -1 before. */
  protectiveFor: number;
  /** The stage last shown on the job row. */
  stage: Stage | null | undefined;
  /** Per stage, the rowid of the last item issued (see `nextItems`). */
  cursor: Partial<Record<Stage, number>>;
  /** Stages found with nothing to send, until something plans or returns an item of theirs. */
  dry: Set<Stage>;
  /** Limits and scene items ended so far, and the count protective planning last looked at. */
  outputs: number;
  outputsSeen: number;
  /**
   * The character's normal scenes, counted once per pump (`scenesNow`): a pump writes no scene, and
   * it asks for the count before every scene call it issues (a count over 100,000 scenes is not free).
   */
  sceneCount: number | undefined;
}

/** The work item that writes the experience of one scene (its key makes planning it idempotent). */
function experienceItem(id: string, sceneId: SceneId): { id: string; stage: Stage; key: string; input: ItemInput } {
  return { id, stage: 'experiences', key: `experience:${sceneId}`, input: { sceneId } };
}

/** A bad answer: counted as a failed attempt of the item, with this reason. */
class ItemProblem extends Error {}

function parseLimits(text: string, structured: boolean): string[] {
  if (structured) {
    try {
      const parsed = JSON.parse(text.replace(/^```(?:json)?\s*|\s*```$/g, '')) as { limits?: unknown };
      if (Array.isArray(parsed.limits))
        return parsed.limits
          .filter((x): x is string => typeof x === 'string' && x.trim().length > 1)
          .map((x) => x.trim());
    } catch {
      // fall through to the line reader
    }
  }
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '')
        .replace(/\*\*/g, '')
        .trim(),
    )
    .filter((line) => line.length > 1 && line.length < 200 && !/:$/.test(line));
}

/** What a scenes answer held that could not be read as scenes, said on the item (null: nothing). */
function unreadNote(parsed: { items: unknown[]; problems: { reason: string }[] }): string | null {
  const unread = parsed.problems.length;
  if (unread === 0) return null;
  const more = unread > 1 ? ` (and ${unread - 1} more)` : '';
  return `${unread} of ${parsed.items.length + unread} scene blocks could not be read and were left out: ${parsed.problems[0]!.reason}${more}. The whole answer is on record with its call.`;
}
