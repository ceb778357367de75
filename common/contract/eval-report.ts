/**
 * Reports over judged interviews, and the import of the paper's released interview outputs as
 * systems of a report. Types only. The data they read (question sets, systems, interviews, turns,
 * judgments) is the eval area's.
 */

import type { CharacterId } from './base';

/** Single-turn answers and multi-turn interviews are reported apart, never pooled. */
export type ReportMode = 'single' | 'multi';

export interface EvalReportRequest {
  characterId: CharacterId;
  /** Systems to show, in this order; absent: every system of the character. */
  systemIds?: string[];
  /** Only questions of these topics (`topic-1`…); absent: all. Multi-turn goals have the topic of their question. */
  topics?: string[];
  /** Absent: both. */
  modes?: ReportMode[];
  /**
   * Only judgments by this judge (`judgeNameOf`: a model and a prompt version), or by this judge
   * model (each of its prompt versions apart); absent: every judge, each apart.
   */
  judge?: string;
  /** Bootstrap resamples per cell; default 2,000. */
  resamples?: number;
  /** Seed of the bootstrap; default 42. The same data and seed give the same intervals. */
  seed?: number;
}

export interface ReportSystem {
  id: string;
  name: string;
  /** How its answers came: `trained`, `base`, `prompted`, `imported` (the eval area's kinds). */
  kind: string;
  /** Answers (single-turn) and interviews (multi-turn) it holds under the report's filters. */
  answers: Record<ReportMode, number>;
  /** Answers flagged as cut at the token limit (`<|NONSTOP|>`). */
  nonstop: number;
}

/**
 * One system on one dimension in one mode. `mean` and `interval` are null when nothing was scored
 * (the system is empty there): shown as empty, never as 0.
 */
export interface ReportCell {
  systemId: string;
  mode: ReportMode;
  dimension: string;
  /**
   * The judge whose scores these are (`judgeNameOf`: a model and a prompt version, as the Judge tab
   * names it); null only while no judge has scored anything in the report. Judges are never
   * averaged together: a report over two judges holds each cell twice.
   */
  judge: string | null;
  count: number;
  /** Judgments without a usable score: left out of the mean. */
  unscored: number;
  /** Answers with no judgment at all on this dimension (not judged yet). */
  unjudged: number;
  mean: number | null;
  low: number | null;
  high: number | null;
}

export interface ReportTopic {
  id: string;
  label: string;
}

export interface EvalReport {
  characterId: CharacterId;
  characterName: string;
  generatedAt: number;
  systems: ReportSystem[];
  /** Dimensions per mode, in the paper's order (stability only multi-turn). */
  dimensions: Record<ReportMode, string[]>;
  cells: ReportCell[];
  /** Every topic of the character's questions, for the filter (not only the filtered ones). */
  topics: ReportTopic[];
  /** The judges (`judgeNameOf`) whose judgments exist for these systems, sorted. */
  judges: string[];
  /** Pairwise comparisons among the report's systems, under its filters (empty when none were judged). */
  pairwise: ReportPairwise[];
  settings: {
    modes: ReportMode[];
    topics: string[] | null;
    /** The `judge` asked for; null: every judge. */
    judge: string | null;
    resamples: number;
    level: number;
    seed: number;
  };
  durationMs: number;
}

/** Pairs, each asked in both orders, counted by `PAIRWISE_RULE` (`countPairs`, common/pairwise-rule.ts). */
export interface PairCounts {
  /** Pairs with a result: aWins + ties + bWins. */
  pairs: number;
  aWins: number;
  /** Both orders said tie, or the two orders disagreed (counted in `inconsistent` too). */
  ties: number;
  bWins: number;
  /** Of the ties, pairs whose two orders disagreed. */
  inconsistent: number;
  /** Pairs with an order the judge never answered readably: left out of `pairs`. */
  unscored: number;
}

/** System A against system B on one dimension and mode, by one judge: the counts of their pairs. */
export interface ReportPairwise extends PairCounts {
  systemA: string;
  systemB: string;
  mode: ReportMode;
  dimension: string;
  /** The judge of these pairs (`judgeNameOf`: a model and the pairwise prompt's version). */
  judge: string;
}

/** One judgment shown in a drill-down. */
export interface ReportJudgment {
  dimension: string;
  /** null: the judge gave no usable score (shown as unscored). */
  score: number | null;
  reasoning: string;
  judgeModel: string;
}

/** One turn of an answer or interview: who, spoken or thought, and the text exactly as stored. */
export interface ReportTurn {
  by: 'interviewer' | 'character';
  action: 'speaking' | 'thinking';
  content: string;
}

/** One question (or multi-turn goal) a system answered, with what the judge said. */
export interface ReportAnswer {
  /** The question's identity across systems (its text, trimmed), to line two systems up. */
  questionKey: string;
  question: string;
  topicId: string;
  mode: ReportMode;
  interviewId: string;
  turns: ReportTurn[];
  nonstop: boolean;
  judgments: ReportJudgment[];
}

