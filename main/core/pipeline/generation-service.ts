import type {
  Character,
  CharacterId,
  Chunk,
  GenerationEstimate,
  GenerationSettings,
  Job,
  JobId,
  JobStatus,
  KnowledgeLimit,
  PromptTemplate,
  Provider,
  ProviderId,
  SceneId,
  Stage,
  StageEstimate,
  StageProgress,
} from '../../../common/contract';
import type { DatasetRepo } from '../../store/dataset-repo';
import type { Db } from '../../store/database';
import type { CallRow, JobRow, JobsRepo } from '../../store/jobs-repo';
import type { ProfilesRepo } from '../../store/profiles-repo';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import { runnerAlive, runnerId } from '../runner';
import type { EventBus } from '../events';
import { LlmGateway, type CallRecord } from '../llm/gateway';
import { isLlmError, type LlmProvider } from '../llm/types';
import type { ProviderService } from '../providers/provider-service';
import {
  parseExperienceJson,
  parseExperienceText,
  parseScenesJson,
  parseScenesText,
  type ParsedExperience,
} from './parse';
import { SceneDeduplicator } from './parse-dedupe';
import { hashString, OVERGENERATION, planSceneCalls, protectiveCount } from './planner';
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
import { errorText } from '../../../common/sentence';

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
const HEARTBEAT_MS = 5_000;
/** A runner silent this long is presumed dead (crashed or killed). */
export const STALE_RUNNER_MS = 30_000;

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

interface Running {
  controller: AbortController;
  /** Why the run is stopping, decided by whoever aborted it. */
  stopAs: JobStatus | null;
  stopMessage: string | null;
  done: Promise<void>;
  startedAt: number;
  doneAtStart: number;
}

interface ItemInput {
  chunkId?: string;
  count?: number;
  sceneId?: string;
  limit?: string;
  stranger?: string;
}

