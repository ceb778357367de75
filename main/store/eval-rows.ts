import type {
  CallId,
  CharacterId,
  ChatSamplingSettings,
  EvalAnswerer,
  EvalSystem,
  EvalSystemId,
  EvalSystemKind,
  Interview,
  InterviewId,
  InterviewStatus,
  InterviewTurn,
  JobId,
  Question,
  QuestionId,
  QuestionMode,
  QuestionSetId,
  QuestionSetOrigin,
  TurnAction,
} from '../../common/contract';

/** The rows of migration 017's tables as SQLite returns them, and their contract shapes. */

export interface SetRow {
  id: string;
  character_id: string;
  name: string;
  origin: QuestionSetOrigin;
  source: string | null;
  call_ids: string;
  current_version: number;
  archived_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface QuestionRow {
  id: string;
  set_id: string;
  version: number;
  key: string;
  position: number;
  topic_id: string;
  topic: string;
  text: string;
  mode: QuestionMode;
}

export interface SystemRow {
  id: string;
  character_id: string;
  kind: EvalSystemKind;
  label: string;
  answerer: string | null;
  sampling: string | null;
  prompt_version: string | null;
  source: string | null;
  archived_at: number | null;
  created_at: number;
  interviews: number;
}

export interface InterviewRow {
  id: string;
  character_id: string;
  job_id: string | null;
  system_id: string;
  question_id: string;
  set_id: string;
  set_version: number;
  topic_id: string;
  question: string;
  mode: QuestionMode;
  rounds: number;
  status: InterviewStatus;
  error: string | null;
  created_at: number;
  updated_at: number;
  rounds_done: number;
  nonstop: number;
}

export interface TurnRow {
  id: string;
  interview_id: string;
  round: number;
  seq: number;
  role: 'interviewer' | 'character';
  speaker: string;
  action: TurnAction;
  raw_action: string | null;
  text: string;
  nonstop: number;
  source: string | null;
  call_id: string | null;
  created_at: number;
}

export function toQuestion(row: QuestionRow): Question {
  return {
    id: row.id as QuestionId,
    setId: row.set_id as QuestionSetId,
    version: row.version,
    key: row.key,
    topicId: row.topic_id,
    topic: row.topic,
    text: row.text,
    mode: row.mode,
    position: row.position,
  };
}

export function toSystem(row: SystemRow): EvalSystem {
  return {
    id: row.id as EvalSystemId,
    characterId: row.character_id as CharacterId,
    kind: row.kind,
    label: row.label,
    answerer: row.answerer ? (JSON.parse(row.answerer) as EvalAnswerer) : null,
    sampling: row.sampling ? (JSON.parse(row.sampling) as ChatSamplingSettings) : null,
    promptVersion: row.prompt_version,
    source: row.source,
    interviews: row.interviews,
    createdAt: row.created_at,
  };
}

export function toInterview(row: InterviewRow): Interview {
  return {
    id: row.id as InterviewId,
    characterId: row.character_id as CharacterId,
    jobId: row.job_id as JobId | null,
    systemId: row.system_id as EvalSystemId,
    questionId: row.question_id as QuestionId,
    setId: row.set_id as QuestionSetId,
    setVersion: row.set_version,
    topicId: row.topic_id,
    question: row.question,
    mode: row.mode,
    rounds: row.rounds,
    roundsDone: row.rounds_done,
    status: row.status,
    error: row.error,
    nonstop: row.nonstop === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toTurn(row: TurnRow): InterviewTurn {
  return {
    id: row.id,
    interviewId: row.interview_id as InterviewId,
    round: row.round,
    seq: row.seq,
    role: row.role,
    speaker: row.speaker,
    action: row.action,
    rawAction: row.raw_action,
    text: row.text,
    nonstop: row.nonstop === 1,
    source: row.source,
    callId: row.call_id as CallId | null,
    createdAt: row.created_at,
  };
}
