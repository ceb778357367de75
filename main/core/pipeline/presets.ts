import type { Chunk, GenerationPlan, GenerationSettings } from '../../../common/contract';
import {
  OVERGENERATION,
  PAPER_RUN,
  planPaperSceneCalls,
  planSceneCalls,
  protectiveCount,
  type SceneCall,
} from './planner';

/**
 * Generation presets: how a job's settings turn into planned work.
 *
 * - `studio` (the default, and what a job without a preset is): the user's target is met exactly.
 *   Scene calls are planned for the target plus 15%, by length, and topped up when parse losses and
 *   near-duplicates leave it short; protective scenes are a share of the dataset.
 * - `paper`: the paper's own runs (METHOD.md §1). 100 scene calls of 20 scenes each (every chunk
 *   ⌊100 / chunks⌋ times, at least once, then a length-weighted draw with seed 42), no top-up, so
 *   the scenes are whatever the answers hold (the paper kept 70–95%); one protective scene per chunk,
 *   written from that chunk. Experiences are asked for at least 1,200 words with only the main
 *   character thinking, as in every preset. The target and scenes per call are set by the preset.
 */

/** The most scenes a run may aim for (the paper: about 1,500 a character); see `checkSettings`. */
export const MAX_TARGET_SCENES = 20_000;

export function isPaper(settings: Pick<GenerationSettings, 'preset'>): boolean {
  return settings.preset === 'paper';
}

function paperChunks(chunks: readonly Chunk[]): { id: string; chars: number }[] {
  // Python's len(): code points, as the reference code weighed its prompts.
  return chunks.map((c) => ({ id: c.id, chars: [...c.text].length }));
}

/** The settings a job actually runs with: a preset's fixed numbers replace what the user typed. */
export function applyPreset(settings: GenerationSettings, chunks: readonly Chunk[]): GenerationSettings {
  if (!isPaper(settings)) return settings;
  const calls = planPaperSceneCalls(paperChunks(chunks)).length;
  return {
    ...settings,
    scenesPerCall: PAPER_RUN.scenesPerCall,
    targetScenes: Math.max(1, calls * PAPER_RUN.scenesPerCall),
  };
}

/** The scene calls of a job's first round (`seed` varies the studio's top-up rounds). */
export function planScenes(settings: GenerationSettings, chunks: readonly Chunk[], seed = 42): SceneCall[] {
  if (isPaper(settings)) return planPaperSceneCalls(paperChunks(chunks));
  return planSceneCalls(chunks, Math.ceil(settings.targetScenes * OVERGENERATION), settings.scenesPerCall, seed);
}

/** Whether the scenes stage asks for more when it ends short of the target (the paper did not). */
export function topsUpScenes(settings: GenerationSettings): boolean {
  return !isPaper(settings);
}

/** Whether the job writes protective scenes (and so needs the list of what the character cannot know). */
export function wantsProtective(settings: GenerationSettings): boolean {
  return isPaper(settings) || settings.protectiveShare > 0;
}

/** Protective scenes wanted: one per chunk for the paper, else the share of the final dataset. */
export function protectiveWanted(settings: GenerationSettings, normalScenes: number, chunkCount: number): number {
  if (isPaper(settings)) return chunkCount;
  return protectiveCount(normalScenes, settings.protectiveShare);
}

/** What the settings imply, for the estimate: calls, scenes asked and expected, protective scenes. */
export function describePlan(settings: GenerationSettings, chunks: readonly Chunk[]): GenerationPlan {
  const effective = applyPreset(settings, chunks);
  const calls = planScenes(effective, chunks);
  const scenesAsked = calls.reduce((n, c) => n + c.count, 0);
  if (isPaper(effective)) {
    const times = Math.max(1, Math.floor(PAPER_RUN.sceneCalls / Math.max(1, chunks.length)));
    return {
      preset: 'paper',
      sceneCalls: calls.length,
      scenesPerCall: PAPER_RUN.scenesPerCall,
      scenesAsked,
      expectedScenes: {
        low: Math.round(scenesAsked * PAPER_RUN.keptShare.low),
        high: Math.round(scenesAsked * PAPER_RUN.keptShare.high),
      },
      protectiveScenes: protectiveWanted(effective, scenesAsked, chunks.length),
      rules: [
        `${calls.length} scene calls of ${PAPER_RUN.scenesPerCall} scenes: each of the ${chunks.length} chunks ${times} time${times === 1 ? '' : 's'}${calls.length > times * chunks.length ? `, then ${calls.length - times * chunks.length} drawn by length (seed ${PAPER_RUN.seed})` : ''}.`,
        'No top-up: the paper kept the 70–95% of scenes that its answers held. Near duplicates are still dropped (Sampling and duplicates).',
        'One protective scene per chunk, written from that chunk.',
        `Experiences of at least ${PAPER_RUN.minWords.toLocaleString('en-US')} words; only the main character thinks.`,
      ],
    };
  }
  return {
    preset: 'studio',
    sceneCalls: calls.length,
    scenesPerCall: effective.scenesPerCall,
    scenesAsked,
    expectedScenes: { low: effective.targetScenes, high: effective.targetScenes },
    protectiveScenes: protectiveWanted(effective, effective.targetScenes, chunks.length),
    rules: [],
  };
}

/**
 * The scene count progress counts toward. The studio's is the target. The paper has none: before
 * its calls are planned it is what they ask for, then the scenes kept plus 20 for each call still
 * open (pending or failed), so it settles on the scenes kept when the last call is in.
 */
export function scenesExpected(
  settings: GenerationSettings,
  kept: number,
  calls: { done: number; pending: number; failed: number },
): number {
  if (!isPaper(settings) || calls.done + calls.pending + calls.failed === 0) return settings.targetScenes;
  return kept + (calls.pending + calls.failed) * PAPER_RUN.scenesPerCall;
}

/** The message of a job that succeeded with `kept` scenes; null when there is nothing to say. */
export function finishedNote(settings: GenerationSettings, kept: number): string | null {
  if (isPaper(settings)) {
    const share = Math.round((100 * kept) / Math.max(1, settings.targetScenes));
    return `The paper's plan asked for ${settings.targetScenes.toLocaleString('en-US')} scenes and ${kept.toLocaleString('en-US')} were kept (${share}%; the paper kept 70–95%).`;
  }
  if (kept < settings.targetScenes)
    return `Finished with ${kept} of ${settings.targetScenes} scenes: the model kept repeating itself or its answers could not be read. Add profile text or raise the temperature for more variety.`;
  return null;
}
