import type { Character, CharacterId, Chunk, FormatProblem, SceneId, Stage } from '../../../common/contract';
import type { DatasetRepo, PromptScene } from '../../store/dataset-repo';
import type { ProfilesRepo } from '../../store/profiles-repo';
import type { PromptsRepo } from '../../store/prompts-repo';
import type { ChatMessage } from '../llm/types';
import { formatProblems, parseExperienceJson, parseExperienceText, type ParsedExperience } from './parse';
import { BUILTIN_PROMPTS, BUILTIN_VERSION, fill, FORMAT_INSTRUCTIONS, PLACEHOLDERS, type PromptPair } from './prompts';

/** Items of the limits stage ask for this many things the character cannot know. */
export const LIMITS_WANTED = 30;
/** Words of the profile a prompt shows where it has no chunk of its own (protective, hand-written scenes). */
export const PROFILE_EXCERPT_WORDS = 400;

/** A bad answer or a lost input: counted as a failed attempt of the item, with this reason. */
export class ItemProblem extends Error {}

/** What an item of a stage reads from its `job_items.input`. */
export interface ItemInput {
  chunkId?: string;
  count?: number;
  sceneId?: string;
  limit?: string;
  stranger?: string;
}

export type ChatMessages = ChatMessage[];

/**
 * The pipeline's prompts filled for one character: the stage's template (the character's custom
 * version, else the built-in one, with the version each call records), and the texts it shows
 * (a profile chunk, an excerpt, a scene). Shared by generation, the estimate and regeneration.
 */
export class PromptBuilder {
  /**
   * Each character's stage prompt as last read, with the state of the prompts it was read at
   * (`PromptsRepo.state`): a job asks for it on every item, and it changes only when the
   * user edits it, which moves that state.
   */
  private readonly prompts = new Map<string, { state: string; prompt: PromptPair & { version: string } }>();

  constructor(
    private readonly dataset: DatasetRepo,
    private readonly profiles: ProfilesRepo,
    private readonly customPrompts: PromptsRepo,
  ) {}

  promptFor(characterId: CharacterId, stage: Stage): PromptPair & { version: string } {
    const key = `${characterId}:${stage}`;
    const state = this.customPrompts.state();
    const known = this.prompts.get(key);
    if (known?.state === state) return known.prompt;
    const custom = this.customPrompts.latest(characterId, stage);
    const prompt = custom?.active
      ? { system: custom.system, template: custom.template, version: `custom@${custom.version}` }
      : { ...BUILTIN_PROMPTS[stage], version: `builtin@${BUILTIN_VERSION}` };
    this.prompts.set(key, { state, prompt });
    return prompt;
  }

  baseValues(character: Character, stage: Stage, structured: boolean): Record<string, string> {
    return {
      character: character.fullName,
      short: character.shortName,
      era: character.era || 'unknown dates',
      format: FORMAT_INSTRUCTIONS[stage][structured ? 'json' : 'text'],
      // Only the stages whose prompt shows the profile pay for reading it.
      ...(PLACEHOLDERS[stage].includes('profile') && { profile: this.profileExcerpt(character.id) }),
    };
  }

  /**
   * The messages of one item of `stage`: the system message (when the prompt has one) and the
   * filled template. `scenesPerCall` is what a scenes item asks for when its input says no count;
   * `scene`, the experience's scene when the caller has read it already (else it is read here).
   */
  messagesFor(
    character: Character,
    stage: Stage,
    input: ItemInput,
    structured: boolean,
    scenesPerCall: number,
    scene?: PromptScene,
  ): { messages: ChatMessages; prompt: { version: string } } {
    const prompt = this.promptFor(character.id, stage);
    const values = this.baseValues(character, stage, structured);
    if (stage === 'limits') values.count = String(LIMITS_WANTED);
    if (stage === 'scenes') {
      values.chunk = this.chunkText(input.chunkId);
      values.count = String(input.count ?? scenesPerCall);
    }
    if (stage === 'experiences') {
      scene ??= this.dataset.promptScene(input.sceneId as SceneId);
      if (!scene) throw new ItemProblem('its scene was deleted');
      Object.assign(values, {
        // A scene with no chunk (written by hand, imported, or its chunk deleted, which clears the
        // link) is written from the profile; only a chunk named but gone meanwhile fails the item.
        chunk: scene.chunkId === null ? this.profileExcerpt(character.id) : this.chunkText(scene.chunkId),
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
    const messages: ChatMessages = [
      ...(prompt.system ? [{ role: 'system' as const, content: fill(prompt.system, values) }] : []),
      { role: 'user' as const, content: fill(prompt.template, values) },
    ];
    return { messages, prompt };
  }

  chunksOf(characterId: CharacterId): Chunk[] {
    return this.profiles.listForCharacter(characterId).flatMap((p) => p.chunks);
  }

  chunkText(chunkId: string | undefined): string {
    const text = chunkId ? this.profiles.chunkText(chunkId as Chunk['id']) : undefined;
    if (text === undefined)
      throw new ItemProblem('its profile chunk was deleted or merged; retry to use the current profile');
    return text;
  }

  /** The profile's first `PROFILE_EXCERPT_WORDS` words: read per item, so only the chunks it shows are read. */
  profileExcerpt(characterId: CharacterId): string {
    const words: string[] = [];
    for (const text of this.profiles.chunkTexts(characterId)) {
      for (const word of text.split(/\s+/)) {
        if (words.length >= PROFILE_EXCERPT_WORDS) return words.join(' ') + ' …';
        words.push(word);
      }
    }
    return words.join(' ');
  }
}

/**
 * Reads an experience answer and holds it to the method: a transcript cut at the token limit, one
 * where the character never speaks or thinks, or (protective) where nobody presses them, is an
 * `ItemProblem`. What did not fit the format is kept as problems, so the Dataset tab can show it.
 */
export function readExperience(
  text: string,
  finishReason: string,
  structured: boolean,
  who: { character: Character; maxTokens: number; stranger?: string | undefined },
): ParsedExperience & { problems: FormatProblem[] } {
  const options = { character: who.character.shortName, aliases: [who.character.fullName], finishReason };
  const parsed = structured ? parseExperienceJson(text, options) : parseExperienceText(text, options);
  const experience = parsed.items[0];
  if (!experience)
    throw new ItemProblem(`the interaction could not be read (${parsed.problems[0]?.reason ?? 'empty answer'})`);
  if (experience.truncated || finishReason === 'length') {
    throw new ItemProblem(
      `the answer was cut off at the token limit (${who.maxTokens}); raise "Max tokens" if this repeats`,
    );
  }
  const short = who.character.shortName.toLowerCase();
  if (!experience.turns.some((t) => t.speaker.toLowerCase() === short && t.kind !== 'action')) {
    throw new ItemProblem(`${who.character.shortName} never speaks or thinks in the answer`);
  }
  if (who.stranger && !experience.turns.some((t) => t.speaker.toLowerCase() !== short)) {
    throw new ItemProblem('nobody presses the character in the answer');
  }
  return { ...experience, problems: formatProblems(parsed.problems) };
}
