import type { Chunk, GenerationSettings, JobId, SceneId, Stage } from '../../../../common/contract';
import type { DatasetRepo } from '../../../store/dataset-repo';
import type { JobRow, JobsRepo } from '../../../store/jobs-repo';
import type { CharacterService } from '../../character-service';
import type { Clock, IdFactory } from '../../clock';
import type { EventBus } from '../../events';
import type { JobKind, KindView } from '../../jobs/job-kind';
import type { JobService } from '../../jobs/job-service';
import type { RunHandle } from '../../jobs/job-runner';
import { jobProgress } from '../job-view';
import { parseScenesJson, parseScenesText } from '../parse';
import { encodeSignature, type SceneDeduplicator } from '../parse-dedupe';
import { finishedNote, isPaper } from '../presets';
import { ItemProblem, LIMITS_WANTED, readExperience, type ItemInput, type PromptBuilder } from '../prompt-builder';
import { parseLimits } from '../parse-limits';
import { SCHEMAS } from '../prompts';
import { experienceItem, StageScheduler, type RunContext } from './scheduler';
import { emitDatasetChanged } from '../../dataset/changed';

/**
 * Experience construction as a job of the generic engine: limits → scenes → experiences →
 * protective scenes, scheduled by `StageScheduler`; this file says what one item does.
 *
 * Durability: every unit of work is a `job_items` row with a key unique within the job, planned
 * with INSERT OR IGNORE. An item's output and its `done` mark are written in one transaction (shared
 * with other items' through `JobService.writes`; its progress is told once it has committed), so a
 * crash leaves either nothing or the whole output; items still `pending` simply run again. Scenes
 * carry (item_id, ordinal) unique and are capped at the target inside that transaction, so the
 * final count is exact however often the process dies.
 */
export class GenerationKind implements JobKind {
  readonly name = 'generation';
  readonly resumable = true;
  private readonly scheduler: StageScheduler;

  constructor(
    private readonly jobs: JobsRepo,
    private readonly dataset: DatasetRepo,
    private readonly characters: CharacterService,
    private readonly prompts: PromptBuilder,
    private readonly engine: JobService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {
    this.scheduler = new StageScheduler(jobs, dataset, prompts, engine, clock, newId);
  }

  async run(id: JobId, run: RunHandle): Promise<string | null> {
    const row = this.jobs.job(id)!;
    const settings = JSON.parse(row.settings) as GenerationSettings;
    const character = this.characters.get(row.character_id);
    const ctx: RunContext = { id, run, settings, character, ...this.engine.calls.llmFor(id, run, settings.providerId) };
    await this.scheduler.run(ctx, (stage, itemId, input, dedupe) => this.runItem(ctx, stage, itemId, input, dedupe));
    return finishedNote(settings, this.dataset.countCharacterScenes(character.id, false));
  }

  /**
   * The job's figures, from its row alone (its triggers keep them with every write, this job's or
   * not: a scene deleted in review mid-run shows at the next event): no count over items or scenes.
   */
  view(row: JobRow): KindView {
    const settings = JSON.parse(row.settings) as GenerationSettings;
    return {
      kind: 'generation',
      settings,
      ...jobProgress(row, this.paperChunkCount(row, settings), settings),
    };
  }

  /**
   * The chunk count progress needs for a paper-plan job (one protective scene per chunk), else 0.
   * Read from the character's stored count: this runs on every progress event.
   */
  private paperChunkCount(row: JobRow, settings: GenerationSettings): number {
    return isPaper(settings) ? this.characters.get(row.character_id).chunkCount : 0;
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
      // The scene an experience is written for, read once for the check and the prompt.
      const scene = stage === 'experiences' ? this.dataset.promptScene(input.sceneId as SceneId) : undefined;
      if (stage === 'experiences' && !scene?.needsExperience) {
        // Another run (an earlier, resumed one) completed this scene meanwhile, or it was rejected
        // or deleted in review since it was planned: nothing to send.
        this.jobs.items.completeItem(itemId, null, this.clock.now());
        return;
      }
      const structured = ctx.structured;
      const { messages, prompt } = this.prompts.messagesFor(
        ctx.character,
        stage,
        input,
        structured,
        ctx.settings.scenesPerCall,
        scene,
      );
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
        await this.engine.writes.write(() => {
          this.dataset.replaceLimits(
            ctx.character.id,
            texts
              .slice(0, LIMITS_WANTED)
              .map((text) => ({ id: this.newId(), text, source: 'generated' as const, callId })),
            now,
          );
          this.jobs.items.completeItem(itemId, callId, now);
          // Committed on the next turn: the protective scenes wait on the limits.
        }, 0);
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
        // The scenes this answer added, for the event (a write that rolls back adds none).
        const added: SceneId[] = [];
        // Scenes the deduplicator knew before this write's last run: it forgets this write's if undone.
        let known = 0;
        await this.engine.writes.write(
          () => {
            known = dedupe?.size ?? 0;
            let room = ctx.settings.targetScenes - this.dataset.countCharacterScenes(ctx.character.id, false);
            // Each kept scene's experience item is planned with it: a crash leaves both or neither, and
            // the scheduler can send it while other scene calls are still out.
            const experiences: ReturnType<typeof experienceItem>[] = [];
            added.length = 0;
            parsed.items.forEach((scene, ordinal) => {
              if (room <= 0) return;
              const verdict = dedupe?.add(scene);
              if (verdict && verdict.duplicateOf !== null) return;
              const sceneId = this.newId() as SceneId;
              added.push(sceneId);
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
                  dedupeSignature: verdict && encodeSignature(verdict.signature, dedupe?.shingleSize),
                },
                now,
              );
              room--;
            });
            this.jobs.items.planItems(ctx.id, experiences, now);
            this.jobs.items.completeItem(itemId, callId, now, unreadNote(parsed));
            // Committed on the next turn: the experiences it planned cannot be sent before.
          },
          0,
          () => dedupe?.truncate(known),
        );
        emitDatasetChanged(this.events, ctx.character.id, added);
      } else {
        const experience = readExperience(result.text, result.finishReason, structured, {
          character: ctx.character,
          maxTokens: ctx.settings.maxTokens,
          stranger: input.stranger,
        });
        // Nothing waits on an experience: it shares the batch's window while other calls are out,
        // and the last answers commit at once.
        const within = ctx.gateway.busy ? undefined : 0;
        const sceneId = await this.engine.writes.write(() => {
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
          this.jobs.items.completeItem(itemId, callId, now);
          return sceneId!;
        }, within);
        emitDatasetChanged(this.events, ctx.character.id, [sceneId]);
      }
    } catch (error) {
      if (ctx.run.controller.signal.aborted) return;
      this.engine.itemFailed(ctx.run, itemId, error, callId);
    } finally {
      this.engine.progressed(ctx.id, false);
    }
  }
}

/** What a scenes answer held that could not be read as scenes, said on the item (null: nothing). */
function unreadNote(parsed: { items: unknown[]; problems: { reason: string }[] }): string | null {
  const unread = parsed.problems.length;
  if (unread === 0) return null;
  const more = unread > 1 ? ` (and ${unread - 1} more)` : '';
  return `${unread} of ${parsed.items.length + unread} scene blocks could not be read and were left out: ${parsed.problems[0]!.reason}${more}. The whole answer is on record with its call.`;
}
