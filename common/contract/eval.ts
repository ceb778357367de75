/**
 * Evaluation (issue 12): question sets, the systems that answer them, and interviews (the paper's
 * protocol, METHOD.md §3). Types only.
 *
 * Who owns what (three engineers build issue 12 on this file):
 * - this file's question sets, systems and interviews (migration 017_eval.sql, `main/store/eval-repo.ts`);
 * - the judge and pairwise comparisons add their own area file (`common/contract/eval-judge.ts`) and
 *   migration 018: `judgments` keyed by (interview id, dimension, judge model, judge prompt version),
 *   so re-judging with another judge keeps both, and `pairwise` comparisons of two interviews of the
 *   same question (asked in both orders); their jobs join the `Job` union in jobs.ts;
 * - reports and the import of the paper's released outputs (`eval-report.ts`) read these tables; an
 *   import makes an `imported` system and writes `done` interviews whose turns carry their `source`.
 */

import type { Brand, CallId, CharacterId, JobId, ProviderId, RunId } from './base';
import type { ChatRuntimeKind, ChatSamplingSettings } from './chat';
import type { InterviewJob } from './jobs';

export type QuestionSetId = Brand<string, 'QuestionSetId'>;
export type QuestionId = Brand<string, 'QuestionId'>;
export type EvalSystemId = Brand<string, 'EvalSystemId'>;
export type InterviewId = Brand<string, 'InterviewId'>;

/**
 * `single`: the text is asked as it is, each question in a fresh conversation. `multi`: the text is
 * the GOAL an LLM interviewer pursues over several rounds, one question at a time.
 */
export type QuestionMode = 'single' | 'multi';

/**
 * The paper's topics, as its files name them: `topic-1` personal information and past experiences,
 * `topic-2` interpersonal relationships, `topic-3` values and preferences, `topic-4` the five
 * anachronism probes every character shares. A hand-made or imported set may use other ids; they are
 * kept as written.
 */
export type TopicId = string;

/** How a set came to be. `generated`: from the profile by an LLM; `imported`: a file; `hand`: typed in. */
export type QuestionSetOrigin = 'generated' | 'imported' | 'hand';

export interface Question {
  id: QuestionId;
  setId: QuestionSetId;
  /** The set version this row belongs to: every save copies the questions into a new version. */
  version: number;
  /**
   * The same question across versions (a reworded question keeps its key; an added one gets a new
   * one): reports compare answers to "the same question" asked from different versions by it.
   */
  key: string;
  topicId: TopicId;
  /** The topic as a person reads it ("Values and preferences"). */
  topic: string;
  text: string;
  mode: QuestionMode;
  /** 0-based order within its version. */
  position: number;
}

/** One saved state of a set: versions are 1, 2, 3…; older ones stay readable (interviews point at them). */
export interface QuestionSetVersion {
  version: number;
  /** What this save did ("imported generated_agent_interview_Beethoven.json", "reworded 2, deleted 1"). */
  note: string;
  questions: number;
  createdAt: number;
}

export interface QuestionSet {
  id: QuestionSetId;
  characterId: CharacterId;
  name: string;
  origin: QuestionSetOrigin;
  /**
   * Where it came from: the file name of an import, the provider, model and prompt version of a
   * generation; null for a hand-made set.
   */
  source: string | null;
  /** The LLM calls that generated it (`llm_calls.id`), for a generated set. */
  callIds: CallId[];
  /** The newest version (what a new interview asks unless told otherwise). */
  currentVersion: number;
  versions: QuestionSetVersion[];
  /** Questions of the current version, by mode and by topic id. */
  counts: { single: number; multi: number; byTopic: Record<TopicId, number> };
  createdAt: number;
  updatedAt: number;
}

/** A set at one version with its questions in order. */
export interface QuestionSetDetail {
  set: QuestionSet;
  version: number;
  questions: Question[];
}

/** A question as an edit sends it: `key` absent for a new question (it gets one). */
export interface QuestionDraft {
  key?: string;
  topicId: TopicId;
  topic?: string;
  text: string;
  mode: QuestionMode;
}

/**
 * What answers an interview:
 * - `run`: a trained run of the character, through its embedded runtime, the trainer's `serve`, or
 *   an endpoint serving it (Ollama with the exported model, vLLM with the adapter);
 * - `base`: a plain model through an endpoint, given only the paper's setting (no role-play prompt);
 * - `prompted`: a plain model through an endpoint with our role-play meta prompt built from the
 *   profile (the paper's ChatGPT / Alpaca / Vicuna baselines);
 * - `imported`: answers read from a file (the paper's released `Beethoven_chatgpt`, say); it has no
 *   runtime and cannot be interviewed again.
 */