export class GenerationService {
  private readonly running = new Map<JobId, Running>();
  private readonly lastEmit = new Map<JobId, number>();
  private readonly runnerId = runnerId();

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
  ) {}

  // ── settings, estimate, prompts, limits ───────────────────────────────────────────────────

  defaults(): Omit<GenerationSettings, 'providerId'> {
    return { ...DEFAULT_SETTINGS };
  }

  estimate(characterId: CharacterId, settings: GenerationSettings): GenerationEstimate {
    const character = this.characters.get(characterId);
    const provider = this.providers.get(settings.providerId);
    const chunks = this.chunksOf(character.id);
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
    if (settings.protectiveShare > 0 && this.dataset.limits(character.id).length === 0) {
      stages.push({
        stage: 'limits',
        calls: 1,
        promptTokens: tokens(prompt('limits').template.length + 2400),
        completionTokens: 500,
      });
    }
    const sceneCalls = planSceneCalls(
      chunks,
      Math.ceil(settings.targetScenes * OVERGENERATION),
      settings.scenesPerCall,
    ).length;
    stages.push({
      stage: 'scenes',
      calls: sceneCalls,
      promptTokens: sceneCalls * tokens(prompt('scenes').template.length + avgChunkChars),
      completionTokens: Math.ceil(settings.targetScenes * OVERGENERATION) * 90,
    });
    const experienceOut = Math.min(settings.maxTokens, 1800);
    stages.push({
      stage: 'experiences',
      calls: settings.targetScenes,
      promptTokens: settings.targetScenes * tokens(prompt('experiences').template.length + avgChunkChars + 500),
      completionTokens: settings.targetScenes * experienceOut,
    });
    const protective = protectiveCount(settings.targetScenes, settings.protectiveShare);
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
        `The estimate ($${costUsd.toFixed(2)}) is above the budget ($${settings.budgetUsd.toFixed(2)}): the job will pause when the budget is spent.`,
      );
    }
    return { stages, calls, promptTokens, completionTokens, costUsd, seconds, warnings };
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

  start(characterId: CharacterId, settings: GenerationSettings): Job {
    this.estimate(characterId, settings); // validates the character, its profile, the provider and settings
    const unfinished = this.jobs.unfinishedFor(characterId);
    if (unfinished) {
      throw new StudioFailure(
        'conflict',
        `A generation job for this character is already ${unfinished.status}. Resume or cancel it before starting another.`,
      );
    }
    const id = this.newId() as JobId;
    this.jobs.insertJob({ id, characterId, settings }, this.clock.now());
    this.launch(id);
    return this.get(id);
  }

  list(characterId: CharacterId): Job[] {
    this.characters.get(characterId);
    return this.jobs.jobsFor(characterId).map((row) => this.toJob(row));
  }

  get(id: JobId): Job {
    const row = this.jobs.job(id);
    if (!row) throw new StudioFailure('not_found', 'That job no longer exists.');
    return this.toJob(row);
  }

  pause(id: JobId): Job {
    return this.stop(id, 'paused', 'Paused. Resume to continue where it left off.');
  }

  cancel(id: JobId): Job {
    return this.stop(id, 'cancelled', 'Cancelled. What was generated so far is kept.');
  }

  resume(id: JobId): Job {
    const job = this.get(id);
    if (!['paused', 'interrupted', 'failed', 'queued'].includes(job.status)) {
      throw new StudioFailure('invalid_argument', `A ${job.status} job cannot be resumed.`);
    }
    if (!this.running.has(id)) this.launch(id);
    return this.get(id);
  }

  retry(id: JobId, itemId?: string): Job {
    const job = this.get(id);
    const n = this.jobs.retryFailed(id, itemId, this.clock.now());
    if (n === 0)
      throw new StudioFailure(
        'invalid_argument',
        itemId ? 'That item has not failed.' : 'This job has no failed items.',
      );
    if (!this.running.has(id) && job.status !== 'cancelled') this.launch(id);
    return this.get(id);
  }

  /** At start-up: jobs left running by a crash or quit become `interrupted`. */
  recover(): number {
    // A runner on this machine whose process is gone died (a crash or kill): interrupt at once.
    // Runners elsewhere (a shared data folder) are judged by their heartbeat.
    for (const row of this.jobs.runningJobs()) {
      if (runnerAlive(row.runner) === false) this.jobs.forgetRunner(row.id);
    }
    return this.jobs.markInterrupted(this.clock.now(), STALE_RUNNER_MS);
  }

  /** Resolves when the job's current run ends (for the CLI and tests). */
  async whenIdle(id: JobId): Promise<Job> {
    await this.running.get(id)?.done;
    return this.get(id);
  }

  /** Stops every run, leaving the jobs `interrupted` so they resume next time. */
  async shutdown(): Promise<void> {
    const all = [...this.running.entries()];
    for (const [, run] of all) {
      run.stopAs = 'interrupted';
      run.stopMessage = 'Stopped when the studio closed; resume to continue where it left off.';
      run.controller.abort();
    }
    await Promise.allSettled(all.map(([, run]) => run.done));
  }

  private stop(id: JobId, status: JobStatus, message: string): Job {
    const job = this.get(id);
    const run = this.running.get(id);
    if (run) {
      run.stopAs = status;
      run.stopMessage = message;
      run.controller.abort();
    } else if (
      ['paused', 'interrupted', 'queued', 'failed'].includes(job.status) ||
      (status === 'cancelled' && job.status !== 'succeeded' && job.status !== 'cancelled')
    ) {
      this.jobs.setStatus(id, status, message, this.clock.now());
      this.emit(id, true);
    } else {
      throw new StudioFailure(
        'invalid_argument',
        `A ${job.status} job cannot be ${status === 'paused' ? 'paused' : 'cancelled'}.`,
      );
    }
    return this.get(id);
  }

  private launch(id: JobId): void {
    const controller = new AbortController();
    const startedAt = this.clock.now();
    if (!this.jobs.claim(id, this.runnerId, startedAt, STALE_RUNNER_MS)) {
      throw new StudioFailure(
        'conflict',
        'This job is running in another window or process of the studio. Control it from there.',
      );
    }
    this.jobs.setStatus(id, 'running', null, startedAt);
    const beat = setInterval(() => this.jobs.heartbeat(id, this.runnerId, this.clock.now()), HEARTBEAT_MS);
    beat.unref();
    const run: Running = {
      controller,
      stopAs: null,
      stopMessage: null,
      done: Promise.resolve(),
      startedAt,
      doneAtStart: this.progress(this.jobs.job(id)!).done,
    };
    this.running.set(id, run);
    run.done = this.execute(id, run)
      .catch((error: unknown) => {
        const message =
          error instanceof StudioFailure || isLlmError(error) ? error.message : `Unexpected error: ${errorText(error)}`;
        if (!(error instanceof StudioFailure) && !isLlmError(error)) console.error(`job ${id} failed:`, error);
        if (this.jobs.job(id)) this.jobs.setStatus(id, 'failed', message, this.clock.now());
      })
      .finally(() => {
        clearInterval(beat);
        this.running.delete(id);
        if (this.jobs.job(id)) this.jobs.release(id, this.runnerId);
        if (this.jobs.job(id)) this.emit(id, true);
      });
    this.emit(id, true);
  }

  private async execute(id: JobId, run: Running): Promise<void> {
    const row = this.jobs.job(id)!;
    const settings = JSON.parse(row.settings) as GenerationSettings;
    const character = this.characters.get(row.character_id);
    const provider = this.providers.get(settings.providerId);
    const llm = this.providers.instance(provider.id);
    const window = Math.max(1, provider.kind === 'embedded' ? 1 : provider.maxConcurrency) * 2;
    const gateway = new LlmGateway(llm, {
      maxConcurrency: provider.kind === 'embedded' ? 1 : provider.maxConcurrency,
      requestsPerMinute: provider.requestsPerMinute || null,
      timeoutMs: provider.timeoutMs,
      prices: this.providers.isMetered(provider) ? this.providers.priceTable() : {},
      onCall: (record) => this.recordCall(id, record, settings, run),
    });
    const context: RunContext = { id, run, settings, character, provider, llm, gateway, window };

    for (const stage of STAGES) {
      if (run.controller.signal.aborted) break;
      this.jobs.setStage(id, stage, this.clock.now());
      this.emit(id, true);
      await this.runStage(context, stage);
    }

    const now = this.clock.now();
    if (run.controller.signal.aborted) {
      this.jobs.setStatus(id, run.stopAs ?? 'paused', run.stopMessage, now);
      return;
    }
    const failed = STAGES.reduce((n, s) => n + this.jobs.countItems(id, s).failed, 0);
    const scenes = this.dataset.countJobScenes(id, false);
    this.jobs.setStage(id, null, now);
    if (failed > 0) {
      this.jobs.setStatus(
        id,
        'failed',
        `${failed} item${failed === 1 ? '' : 's'} failed; see the reasons below and retry them.`,
        now,
      );
    } else if (scenes < settings.targetScenes) {
      this.jobs.setStatus(
        id,
        'succeeded',
        `Finished with ${scenes} of ${settings.targetScenes} scenes: the model kept repeating itself or its answers could not be read. Add profile text or raise the temperature for more variety.`,
        now,
      );
    } else {
      this.jobs.setStatus(id, 'succeeded', null, now);
    }
  }

  private async runStage(ctx: RunContext, stage: Stage): Promise<void> {
    this.plan(ctx, stage);
    const inFlight = new Set<string>();
    const dedupe = stage === 'scenes' ? this.dedupeFor(ctx) : null;
    for (;;) {
      const tasks = new Set<Promise<void>>();
      const pump = (): void => {
        while (!ctx.run.controller.signal.aborted) {
          const free = ctx.window - inFlight.size;
          if (free <= 0) break;
          const items = this.jobs.pendingItems(ctx.id, stage, free, inFlight);
          if (items.length === 0) break;
          for (const item of items) {
            inFlight.add(item.id);
            const task = this.runItem(ctx, stage, item.id, JSON.parse(item.input) as ItemInput, dedupe).finally(() => {
              inFlight.delete(item.id);
              tasks.delete(task);
            });
            tasks.add(task);
          }
        }
      };
      pump();
      while (tasks.size > 0) {
        await Promise.race(tasks);
        pump();
      }
      if (ctx.run.controller.signal.aborted) return;
      if (stage !== 'scenes') return;
      // Top up when parse losses and duplicates left the target short. Rounds are numbered from
      // the items already planned, so a restarted run continues the count instead of repeating it.
      const missing = ctx.settings.targetScenes - this.dataset.countJobScenes(ctx.id, false);
      if (missing <= 0) return;
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
      if (added === 0 && this.jobs.countItems(ctx.id, 'scenes').pending === 0) return;
    }
  }

  /** Plans the stage's items; planning again adds nothing (keys are unique per job). */
  private plan(ctx: RunContext, stage: Stage): void {
    const now = this.clock.now();
    const items: { id: string; stage: Stage; key: string; input: ItemInput }[] = [];
    if (stage === 'limits') {
      if (ctx.settings.protectiveShare > 0 && this.dataset.limits(ctx.character.id).length === 0) {
        items.push({ id: this.newId(), stage, key: 'limits', input: {} });
      }
    } else if (stage === 'scenes') {
      const calls = planSceneCalls(
        this.chunksOf(ctx.character.id),
        Math.ceil(ctx.settings.targetScenes * OVERGENERATION),
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
      for (const scene of this.dataset.jobScenes(ctx.id, false)) {
        if (!scene.hasExperience)
          items.push({ id: this.newId(), stage, key: `experience:${scene.id}`, input: { sceneId: scene.id } });
      }
    } else {
      const n = protectiveCount(this.dataset.countJobScenes(ctx.id, false), ctx.settings.protectiveShare);
      const limits = this.dataset.limits(ctx.character.id);
      if (n > 0 && limits.length === 0) {
        throw new StudioFailure(
          'invalid_argument',
          'There is no list of things the character cannot know. Add some on the Generate tab and resume.',
        );
      }
      for (let i = 0; i < n; i++) {
        const limit = limits[i % limits.length]!.text;
        const stranger = STRANGER_NAMES[hashString(`${ctx.id}:${i}`) % STRANGER_NAMES.length]!;
        items.push({ id: this.newId(), stage, key: `protective:${i}`, input: { limit, stranger } });
      }
    }
    if (items.length > 0) this.jobs.planItems(ctx.id, items, now);
  }

  private dedupeFor(ctx: RunContext): SceneDeduplicator {
    const dedupe = new SceneDeduplicator({ threshold: ctx.settings.dedupeThreshold });
    for (const scene of this.dataset.jobScenes(ctx.id, false)) dedupe.add(scene);
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
          let room = ctx.settings.targetScenes - this.dataset.countJobScenes(ctx.id, false);
          parsed.items.forEach((scene, ordinal) => {
            if (room <= 0) return;
            if (dedupe && dedupe.add(scene).duplicateOf !== null) return;
            this.dataset.insertScene(
              {
                id: this.newId() as SceneId,
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
          this.jobs.completeItem(itemId, callId, now);
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
            { background: experience.background, turns: experience.turns, callId, promptVersion: prompt.version },
            now,
          );
          this.jobs.completeItem(itemId, callId, now);
        })();
        this.events.emit('dataset/changed', { characterId: ctx.character.id });
      }
    } catch (error) {
      if (ctx.run.controller.signal.aborted) return;
      if (isLlmError(error) && (error.code === 'auth' || error.code === 'not_found' || error.code === 'network')) {
        // Every other call would fail the same way (after the gateway's own retries): stop the job
        // and say what to fix; resuming continues where it stopped.
        this.jobs.failAttempt(itemId, error.message, MAX_ITEM_ATTEMPTS, callId, this.clock.now());
        ctx.run.stopAs = 'failed';
        ctx.run.stopMessage = error.message;
        ctx.run.controller.abort();
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      this.jobs.failAttempt(itemId, reason, MAX_ITEM_ATTEMPTS, callId, this.clock.now());
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
  ): ParsedExperience {
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
    return experience;
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
        chunk: this.chunkText(scene.chunkId ?? undefined),
        type: scene.type,
        location: scene.location,
        time: scene.time || 'unknown',
        background: scene.background,
        people: scene.people.join(', ') || 'nobody else',
      });
    }
    if (stage === 'protective')
      Object.assign(values, { limit: input.limit ?? '', stranger: input.stranger ?? 'a stranger' });
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

  private recordCall(id: JobId, record: CallRecord, settings: GenerationSettings, run: Running): void {
    this.jobs.insertCall(callRow(id, record));
    this.jobs.addUsage(id, record.usage?.promptTokens ?? 0, record.usage?.completionTokens ?? 0, record.costUsd ?? 0);
    if (settings.budgetUsd !== null && !run.controller.signal.aborted) {
      const spent = this.jobs.job(id)?.cost_usd ?? 0;
      if (spent >= settings.budgetUsd) {
        run.stopAs = 'paused';
        run.stopMessage = `Paused: the budget of $${settings.budgetUsd.toFixed(2)} is spent ($${spent.toFixed(2)}). Raise it and resume to go on.`;
        run.controller.abort();
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

  private progress(row: JobRow): { stages: StageProgress[]; done: number; total: number; failed: number } {
    const settings = JSON.parse(row.settings) as GenerationSettings;
    const id = row.id;
    const scenes = this.dataset.countJobScenes(id, false);
    const limitsItems = this.jobs.countItems(id, 'limits');
    const sceneItems = this.jobs.countItems(id, 'scenes');
    const expItems = this.jobs.countItems(id, 'experiences');
    const protItems = this.jobs.countItems(id, 'protective');
    const protectiveTarget = protectiveCount(Math.max(scenes, settings.targetScenes), settings.protectiveShare);
    const all: StageProgress[] = [
      {
        stage: 'limits',
        done: limitsItems.done,
        failed: limitsItems.failed,
        total: limitsItems.done + limitsItems.failed + limitsItems.pending,
      },
      { stage: 'scenes', done: scenes, failed: sceneItems.failed, total: settings.targetScenes },
      {
        stage: 'experiences',
        done: this.dataset.countJobExperiences(id, false),
        failed: expItems.failed,
        total: Math.max(scenes, settings.targetScenes),
      },
      {
        stage: 'protective',
        done: this.dataset.countJobExperiences(id, true),
        failed: protItems.failed,
        total: protectiveTarget,
      },
    ];
    const stages = all.filter((s) => s.total > 0 || s.stage !== 'limits');
    const done = stages.reduce((n, s) => n + Math.min(s.done, s.total), 0);
    const total = stages.reduce((n, s) => n + s.total, 0);
    const failed = stages.reduce((n, s) => n + s.failed, 0);
    return { stages, done, total, failed };
  }

  private toJob(row: JobRow): Job {
    const { stages, done, total, failed } = this.progress(row);
    const run = this.running.get(row.id);
    let etaSeconds: number | null = null;
    if (run && row.status === 'running') {
      const progressed = done - run.doneAtStart;
      const elapsed = (this.clock.now() - run.startedAt) / 1000;
      if (progressed > 0 && elapsed > 1) etaSeconds = Math.round(((total - done) * elapsed) / progressed);
    }
    return {
      id: row.id,
      characterId: row.character_id,
      kind: 'generation',
      status: row.status,
      stage: row.stage,
      settings: JSON.parse(row.settings) as GenerationSettings,
      stages,
      done,
      total,
      failed,
      promptTokens: row.prompt_tokens,
      completionTokens: row.completion_tokens,
      costUsd: row.cost_usd,
      etaSeconds,
      message: row.message,
      recentFailures: this.jobs.recentFailures(row.id, 8),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      finishedAt: row.finished_at,
    };
  }

  private checkSettings(s: GenerationSettings): void {
    const bad = (message: string) => new StudioFailure('invalid_argument', message);
    if (!(Number.isInteger(s.targetScenes) && s.targetScenes >= 1 && s.targetScenes <= 20_000))
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
  run: Running;
  settings: GenerationSettings;
  character: Character;
  provider: Provider;
  llm: LlmProvider;
  gateway: LlmGateway;
  window: number;
}

/** An LLM call attempt as stored in `llm_calls`, linked to its job (null for a one-off call). */
function callRow(jobId: JobId | null, record: CallRecord): CallRow {
  return {
    id: record.callId,
    attempt: record.attempt,
    job_id: jobId,
    item_id: record.tag ?? null,
    provider: record.provider,
    model: record.model,
    response_model: record.responseModel,
    params: JSON.stringify(record.params),
    messages: JSON.stringify(record.messages),
    response: record.responseText,
    finish_reason: record.finishReason,
    prompt_tokens: record.usage?.promptTokens ?? null,
    completion_tokens: record.usage?.completionTokens ?? null,
    cost_usd: record.costUsd,
    latency_ms: Math.round(record.latencyMs),
    error: record.error ? `${record.error.code}: ${record.error.message}` : null,
    started_at: record.startedAt,
  };
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