export interface ReportAnswersRequest {
  characterId: CharacterId;
  systemId: string;
  mode: ReportMode;
  topics?: string[];
  /** As the report's `judge`. */
  judge?: string;
  /** Only this question (its key), e.g. to open one answer. */
  questionKey?: string;
}

export interface ReportAnswers {
  systemId: string;
  mode: ReportMode;
  answers: ReportAnswer[];
}

/** One question both systems answered (or either), side by side. */
export interface ReportPair {
  questionKey: string;
  question: string;
  topicId: string;
  a: ReportAnswer | null;
  b: ReportAnswer | null;
}

export interface ReportCompareRequest {
  characterId: CharacterId;
  a: string;
  b: string;
  mode: ReportMode;
  topics?: string[];
  /** As the report's `judge`. */
  judge?: string;
  resamples?: number;
  seed?: number;
}

/** One dimension's change from `a` (before) to `b` (after): both intervals and the delta of means. */
export interface DimensionChange {
  dimension: string;
  /** The judge both cells are by (a change is never read across judges); null when nothing is judged. */
  judge: string | null;
  a: ReportCell;
  b: ReportCell;
  /** b.mean − a.mean; null when either is empty. */
  delta: number | null;
}

/** A question whose score moved: the mean over dimensions scored in both, before and after. */
export interface MovedQuestion {
  questionKey: string;
  /** The judge whose scores moved. */
  judge: string;
  question: string;
  topicId: string;
  before: number;
  after: number;
  delta: number;
}

export interface ReportComparison {
  a: ReportSystem;
  b: ReportSystem;
  mode: ReportMode;
  /** Per judge (in the report's judge order), per dimension. */
  changes: DimensionChange[];
  /** Questions answered by both, largest |delta| first (at most 20), each within one judge's scores. */
  moved: MovedQuestion[];
  pairs: ReportPair[];
}

export type ReportExportFormat = 'json' | 'csv' | 'html';

export interface ReportExportRequest extends EvalReportRequest {
  format: ReportExportFormat;
  /** A file on the studio's machine to write; absent: the content is returned instead. */
  out?: string;
}

export interface ReportExport {
  format: ReportExportFormat;
  /** The file written, or null when the content is returned. */
  path: string | null;
  /** The file's text when `out` was absent. */
  content: string | null;
  bytes: number;
}

/** Import of the paper's released outputs (`gen_results`): one call, a folder or files. */
export interface OutputsImportRequest {
  /** Folders (searched recursively for `*.json` / `*.jsonl`) or files on the studio's machine. */
  paths?: string[];
  /** Uploaded files: their names (with any folder path) decide character and system. */
  files?: { name: string; base64: string }[];
  /**
   * The user's answer for names that match no character: short name as in the files → character.
   * Names matching a character's short name (case-insensitive) need no entry.
   */
  map?: Record<string, CharacterId>;
  /** Only report what would be imported and what is unmatched; store nothing. */
  dryRun?: boolean;
}

export interface ImportedOutputSystem {
  characterId: CharacterId;
  short: string;
  system: string;
  systemId: string;
  /** Single-turn answers and multi-turn interviews stored. */
  single: number;
  multi: number;
  /** Character rounds holding thoughts, and rounds that are a thought only. */
  thoughtRounds: number;
  thoughtOnlyRounds: number;
  nonstop: number;
}

export interface OutputsImportReport {
  /**
   * Short names matching no character and not in `map`: nothing of them was imported. Ask the user
   * which character each is (UI) or pass `--map Short=character` (CLI), then import again.
   */
  unmatched: { short: string; files: string[] }[];
  systems: ImportedOutputSystem[];
  /** Action labels other than (speaking)/(thinking), read as said, with file and line. */
  oddLabels: { file: string; line: number; label: string; readAs: 'speaking' | 'thinking' }[];
  /** Files found that are not released outputs (README, other names): left alone. */
  skipped: string[];
  notices: string[];
  dryRun: boolean;
  durationMs: number;
}

export interface EvalReportCommands {
  /** Per system × dimension: mean, 95% bootstrap interval and count, single- and multi-turn apart. */
  'eval/report': (arg: EvalReportRequest) => EvalReport;
  /** Drill-down: every question a system answered, its turns (thoughts apart) and judgments. */
  'eval/report-answers': (arg: ReportAnswersRequest) => ReportAnswers;
  /** Two systems side by side, and what changed from `a` to `b` (e.g. two runs of one character). */
  'eval/report-compare': (arg: ReportCompareRequest) => ReportComparison;
  /** The report as JSON, CSV (one row per cell) or one self-contained HTML file with its charts. */
  'eval/report-export': (arg: ReportExportRequest) => ReportExport;
  /** All or nothing per call: a broken file fails it, naming the file and the line. */
  'eval/import-outputs': (arg: OutputsImportRequest) => OutputsImportReport;
}
