import type {
  EvalSystem,
  EvalSystemKind,
  Interview,
  InterviewStatus,
  InterviewTurn,
  Question,
  QuestionMode,
  QuestionSetOrigin,
  TurnAction,
} from '../../common/contract';
import { rowMapper } from './row-mapper';

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

export const toQuestion = rowMapper<QuestionRow, Question>()({
  id: 'value',
  set_id: 'value',
  version: 'value',
  key: 'value',
  position: 'value',
  topic_id: 'value',
  topic: 'value',
  text: 'value',
  mode: 'value',
});

export const toSystem = rowMapper<SystemRow, EvalSystem>()({
  id: 'value',
  character_id: 'value',
  kind: 'value',
  label: 'value',
  answerer: 'json',
  sampling: 'json',
  prompt_version: 'value',
  source: 'value',
  archived_at: 'skip',
  created_at: 'value',
  interviews: 'value',
});

export const toInterview = rowMapper<InterviewRow, Interview>()({
  id: 'value',
  character_id: 'value',
  job_id: 'value',
  system_id: 'value',
  question_id: 'value',
  set_id: 'value',
  set_version: 'value',
  topic_id: 'value',
  question: 'value',
  mode: 'value',
  rounds: 'value',
  status: 'value',
  error: 'value',
  created_at: 'value',
  updated_at: 'value',
  rounds_done: 'value',
  nonstop: 'flag',
});

export const toTurn = rowMapper<TurnRow, InterviewTurn>()({
  id: 'value',
  interview_id: 'value',
  round: 'value',
  seq: 'value',
  role: 'value',
  speaker: 'value',
  action: 'value',
  raw_action: 'value',
  text: 'value',
  nonstop: 'flag',
  source: 'value',
  call_id: 'value',
  created_at: 'value',
});
