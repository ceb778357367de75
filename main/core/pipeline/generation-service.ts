import type {
  CharacterId,
  GenerationEstimate,
  GenerationPreset,
  GenerationSettings,
  Job,
  GenerationPreferences,
  JobId,
  Stage,
  StageEstimate,
} from '../../../common/contract';
import { DatasetSums, sceneCountsSum, sumNow, type SceneCounts } from '../../store/dataset-sums';
import type { DatasetRepo } from '../../store/dataset-repo';
import type { Db } from '../../store/database';
import type { JobsRepo } from '../../store/jobs-repo';
import type { PreferencesRepo } from '../../store/preferences-repo';
import { formatUsd } from '../../../common/money';
import type { JobService } from '../jobs/job-service';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import type { ProviderService } from '../providers/provider-service';
import { OVERGENERATION, PAPER_RUN, planSceneCalls } from './planner';
import { applyPreset, describePlan, isPaper, MAX_TARGET_SCENES, protectiveWanted } from './presets';
import { PROFILE_EXCERPT_WORDS, type PromptBuilder } from './prompt-builder';
import { GenerationKind } from './stages/generation-kind';
import { estimateTime } from './estimate-time';

/**
 * Experience construction, the part a person sets up: settings and their estimate, and starting a
 * run. The run itself is a job of the generic engine (`GenerationKind` in stages/, registered here).
 * The stage prompts and the list of what the character cannot know have services of their own
 * (`PromptService`, `LimitsService`).
 */

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

export class GenerationService {
  constructor(
    private readonly db: Db,
    private readonly jobs: JobsRepo,
    private readonly dataset: DatasetRepo,
    /** The stages' prompts, shared with the limits and regeneration (whose rewrites use the same texts). */
    readonly promptBuilder: PromptBuilder,
    private readonly characters: CharacterService,
    private readonly providers: ProviderService,
    private readonly engine: JobService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    private readonly preferences: PreferencesRepo,
    /** Sums for the doors' requests (the estimate), read off this thread when the studio has a reader. */
    private readonly sums: DatasetSums = new DatasetSums(db, null),
  ) {
    engine.register(new GenerationKind(jobs, dataset, characters, promptBuilder, engine, events, clock, newId));
  }

  // ── settings and estimate ────────────────────────────────────────────────────────────────

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
    const chunks = this.promptBuilder.chunksOf(character.id);
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
    const prompt = (stage: Stage) => this.promptBuilder.promptFor(character.id, stage);
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
          settings.budgetUsd === null
            ? `No price is set for ${provider.model}; add it under Settings → Prices (CLI: providers price ${provider.model} …) to see the cost and use a budget.`
            : `No price is set for ${provider.model}, so the budget could not be kept: add its price under Settings → Prices, or clear the budget, to start.`,
        );
      }
    }
    const embedded = provider.kind === 'embedded';
    const time = estimateTime(
      stages,
      embedded ? 1 : provider.maxConcurrency,
      embedded ? 'embedded' : this.providers.isMetered(provider) ? 'hosted' : 'local',
      provider.model,
      this.jobs.callRecords.pace(provider.id, provider.model),
    );
    if (settings.budgetUsd !== null && costUsd !== null && costUsd > settings.budgetUsd) {
      warnings.push(
        `The estimate (${formatUsd(costUsd)}) is above the budget (${formatUsd(settings.budgetUsd)}): the job will pause when the budget is spent.`,
      );
    }
    return {
      // The plan's calls, scenes asked and protective scenes are this run's, as in `stages`: with
      // scenes already there, the whole target's (173 calls and 46 protective where the table said
      // 172 and 44) read as a mistake beside it.
      plan: { ...plan, sceneCalls, scenesAsked, protectiveScenes: protective },
      stages,
      calls,
      promptTokens,
      completionTokens,
      costUsd,
      seconds: time.seconds,
      timeBasis: time.basis,
      warnings,
      existingScenes: existing,
      targetScenes: settings.targetScenes,
      hasWork: calls > 0,
    };
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
    this.providers.assertBudgetCountable(settings.budgetUsd, [{ provider: this.providers.get(settings.providerId) }]);
    const unfinished = this.jobs.unfinishedFor(characterId, 'generation');
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
    // Stored as run: a preset's numbers, not what the form held.
    return this.engine.start(
      'generation',
      characterId,
      applyPreset(settings, this.promptBuilder.chunksOf(characterId)),
    );
  }

  /** Whether one of the character's jobs is running now (read from the rows, no job view built). */
  hasRunningJob(characterId: CharacterId): boolean {
    return this.engine.hasRunningJob(characterId);
  }

  /** Resolves when the job's current run ends (for the CLI and tests); any kind of job. */
  whenIdle(id: JobId): Promise<Job> {
    return this.engine.whenIdle(id);
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
