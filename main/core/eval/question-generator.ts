import type {
  CharacterId,
  ProviderId,
  QuestionDraft,
  QuestionGenerateRequest,
  QuestionMode,
  QuestionSetDetail,
  TopicId,
} from '../../../common/contract';
import type { JobsRepo } from '../../store/jobs-repo';
import type { IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import { defaultProvider } from './default-provider';
import { callRow, startedRow } from '../jobs/call-log';
import { LlmGateway } from '../llm/gateway';
import type { LlmProvider } from '../llm/types';
import { extractJson } from '../pipeline/parse-json';
import type { ProviderService } from '../providers/provider-service';
import type { CharacterService } from '../character-service';
import { GENERATED_TOPICS, probeDrafts, QUESTIONS_PROMPT_VERSION, questionMessages, TOPICS } from './eval-prompts';
import type { ProfileText } from './profile-text';
import type { QuestionService } from './question-service';

/** Words of the profile a generation shows: enough for facts across a life, not a whole book. */
const PROFILE_WORDS = 3_000;
export const DEFAULT_PER_TOPIC = 10;
const MAX_PER_TOPIC = 100;

/**
 * Writes a question set from the profile: one recorded call per topic and mode through the LLM
 * gateway (our prompt, `QUESTIONS_PROMPT_VERSION`), plus the five anachronism probes every character
 * shares. All calls or nothing: a topic whose answer holds no question fails the generation with
 * its reason (the calls stay on record), and no half set is saved.
 */
export class QuestionGenerator {
  constructor(
    private readonly characters: CharacterService,
    private readonly providers: ProviderService,
    private readonly jobs: JobsRepo,
    private readonly profile: ProfileText,
    private readonly questions: QuestionService,
    private readonly newId: IdFactory,
  ) {}

  async generate(request: QuestionGenerateRequest): Promise<QuestionSetDetail> {
    const character = this.characters.get(request.characterId);
    const perTopic = count(request.perTopic ?? DEFAULT_PER_TOPIC, 'perTopic');
    const goals = count(request.goalsPerTopic ?? 0, 'goalsPerTopic');
    if (perTopic + goals === 0)
      throw new StudioFailure('invalid_argument', 'Ask for at least one question or goal per topic.');
    const profile = this.profile.excerpt(character.id, PROFILE_WORDS);
    if (profile === '')
      throw new StudioFailure(
        'invalid_argument',
        `${character.fullName} has no profile yet: questions are written from it. Add one on the Profile tab first.`,
      );
    const providerId = this.providerOf(request.characterId, request.providerId);
    const provider = this.providers.get(providerId);
    const model = request.model?.trim() || provider.model;
    const llm: LlmProvider = this.providers.instanceFor(provider.id, model);
    const gateway = new LlmGateway(llm, {
      maxConcurrency: Math.max(1, provider.kind === 'embedded' ? 1 : provider.maxConcurrency),
      timeoutMs: provider.timeoutMs,
      maxAttempts: 3,
      prices: this.providers.pricesFor(provider),
      onStart: (record) => this.jobs.callRecords.start(startedRow(null, record)),
      onCall: (record) => this.jobs.callRecords.finish(callRow(null, record)),
    });
    const asks: { topicId: TopicId; mode: QuestionMode; n: number }[] = [];
    for (const topicId of GENERATED_TOPICS) {
      if (perTopic > 0) asks.push({ topicId, mode: 'single', n: perTopic });
      if (goals > 0) asks.push({ topicId, mode: 'multi', n: goals });
    }
    const callIds: string[] = [];
    const answers = await Promise.all(
      asks.map(async (ask) => {
        const callId = this.newId();
        callIds.push(callId);
        try {
          const result = await gateway.complete(
            {
              messages: questionMessages(character, profile, ask.topicId, ask.mode, ask.n),
              temperature: 0.7,
              maxTokens: Math.min(8_000, 200 + ask.n * 80),
            },
            { callId, tag: `questions:${ask.topicId}:${ask.mode}` },
          );
          return { ask, texts: readQuestions(result.text, ask.n) };
        } catch (error) {
          throw new StudioFailure(
            'unavailable',
            `Writing ${ask.mode === 'multi' ? 'goals' : 'questions'} on ${TOPICS[ask.topicId]} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }),
    );
    // Single-turn questions by topic, the shared probes, then the multi-turn goals by topic.
    const drafts: QuestionDraft[] = [];
    for (const mode of ['single', 'multi'] as const) {
      for (const { ask, texts } of answers)
        if (ask.mode === mode)
          for (const text of texts) drafts.push({ topicId: ask.topicId, topic: TOPICS[ask.topicId]!, text, mode });
      if (mode === 'single' && perTopic > 0) drafts.push(...probeDrafts());
    }
    const name = request.name?.trim() || `Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    return this.questions.insert(
      character.id,
      { name, origin: 'generated', source: `${provider.name} · ${model} · ${QUESTIONS_PROMPT_VERSION}`, callIds },
      drafts,
      `generated ${drafts.length} from the profile (${QUESTIONS_PROMPT_VERSION})`,
    );
  }

  private providerOf(characterId: CharacterId, asked: ProviderId | undefined): ProviderId {
    const id =
      asked ?? defaultProvider(this.jobs, () => this.providers.list(), characterId, 'to write the questions with');
    return this.providers.get(id).id;
  }
}

function count(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_PER_TOPIC)
    throw new StudioFailure('invalid_argument', `${name} must be a whole number from 0 to ${MAX_PER_TOPIC}; got ${n}.`);
  return n;
}

/**
 * The questions of one answer: `{"questions": [...]}` or a bare list of strings, in fences or with
 * prose around; without JSON, each list item or line ending in "?" (numbering and bullets removed).
 * Duplicates are dropped, at most `n` kept; none at all is a failure naming what came back.
 */
export function readQuestions(text: string, n: number): string[] {
  const json = extractJson(text);
  let items: unknown[] | null = null;
  if (json.ok) {
    const v = json.value;
    if (Array.isArray(v)) items = v;
    else if (v && typeof v === 'object' && Array.isArray((v as Record<string, unknown>)['questions']))
      items = (v as Record<string, unknown[]>)['questions']!;
  }
  const raw =
    items !== null
      ? items.map((x) =>
          typeof x === 'string' ? x : typeof x === 'object' && x ? String(Object.values(x)[0] ?? '') : '',
        )
      : text
          .split('\n')
          // Without JSON only list items and questions count: prose around them is not a question.
          .filter((line) => /^\s*(?:[-*•]|\d+[.)])\s+\S/.test(line) || /\?\s*$/.test(line))
          .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, ''));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of raw) {
    const q = r.trim().replace(/\s+/g, ' ');
    if (q === '' || q.length > 1_000 || seen.has(q.toLowerCase())) continue;
    seen.add(q.toLowerCase());
    out.push(q);
    if (out.length === n) break;
  }
  if (out.length === 0)
    throw new StudioFailure('unavailable', `the answer held no question (it began: "${text.slice(0, 80)}")`);
  return out;
}
