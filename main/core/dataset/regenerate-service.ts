import type {
  Character,
  JobId,
  RegenerateJob,
  RegenerateRequest,
  RegenerateSettings,
  Scene,
  SceneDoc,
  SceneId,
} from '../../../common/contract';
import type { Db } from '../../store/database';
import type { JobRow, JobsRepo } from '../../store/jobs-repo';
import { sceneWhere, type SceneWhere } from '../../store/scene-filter';
import { ReviewRepo } from '../../store/review-repo';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { drainItems } from '../jobs/item-pump';
import type { JobKind, KindView } from '../jobs/job-kind';
import type { JobLlm } from '../jobs/job-calls';
import type { JobService } from '../jobs/job-service';
import type { RunHandle } from '../jobs/job-runner';
import type { GenerationService } from '../pipeline/generation-service';
import { ItemProblem, readExperience } from '../pipeline/prompt-builder';
import { SCHEMAS } from '../pipeline/prompts';
import { experienceMessages, readTurn, REGENERATE_VERSION, turnMessages, turnSchema } from './regenerate-prompts';
import { docOf, type SceneService } from './scene-service';
import { emitDatasetChanged } from './changed';

/** Every regenerate item writes a scene's experience: shown as that stage on the job card. */
const STAGE = 'experiences' as const;
/** Characters of an instruction: a sentence or a paragraph, not a document. */
export const MAX_INSTRUCTION_CHARS = 2_000;
/** Tokens asked for one rewritten turn (a turn is a paragraph or two). */
const TURN_MAX_TOKENS = 800;

interface ItemInput {
  sceneId: SceneId;
}

/**
 * Rewriting scenes with a written instruction ("make him angrier"): a `regenerate` job of the
 * generic engine with one item per scene, so one scene from the editor and every result of a filter
 * from the review bar are the same job. Each answer goes through the LLM gateway (a recorded call)
 * and becomes a new revision of the scene (author `llm`), never an overwrite: when the scene moved
 * while the call was out, the answer is kept as a proposal instead (see `SceneService.storeRegeneration`).
 */
export class RegenerateService implements JobKind {
  readonly name = 'regenerate';
  readonly resumable = true;

