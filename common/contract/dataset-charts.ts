/** The dataset measured: the Statistics view's charts and the per-character table. Types only. */

import type { CharacterId, ChunkId, Empty } from './base';
import type { TurnKind } from './dataset';

/**
 * One bar of a histogram: values from `from` (inclusive) to `to` (exclusive); `to` is null for the
 * last, open-ended bar that gathers the long tail.
 */
export interface HistogramBin {
  from: number;
  to: number | null;
  count: number;
}

export interface Histogram {
  /** What one value is, for axis labels: `turns`, `words`, `tokens`. */
  unit: string;
  bins: HistogramBin[];
  /** Values counted (scenes, or turns for words per turn). */
  count: number;
  mean: number;
  /** null where the stored figures are buckets too coarse to give one (words per turn). */
  median: number | null;
  max: number | null;
}

/** Scenes of one pipeline stage: with their experience written, still waiting for it, and rejected in review. */
export interface StageCounts {
  scenes: number;
  experiences: number;
  waiting: number;
  rejected: number;
}

/** One profile chunk and the scenes made from it: the coverage of the life, in the profile's order. */
export interface ChunkCoverage {
  chunkId: ChunkId;
  /** 1, 2, … across the character's profiles, in their order. */
  number: number;
  profileTitle: string;
  /** The chunk's first words, to recognise it. */
  head: string;
  words: number;
  scenes: number;
  experiences: number;
  protective: number;
}

export interface SpeakerShare {
  /** As written in the experiences (names differing only in case are one speaker). */
  speaker: string;
  /** The character itself (its short or full name). */
  character: boolean;
  turns: number;
  words: number;
}

export interface DatasetCharts {
  characterId: CharacterId;
  normal: StageCounts;
  protective: StageCounts;
  /** Protective scenes as a share of all scenes, 0–1 (the paper: 1–5%). */
  protectiveShare: number;
  chunks: ChunkCoverage[];
  /** Normal scenes whose chunk is gone, or that were imported or written by hand: no bar in the coverage. */
  withoutChunk: number;
  /**
   * Protective scenes without a chunk: the studio's plan writes them from the character's limits
   * alone (the paper's plan gives each one a chunk), so none of them is missing anything.
   */
  protectiveWithoutChunk: number;
  turnsPerScene: Histogram;
  wordsPerTurn: Histogram;
  /** Estimated from each example's length in characters, about 4 a token (the trainer's tokenizer is not known here). */
  tokensPerExample: Histogram;
  /** The speakers with most turns, the character always among them; the rest summed in `others`. */
  speakers: SpeakerShare[];
  others: { speakers: number; turns: number; words: number };
  /** Turns and words by kind over every experience. */
  kinds: Record<TurnKind, { turns: number; words: number }>;
}

/** One character's dataset as the paper's per-character table counts it. */
export interface CharacterFigures {
  characterId: CharacterId;
  fullName: string;
  shortName: string;
  chunks: number;
  profileWords: number;
  scenes: number;
  protectiveScenes: number;
  experiences: number;
  turns: number;
  words: number;
  /** Per scene with an experience; 0 while there is none. */
  avgTurnsPerScene: number;
  avgWordsPerScene: number;
}

/** A range the paper reports across its nine characters (`low` = `high` for a single figure). */
export interface PaperRange {
  low: number;
  high: number;
}

/** What the paper reports per character (Shao et al. 2023; ../shared/METHOD.md §1), for comparison. */
export interface PaperFigures {
  chunks: PaperRange;
  profileWords: PaperRange;
  scenes: PaperRange;
  words: PaperRange;
  avgTurnsPerScene: PaperRange;
  /** Share of protective scenes, 0–1. */
  protectiveShare: PaperRange;
}

export interface DatasetChartCommands {
  /** The character's dataset measured for the Statistics view, from counts kept on write. */
  'dataset/charts': (arg: { characterId: CharacterId }) => DatasetCharts;
  /** Every character side by side, with the paper's figures. */
  'dataset/compare': (arg: Empty) => { characters: CharacterFigures[]; paper: PaperFigures };
}