export type EvalSystemKind = 'run' | 'base' | 'prompted' | 'imported';

/** How a system answers, stored as JSON on the system (null for `imported`). */
export type EvalAnswerer =
  | { runtime: Exclude<ChatRuntimeKind, 'endpoint'>; runId: RunId }
  | {
      runtime: 'endpoint';
      providerId: ProviderId;
      model: string;
      /** The run this endpoint serves, for a `run` system answering through an endpoint. */
      runId: RunId | null;
    };

export interface EvalSystem {
  id: EvalSystemId;
  characterId: CharacterId;
  kind: EvalSystemKind;
  /** Unique within the character ("Beethoven r3 (embedded)", "gpt-4o-mini prompted", "ChatGPT (paper)"). */
  label: string;
  answerer: EvalAnswerer | null;
  /** Sampling of the interviewee (default the paper's: temperature 0.2, top-p 0.95, 256 tokens); null for imported. */
  sampling: ChatSamplingSettings | null;
  /** `prompted` only: the version of our role-play meta prompt it is interviewed with. */
  promptVersion: string | null;
  /** `imported` only: the folder or file the answers came from. */
  source: string | null;
  /** Interviews stored for it. */
  interviews: number;
  createdAt: number;
}

export type EvalSystemRequest =
  | {
      characterId: CharacterId;
      kind: Exclude<EvalSystemKind, 'imported'>;
      answerer: EvalAnswerer;
      label?: string;
      sampling?: Partial<ChatSamplingSettings>;
    }
  | { characterId: CharacterId; kind: 'imported'; label: string; source: string };

/** `pending` until its job asks, `running` while it is out, `done` with every round, `failed` with `error`. */
export type InterviewStatus = 'pending' | 'running' | 'done' | 'failed';

/** One job's unit of work: one system interviewed on one question in one mode. */
export interface Interview {
  id: InterviewId;
  characterId: CharacterId;
  /** The job that runs it; null for imported interviews. */
  jobId: JobId | null;
  systemId: EvalSystemId;
  questionId: QuestionId;
  /** Denormalised for lists and reports. */
  setId: QuestionSetId;
  setVersion: number;
  topicId: TopicId;
  question: string;
  mode: QuestionMode;
  /** Rounds planned (1 for single-turn; default 5 for multi-turn). */
  rounds: number;
  /** Rounds with the character's answer stored. */
  roundsDone: number;
  status: InterviewStatus;
  error: string | null;
  /** Any turn flagged `nonstop`. */
  nonstop: boolean;
  createdAt: number;
  updatedAt: number;
}

/** `speaking` or `thinking`; an odd label in an imported file is read as one of them and kept in `rawAction`. */
export type TurnAction = 'speaking' | 'thinking';

export interface InterviewTurn {
  id: string;
  interviewId: InterviewId;
  /** 1-based round. Single-turn: round 1 holds the question and the answer. */
  round: number;
  /** Order within the interview (a round may hold several turns, or a thought only). */
  seq: number;
  role: 'interviewer' | 'character';
  /** Who speaks as written: `Man` for our interviewer, the character's short name, or the file's name. */
  speaker: string;
  action: TurnAction;
  /** The action label as the file wrote it, when it was not exactly `(speaking)` / `(thinking)`; else null. */
  rawAction: string | null;
  /** The text, without a trailing `<|NONSTOP|>` marker (the flag says it was there). */
  text: string;
  /** Ended with `<|NONSTOP|>` (imports) or cut at the token limit (our runs): the answer is unfinished. */
  nonstop: boolean;
  /** Imports: `file:line` (JSON lines) or `file#index` (JSON lists, 1-based); null for our own. */
  source: string | null;
  /** The LLM call that made it, when one was recorded through the gateway. */
  callId: CallId | null;
  createdAt: number;
}

export interface InterviewTranscript {
  interview: Interview;
  system: EvalSystem;
  turns: InterviewTurn[];
}

/** What an interview job asks (stored on the job). */
export interface InterviewSettings {
  /** The interviewer's provider (multi-turn), else the interviewee's when it is an endpoint; null when neither. */
  providerId: ProviderId | null;
  /** The interviewer's model; null: the provider's default. */
  interviewerModel: string | null;
  /** Interviewer temperature: the paper's 0.2. */
  interviewerTemperature: number;
  systemIds: EvalSystemId[];
  setId: QuestionSetId;
  setVersion: number;
  /** Null: each question in its own mode. */
  mode: QuestionMode | null;
  /** Rounds of a multi-turn interview (the paper's 5). */
  rounds: number;
  /** The setting of every interview (the paper's coffee shop, METHOD.md §3). */
  location: string;
  status: string;
  /** Interviews of different systems run side by side, at most this many at once (embedded runtimes: 1). */
  concurrency: number;
  budgetUsd: number | null;
}