  constructor(
    private readonly db: Db,
    private readonly jobs: JobsRepo,
    private readonly characters: CharacterService,
    private readonly generation: GenerationService,
    private readonly scenes: SceneService,
    private readonly engine: JobService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {
    engine.register(this);
  }

  /** Checks the request, plans one item per scene and starts the job. */
  start(request: RegenerateRequest): RegenerateJob {
    const character = this.characters.get(request.characterId);
    const instruction = request.instruction.trim().replace(/\s+/g, ' ');
    if (instruction === '')
      throw new StudioFailure(
        'invalid_argument',
        'Write what should change ("make him angrier", "he has not met Goethe yet"); the instruction is empty.',
      );
    if (instruction.length > MAX_INSTRUCTION_CHARS)
      throw new StudioFailure(
        'invalid_argument',
        `The instruction is ${instruction.length.toLocaleString('en-US')} characters; keep it under ${MAX_INSTRUCTION_CHARS.toLocaleString('en-US')}.`,
      );
    if ((request.ids === undefined) === (request.filter === undefined))
      throw new StudioFailure('invalid_argument', 'Name the scenes (ids) or give a filter, not both and not neither.');
    const turn = request.turn ?? null;
    if (turn !== null) this.checkTurn(request, turn);
    const defaults = this.generation.defaults(character.id);
    const settings: RegenerateSettings = {
      providerId: this.providerOf(request, character),
      instruction,
      turn,
      temperature: defaults.temperature,
      maxTokens: turn === null ? defaults.maxTokens : Math.min(defaults.maxTokens, TURN_MAX_TOKENS),
      budgetUsd: null,
    };
    const where: SceneWhere = request.ids
      ? ReviewRepo.idsWhere(character.id, request.ids)
      : sceneWhere(character.id, request.filter ?? {});
    // Planned with the job row in one transaction: nothing to rewrite leaves no job behind.
    const job = this.engine.startWithItems('regenerate', character.id, settings, (id) => {
      if (this.jobs.items.planSceneItems(id, STAGE, 'regenerate:', where, this.clock.now()) === 0)
        throw new StudioFailure(
          'not_found',
          request.ids
            ? 'None of those scenes exists any more; refresh the list and select again.'
            : 'No scene matches this filter, so nothing was started.',
        );
    });
    return job as RegenerateJob;
  }

  async run(id: JobId, run: RunHandle): Promise<string | null> {
    const row = this.jobs.job(id)!;
    const settings = JSON.parse(row.settings) as RegenerateSettings;
    const character = this.characters.get(row.character_id);
    const llm = this.engine.calls.llmFor(id, run, settings.providerId);
    await drainItems(this.jobs, id, STAGE, llm.window, run.controller.signal, (item) =>
      this.runItem(id, run, llm, character, settings, item.id, JSON.parse(item.input) as ItemInput),
    );
    this.jobs.setStage(id, null, this.clock.now());
    const kept = this.scenes.proposalsOfJob(id);
    return kept === 0
      ? null
      : `${kept} scene${kept === 1 ? ' was' : 's were'} changed while the rewrite was out: ${kept === 1 ? 'its rewrite is' : 'their rewrites are'} kept as proposals in History, nothing was overwritten.`;
  }

  view(row: JobRow): KindView {
    const settings = JSON.parse(row.settings) as RegenerateSettings;
    const c = this.jobs.countItems(row.id, STAGE);
    const total = c.pending + c.done + c.failed;
    return {
      kind: 'regenerate',
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
    llm: JobLlm,
    character: Character,
    settings: RegenerateSettings,
    itemId: string,
    input: ItemInput,
  ): Promise<void> {
    const callId = this.newId();
    try {
      const opened = this.sceneOf(input.sceneId);
      if (!opened) {
        this.jobs.items.completeItem(itemId, null, this.clock.now(), 'its scene was deleted: nothing to rewrite');
        return;
      }
      const { scene, doc, revision } = opened;
      if (this.jobs.job(jobId)?.stage !== STAGE) this.jobs.setStage(jobId, STAGE, this.clock.now());
      const stage = scene.protective ? 'protective' : 'experiences';
      const base = this.generation.promptBuilder.messagesFor(
        character,
        stage,
        { sceneId: scene.id, ...(scene.protective && { limit: scene.limit ?? '', stranger: scene.people[0] }) },
        llm.structured,
        1,
      );
      const oneTurn = settings.turn;
      if (oneTurn !== null && doc.turns[oneTurn] === undefined)
        throw new ItemProblem(`the scene has no turn ${oneTurn + 1} any more (it has ${doc.turns.length})`);
      const messages =
        oneTurn === null
          ? experienceMessages(base.messages, doc, settings.instruction, llm.structured)
          : turnMessages(base.messages, doc, oneTurn, settings.instruction, llm.structured);
      const result = await llm.gateway.complete(
        {
          messages,
          temperature: settings.temperature,
          maxTokens: settings.maxTokens,
          ...(llm.structured && { jsonSchema: oneTurn === null ? SCHEMAS[stage] : turnSchema() }),
        },
        { signal: run.controller.signal, callId, tag: itemId },
      );
      // A cancelled or paused job writes nothing: the scene stays as it was.
      if (run.controller.signal.aborted) return;
      run.outageStreak = 0;
      const rewritten = this.rewrite(
        doc,
        oneTurn,
        result.text,
        result.finishReason,
        llm.structured,
        character,
        settings,
      );
      const stored = this.db.transaction(() => {
        const outcome = this.scenes.storeRegeneration({
          id: this.newId(),
          sceneId: scene.id,
          baseRevision: revision,
          doc: rewritten,
          jobId,
          callId,
          promptVersion: `${base.prompt.version}+regenerate@${REGENERATE_VERSION}`,
          instruction: settings.instruction,
          turn: oneTurn,
        });
        const note =
          'proposalId' in outcome
            ? `scene ${scene.id} changed while the rewrite was out (revision ${revision} → ${this.scenes.open(scene.id).revision}); the rewrite is kept as a proposal in its History`
            : null;
        this.jobs.items.completeItem(itemId, callId, this.clock.now(), note);
        return outcome;
      })();
      emitDatasetChanged(this.events, character.id, [scene.id]);
      this.events.emit('scenes/regenerated', {
        characterId: character.id,
        sceneId: scene.id,
        jobId,
        revision: 'revision' in stored ? stored.revision : null,
        proposalId: 'proposalId' in stored ? stored.proposalId : null,
      });
    } catch (error) {
      if (run.controller.signal.aborted) return;
      this.engine.itemFailed(run, itemId, error, callId);
    } finally {
      this.engine.progressed(jobId, false);
    }
  }

  /** The scene's document with the answer in place: the whole experience, or one turn. */
  private rewrite(
    doc: SceneDoc,
    turn: number | null,
    text: string,
    finishReason: string,
    structured: boolean,
    character: Character,
    settings: RegenerateSettings,
  ): SceneDoc {
    if (turn !== null) {
      if (finishReason === 'length')
        throw new ItemProblem(`the answer was cut off at the token limit (${settings.maxTokens})`);
      const turns = doc.turns.slice();
      turns[turn] = readTurn(text, structured, character.shortName);
      return { ...doc, turns };
    }
    const experience = readExperience(text, finishReason, structured, { character, maxTokens: settings.maxTokens });
    return { ...doc, experienceBackground: experience.background, turns: experience.turns };
  }

  private sceneOf(id: SceneId): { scene: Scene; doc: SceneDoc; revision: number } | null {
    try {
      const opened = this.scenes.open(id);
      return { scene: opened.scene, doc: docOf(opened.scene), revision: opened.revision };
    } catch (error) {
      if (error instanceof StudioFailure && error.code === 'not_found') return null;
      throw error;
    }
  }

  private checkTurn(request: RegenerateRequest, turn: number): void {
    if (request.ids?.length !== 1)
      throw new StudioFailure('invalid_argument', 'One turn is rewritten in one scene: name exactly one scene.');
    const { doc } = this.scenes.open(request.ids[0]!);
    if (doc.turns.length === 0)
      throw new StudioFailure(
        'invalid_argument',
        'This scene has no experience yet, so it has no turn to rewrite: regenerate the whole experience instead.',
      );
    if (!Number.isInteger(turn) || turn < 0 || turn >= doc.turns.length)
      throw new StudioFailure(
        'invalid_argument',
        `There is no turn ${turn + 1}: the scene has turns 1 to ${doc.turns.length}.`,
      );
  }

  /** The provider asked for, else the one the character's last job used. */
  private providerOf(request: RegenerateRequest, character: Character): RegenerateSettings['providerId'] {
    const last = this.jobs.latestFor(character.id);
    const id =
      request.providerId ?? (last ? (JSON.parse(last.settings) as { providerId?: string }).providerId : undefined);
    if (!id)
      throw new StudioFailure(
        'invalid_argument',
        `${character.shortName} has no earlier job to take a provider from: choose the provider to call.`,
      );
    return this.engine.calls.provider(id as RegenerateSettings['providerId']).id;
  }
}
