import { z } from 'zod';
import type {
  CharacterId,
  EvalCommands,
  EvalSystemId,
  InterviewId,
  JobId,
  ProviderId,
  QuestionSetId,
  RunId,
} from '../../../common/contract';
import { id, sampling } from '../chat/chat-schemas';
import { MAX_QUESTION_CHARS, MAX_QUESTION_FILE_CHARS, MAX_QUESTIONS } from './question-file';

/** Boundary validation of the evaluation commands (joined into `commandSchemas`); unknown keys are refused. */

const characterId = id<CharacterId>();
const setId = id<QuestionSetId>();
const systemId = id<EvalSystemId>();
const providerId = id<ProviderId>();
const mode = z.enum(['single', 'multi']);
const version = z.number().int().min(1);
const name = z.string().max(200);
const draft = z
  .object({
    key: z.string().min(1).max(100).optional(),
    topicId: z.string().max(100),
    topic: z.string().max(300).optional(),
    text: z.string().max(MAX_QUESTION_CHARS * 2),
    mode,
  })
  .strict();
const drafts = z.array(draft).max(MAX_QUESTIONS);
const answerer = z.discriminatedUnion('runtime', [
  z.object({ runtime: z.literal('embedded'), runId: id<RunId>() }).strict(),
  z.object({ runtime: z.literal('served'), runId: id<RunId>() }).strict(),
  z
    .object({
      runtime: z.literal('endpoint'),
      providerId,
      model: z.string().max(300),
      runId: id<RunId>().nullable(),
    })
    .strict(),
]);
type EvalSchemas = { [K in keyof EvalCommands]: z.ZodType<Parameters<EvalCommands[K]>[0]> };

export const evalSchemas: EvalSchemas = {
  'eval/questions/list': z.object({ characterId }).strict(),
  'eval/questions/get': z.object({ setId, version: version.optional() }).strict(),
  'eval/questions/generate': z
    .object({
      characterId,
      providerId: providerId.optional(),
      model: z.string().max(300).optional(),
      perTopic: z.number().int().min(0).max(100).optional(),
      goalsPerTopic: z.number().int().min(0).max(100).optional(),
      name: name.optional(),
    })
    .strict(),
  'eval/questions/import': z
    .object({
      characterId,
      fileName: z.string().min(1).max(255),
      // A little over the limit so the service, not zod, says how big the file is.
      content: z.string().max(MAX_QUESTION_FILE_CHARS + 1),
      mode: mode.optional(),
      topicId: z.string().trim().min(1).max(100).optional(),
      setId: setId.optional(),
      name: name.optional(),
    })
    .strict(),
  'eval/questions/create': z.object({ characterId, name, questions: drafts.optional() }).strict(),
  'eval/questions/save': z
    .object({
      setId,
      baseVersion: version,
      questions: drafts,
      name: name.optional(),
      note: z.string().max(500).optional(),
    })
    .strict(),
  'eval/questions/archive': z.object({ setId }).strict(),
  'eval/systems/list': z.object({ characterId }).strict(),
  'eval/systems/create': z.union([
    z
      .object({
        characterId,
        kind: z.enum(['run', 'base', 'prompted']),
        answerer,
        label: z.string().max(200).optional(),
        sampling: sampling.optional(),
      })
      .strict(),
    z
      .object({ characterId, kind: z.literal('imported'), label: z.string().max(200), source: z.string().max(2_000) })
      .strict(),
  ]),
  'eval/systems/archive': z.object({ id: systemId }).strict(),
  'eval/interviews/start': z
    .object({
      characterId,
      systemIds: z.array(systemId).min(1).max(50),
      setId,
      version: version.optional(),
      mode: mode.optional(),
      rounds: z.number().int().min(1).max(20).optional(),
      interviewerProviderId: providerId.optional(),
      interviewerModel: z.string().max(300).optional(),
      budgetUsd: z.number().gt(0).nullable().optional(),
    })
    .strict(),
  'eval/interviews/list': z
    .object({
      characterId,
      jobId: id<JobId>().optional(),
      systemId: systemId.optional(),
      setId: setId.optional(),
      mode: mode.optional(),
    })
    .strict(),
  'eval/interviews/get': z.object({ id: id<InterviewId>() }).strict(),
  'eval/interviews/match': z.object({ key: z.string().trim().min(1).max(200) }).strict(),
};