export interface InterviewRequest {
  characterId: CharacterId;
  systemIds: EvalSystemId[];
  setId: QuestionSetId;
  /** Absent: the set's current version. */
  version?: number;
  mode?: QuestionMode;
  rounds?: number;
  /** Multi-turn: the interviewer's provider and model (absent: the character's last job's provider, else the only provider). */
  interviewerProviderId?: ProviderId;
  interviewerModel?: string;
  budgetUsd?: number | null;
}

export interface QuestionGenerateRequest {
  characterId: CharacterId;
  /** Absent: the provider of the character's last job, else the only provider. */
  providerId?: ProviderId;
  model?: string;
  /** Single-turn questions per topic (the paper's three topics); default 10. */
  perTopic?: number;
  /** Multi-turn goals per topic; default 0 (none). */
  goalsPerTopic?: number;
  name?: string;
}

export interface QuestionImportRequest {
  characterId: CharacterId;
  /** The file's name (names the set, says its mode: `…_for_multiturn_…` are goals). */
  fileName: string;
  /**
   * The file's text: the paper's JSON list of `{topic_id, topic, question}`, or for a `.txt` file
   * plain text, one question a line (common/question-lines.ts says how a line is read).
   */
  content: string;
  /** Absent: from the file name. */
  mode?: QuestionMode;
  /** Plain text: the topic of a line without a tag; absent: `topic-1`. */
  topicId?: TopicId;
  /** Add to this set as a new version (its questions kept, these appended); absent: a new set. */
  setId?: QuestionSetId;
  name?: string;
}

export interface InterviewFilter {
  characterId: CharacterId;
  jobId?: JobId;
  systemId?: EvalSystemId;
  setId?: QuestionSetId;
  mode?: QuestionMode;
}

export interface EvalCommands {
  'eval/questions/list': (arg: { characterId: CharacterId }) => QuestionSet[];
  /** A set at `version` (absent: its current one). */
  'eval/questions/get': (arg: { setId: QuestionSetId; version?: number }) => QuestionSetDetail;
  /** One recorded LLM call per topic and mode (a versioned prompt of ours): a new `generated` set. */
  'eval/questions/generate': (arg: QuestionGenerateRequest) => QuestionSetDetail;
  /** The paper's question files as they are; another shape is refused naming the file and the entry. */
  'eval/questions/import': (arg: QuestionImportRequest) => QuestionSetDetail;
  /** A new `hand` set, empty or with these questions. */
  'eval/questions/create': (arg: {
    characterId: CharacterId;
    name: string;
    questions?: QuestionDraft[];
  }) => QuestionSetDetail;
  /**
   * Saves the set's questions in this order as a new version (add, delete, reword, reorder), and
   * renames it when `name` is given; refused with `conflict` when `baseVersion` is not current.
   */
  'eval/questions/save': (arg: {
    setId: QuestionSetId;
    baseVersion: number;
    questions: QuestionDraft[];
    name?: string;
    note?: string;
  }) => QuestionSetDetail;
  /** Hides the set from lists; its versions stay readable for the interviews that used them. */
  'eval/questions/archive': (arg: { setId: QuestionSetId }) => QuestionSet;

  'eval/systems/list': (arg: { characterId: CharacterId }) => EvalSystem[];
  'eval/systems/create': (arg: EvalSystemRequest) => EvalSystem;
  /** Hides a system; its interviews (and their judgments) stay. */
  'eval/systems/archive': (arg: { id: EvalSystemId }) => EvalSystem;

  /** Starts an `interview` job: one interview per system × question (of `mode`). */
  'eval/interviews/start': (arg: InterviewRequest) => InterviewJob;
  /** Interviews of the character's systems, oldest first; an archived system's only when `systemId` names it. */
  'eval/interviews/list': (arg: InterviewFilter) => Interview[];
  'eval/interviews/get': (arg: { id: InterviewId }) => InterviewTranscript;
  /** Interviews whose id is `key` or starts with it, in id order, at most 10 (as `jobs/match`): the CLI names interviews so. */
  'eval/interviews/match': (arg: { key: string }) => { id: InterviewId; characterId: CharacterId }[];
}

export interface EvalEvents {
  /** A set was created, saved, imported, generated or archived. */
  'eval/questions/changed': { characterId: CharacterId; setId: QuestionSetId };
  'eval/systems/changed': { characterId: CharacterId };
  /** An interview gained a round or ended (throttled by its job's progress). */
  'eval/interviews/changed': { characterId: CharacterId; interviewId: InterviewId; jobId: JobId | null };
}
