import type { Character, GenerationSettings, JobId, SceneId, Stage } from '../../../../common/contract';
import type { DatasetRepo } from '../../../store/dataset-repo';
import type { JobsRepo } from '../../../store/jobs-repo';
import type { Clock, IdFactory } from '../../clock';
import { StudioFailure } from '../../errors';
import type { JobLlm } from '../../jobs/job-calls';
import type { JobService } from '../../jobs/job-service';
import type { RunHandle } from '../../jobs/job-runner';
import { TaskSet } from '../../jobs/task-set';
import { SceneDeduplicator, decodeSignature, encodeSignature, sceneSignature, signatureTag } from '../parse-dedupe';
import { hashString, OVERGENERATION, planSceneCalls } from '../planner';
import { isPaper, planScenes, protectiveWanted, topsUpScenes, wantsProtective } from '../presets';
import type { ItemInput, PromptBuilder } from '../prompt-builder';
import { STRANGER_NAMES } from '../prompts';
import { nextTurn } from '../../time-slices';

/**
 * The generation job's scheduler: which items exist (planning, idempotent by key) and which are
 * sent next, within a window of items in flight. What one item does is `RunItem`'s (see
 * generation-kind.ts).
 */

export const STAGES: readonly Stage[] = ['limits', 'scenes', 'experiences', 'protective'];
const MAX_TOPUP_ROUNDS = 6;
/**
 * Scenes read into the near-duplicate index between two turns of the event loop: ~5 ms when their
 * signatures are stored, ~10 ms a page when they must be computed (50 µs a scene).
 */
const DEDUPE_PAGE = 200;

export interface RunContext extends JobLlm {
  id: JobId;
  run: RunHandle;
  settings: GenerationSettings;
  character: Character;
}

/** Sends one item and writes its output; never throws (a failure is recorded on the item). */
export type RunItem = (
  stage: Stage,
  itemId: string,
  input: ItemInput,
  dedupe: SceneDeduplicator | null,
) => Promise<void>;

/** What the scheduler of one run keeps between pumps (see `run`). */
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
}

/** The work item that writes the experience of one scene (its key makes planning it idempotent). */
export function experienceItem(
  id: string,
  sceneId: SceneId,
): { id: string; stage: Stage; key: string; input: ItemInput } {
  return { id, stage: 'experiences', key: `experience:${sceneId}`, input: { sceneId } };
}

