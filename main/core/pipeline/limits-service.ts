import type { Character, CharacterId, KnowledgeLimit, ProviderId } from '../../../common/contract';
import type { DatasetRepo } from '../../store/dataset-repo';
import type { Db } from '../../store/database';
import type { JobsRepo } from '../../store/jobs-repo';
import { callRow, startedRow } from '../jobs/call-log';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { LlmGateway } from '../llm/gateway';
import type { ProviderService } from '../providers/provider-service';
import { parseLimits } from './parse-limits';
import { LIMITS_WANTED, type PromptBuilder } from './prompt-builder';
import { fill, SCHEMAS } from './prompts';

/**
 * The list of what a character cannot know (the paper's protective scenes are built on it): read,
 * written by hand, or asked of a provider in one LLM call on record (linked to no job). Every change
 * replaces the whole list and is told as `limits/changed`.
 */
export class LimitsService {
  constructor(
    private readonly db: Db,
    private readonly jobs: JobsRepo,
    private readonly dataset: DatasetRepo,
    /** The character, refused with `not_found` when there is none. */
    private readonly character: (id: CharacterId) => Character,
    private readonly providers: ProviderService,
    private readonly promptBuilder: PromptBuilder,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {}

  list(characterId: CharacterId): KnowledgeLimit[] {
    this.character(characterId);
    return this.dataset.limits(characterId);
  }

  /** Asks the provider for a list of what the character cannot know and replaces the saved list. */
  async generate(characterId: CharacterId, providerId: ProviderId): Promise<KnowledgeLimit[]> {
    const character = this.character(characterId);
    if (this.promptBuilder.chunksOf(characterId).length === 0) {
      throw new StudioFailure(
        'invalid_argument',
        `${character.fullName} has no profile yet. Add one on the Profile tab first.`,
      );
    }
    const provider = this.providers.get(providerId);
    const llm = this.providers.instance(providerId);
    const structured = provider.structuredOutput && llm.capabilities.jsonSchema;
    const prompt = this.promptBuilder.promptFor(characterId, 'limits');
    const values = { ...this.promptBuilder.baseValues(character, 'limits', structured), count: String(LIMITS_WANTED) };
    const gateway = new LlmGateway(llm, {
      maxConcurrency: 1,
      timeoutMs: provider.timeoutMs,
      maxAttempts: 3,
      prices: this.providers.pricesFor(provider),
      onStart: (record) => this.jobs.callRecords.start(startedRow(null, record)),
      onCall: (record) => this.jobs.callRecords.finish(callRow(null, record)),
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

  /** Replaces the list with the user's (trimmed, blanks and repeats dropped; an unchanged line keeps its id and source). */
  save(characterId: CharacterId, texts: readonly string[]): KnowledgeLimit[] {
    this.character(characterId);
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
}