export class StageScheduler {
  constructor(
    private readonly jobs: JobsRepo,
    private readonly dataset: DatasetRepo,
    private readonly prompts: PromptBuilder,
    private readonly engine: JobService,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {}

  /**
   * Runs the stages overlapped, within one window of `ctx.window` items in flight (twice the
   * provider's concurrency, so the gateway always has the next call queued). Items are issued in
   * stage order (limits, scenes, experiences, protective), so the calls that unlock others go
   * first: an experience item exists as soon as its scene row does (planned in the scene's own
   * transaction) and is sent while other scene calls are still out; protective scenes are planned
   * as soon as the limits exist, for the share of the scenes there are, and run beside the
   * experiences. Returns when nothing is in flight and nothing more can be issued, or on abort.
   */
  async run(ctx: RunContext, runItem: RunItem): Promise<void> {
    this.plan(ctx, 'limits');
    this.plan(ctx, 'scenes');
    this.plan(ctx, 'experiences'); // scenes of earlier runs still without their experience
    const inFlight = new Map<string, { stage: Stage; count: number }>();
    const busy = new Set<string>();
    const tasks = new TaskSet();
    const state: SchedulerState = {
      dedupe: null,
      scenesSettled: false,
      protectiveFor: -1,
      stage: undefined,
      cursor: {},
      dry: new Set(),
      outputs: 0,
      outputsSeen: -1,
    };
    const start = (stage: Stage, item: { id: string; input: string }): void => {
      const input = JSON.parse(item.input) as ItemInput;
      inFlight.set(item.id, { stage, count: input.count ?? 0 });
      busy.add(item.id);
      tasks.add(
        runItem(stage, item.id, input, stage === 'scenes' ? state.dedupe : null).finally(() => {
          inFlight.delete(item.id);
          busy.delete(item.id);
          // A failed attempt leaves the item pending; a scene item plans experiences.
          state.dry.delete(stage);
          if (stage === 'scenes') state.dry.delete('experiences');
          if (stage === 'scenes' || stage === 'limits') state.outputs++;
        }),
      );
    };
    const pump = (): void => {
      if (ctx.run.controller.signal.aborted) return;
      this.settleScenes(ctx, state, inFlight);
      this.planProtective(ctx, state);
      for (const stage of STAGES) {
        for (;;) {
          const free = ctx.window - inFlight.size;
          if (free <= 0 || ctx.run.controller.signal.aborted) break;
          if (stage === 'scenes' && (state.scenesSettled || this.scenesEnough(ctx, inFlight))) break;
          const items = this.nextItems(ctx, stage, stage === 'scenes' ? 1 : free, busy, state);
          if (items.length === 0) break;
          for (const item of items) start(stage, item);
        }
      }
      this.showStage(ctx, state, inFlight);
    };
    if (this.dataset.countCharacterScenes(ctx.character.id, false) < ctx.settings.targetScenes)
      state.dedupe = await this.dedupeFor(ctx);
    // The first calls go out on a turn of the loop of their own: sending a provider's whole window
    // costs about as much as planning the job did, and in the request that started it the two held
    // the serving loop ~50 ms on a busy machine (test/bench/event-loop-100k.ts).
    await nextTurn();
    pump();
    while (tasks.size > 0) {
      await tasks.next();
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
    const fresh = this.jobs.items.pendingItemsAfter(ctx.id, stage, after, limit);
    if (fresh.length > 0) {
      state.cursor[stage] = fresh.at(-1)!.seq;
      return fresh;
    }
    const again = this.jobs.items.pendingItems(ctx.id, stage, limit, busy);
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
    const missing = ctx.settings.targetScenes - this.dataset.countCharacterScenes(ctx.character.id, false);
    if (missing <= 0) {
      this.jobs.items.skipPending(ctx.id, 'scenes', this.clock.now());
      state.scenesSettled = true;
      return;
    }
    if (this.jobs.countItems(ctx.id, 'scenes').pending > 0) return;
    state.scenesSettled = true;
    if (!topsUpScenes(ctx.settings)) return;
    let round = 1;
    while (this.jobs.items.countKeysWithPrefix(ctx.id, `scenes:topup:${round}:`) > 0) round++;
    if (round > MAX_TOPUP_ROUNDS) return;
    const chunks = this.prompts.chunksOf(ctx.character.id);
    const plan = planSceneCalls(chunks, Math.ceil(missing * OVERGENERATION), ctx.settings.scenesPerCall, 42 + round);
    const added = this.jobs.items.planItems(
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
    const normal = this.dataset.countCharacterScenes(ctx.character.id, false);
    if (normal === state.protectiveFor) return;
    if (this.dataset.limits(ctx.character.id).length === 0) return;
    state.protectiveFor = normal;
    this.plan(ctx, 'protective');
    state.dry.delete('protective');
  }

  /** Protective scenes the character still lacks beside `normal` scenes (other runs' count). */
  private protectiveLacking(ctx: RunContext, normal: number): number {
    // Only the paper's plan counts chunks (one per chunk): reading the profile is not free.
    const chunkCount = isPaper(ctx.settings) ? this.prompts.chunksOf(ctx.character.id).length : 0;
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
    this.engine.progressed(ctx.id, true);
  }

  /**
   * Whether the scenes stage may stop issuing calls: the character's scenes plus what the calls in
   * flight ask for reach the target. Calls that then come back short (parse losses, duplicates)
   * make room again and the pump issues more, so no call is sent for scenes that would be dropped.
   */
  private scenesEnough(ctx: RunContext, inFlight: ReadonlyMap<string, { stage: Stage; count: number }>): boolean {
    let expected = 0;
    for (const item of inFlight.values()) if (item.stage === 'scenes') expected += item.count;
    return this.dataset.countCharacterScenes(ctx.character.id, false) + expected >= ctx.settings.targetScenes;
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
        ? planScenes(ctx.settings, this.prompts.chunksOf(ctx.character.id))
        : planSceneCalls(
            this.prompts.chunksOf(ctx.character.id),
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
      for (const sceneId of this.dataset.scenesLackingExperience(ctx.character.id))
        items.push(experienceItem(this.newId(), sceneId));
    } else {
      // The share is of the character's whole dataset (the paper: one per chunk); protective scenes
      // other runs made count. Called once the limits exist (see planProtective).
      const chunks = isPaper(ctx.settings) ? this.prompts.chunksOf(ctx.character.id) : [];
      const n = this.protectiveLacking(ctx, this.dataset.countCharacterScenes(ctx.character.id, false));
      const limits = this.dataset.limits(ctx.character.id);
      // Keys protective:0… are planned in order and never removed, so those below the job's count
      // exist already: planning them again (after every scene output) only re-tried the inserts.
      const planned = this.jobs.countItems(ctx.id, 'protective');
      for (let i = planned.pending + planned.done + planned.failed; i < n; i++) {
        const limit = limits[i % limits.length]!.text;
        const stranger = STRANGER_NAMES[hashString(`${ctx.id}:${i}`) % STRANGER_NAMES.length]!;
        // The paper writes one from each chunk: the chunk is the profile its prompt shows.
        const chunkId = isPaper(ctx.settings) ? chunks[i]?.id : undefined;
        items.push({ id: this.newId(), stage, key: `protective:${i}`, input: { limit, stranger, chunkId } });
      }
    }
    if (items.length > 0) this.jobs.items.planItems(ctx.id, items, now);
  }

  /**
   * The near-duplicate index of the character's scenes, read from their stored signatures in pages
   * of `DEDUPE_PAGE` with the event loop served between them. Every scene there is kept (none is
   * checked against the others: they all stand in the dataset). A scene without a usable signature
   * (written before signatures were stored, imported, edited) is hashed here, ~50 µs a scene, and
   * its signature stored for the next job; a store that fails costs only that.
   */
  private async dedupeFor(ctx: RunContext): Promise<SceneDeduplicator> {
    const dedupe = new SceneDeduplicator({ threshold: ctx.settings.dedupeThreshold });
    const tag = signatureTag(dedupe.shingleSize);
    const stores: Promise<void>[] = [];
    let after: { createdAt: number; rowid: number } | null = null;
    for (;;) {
      const page = this.dataset.signatures.page(ctx.character.id, tag, after, DEDUPE_PAGE);
      const computed: { id: SceneId; location: string; background: string; signature: Uint8Array }[] = [];
      for (const row of page) {
        const stored = row.signature && decodeSignature(row.signature, dedupe.shingleSize);
        if (stored) {
          dedupe.addSignature(stored, true);
        } else if (row.text) {
          const signature = sceneSignature(row.text, dedupe.shingleSize);
          dedupe.addSignature(signature, true);
          computed.push({ id: row.id, ...row.text, signature: encodeSignature(signature, dedupe.shingleSize) });
        }
      }
      if (computed.length > 0)
        stores.push(this.engine.writes.write(() => this.dataset.signatures.store(computed)).catch(() => undefined));
      const last = page.at(-1);
      if (!last || page.length < DEDUPE_PAGE) break;
      after = { createdAt: last.createdAt, rowid: last.rowid };
      await nextTurn();
    }
    await Promise.all(stores);
    return dedupe;
  }
}
