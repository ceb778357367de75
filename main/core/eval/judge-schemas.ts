import { z } from 'zod';
import type {
  CharacterId,
  EvalSystemId,
  InterviewId,
  JobId,
  JudgeCommands,
  JudgeDimension,
  ProviderId,
} from '../../../common/contract';
import { DIMENSIONS } from './judge-prompts';
import { MAX_JUDGE_RETRIES } from './judge-ask';

/** Boundary validation of the judge's commands (joined into `commandSchemas`); unknown keys are refused. */

// Ids are opaque strings checked for shape (as in schemas.ts).
const id = <T extends string>() => z.string().min(1).max(100) as unknown as z.ZodType<T>;
const characterId = id<CharacterId>();
const systemId = id<EvalSystemId>();
const dimension = z.enum(DIMENSIONS as [JudgeDimension, ...JudgeDimension[]]);

type JudgeSchemas = { [K in keyof JudgeCommands]: z.ZodType<Parameters<JudgeCommands[K]>[0]> };

export const judgeSchemas: JudgeSchemas = {
  'eval/judge/start': z
    .object({
      characterId,
      systemIds: z.array(systemId).max(100).optional(),
      providerId: id<ProviderId>().optional(),
      model: z.string().max(300).optional(),
      dimensions: z.array(dimension).min(1).max(DIMENSIONS.length).optional(),
      mode: z.enum(['single', 'multi']).optional(),
      pairwise: z.object({ a: systemId, b: systemId }).strict().optional(),
      scores: z.boolean().optional(),
      maxRetries: z.number().int().min(0).max(MAX_JUDGE_RETRIES).optional(),
      budgetUsd: z.number().positive().nullable().optional(),
    })
    .strict(),
  'eval/judgments/list': z
    .object({
      characterId,
      interviewId: id<InterviewId>().optional(),
      systemId: systemId.optional(),
      jobId: id<JobId>().optional(),
    })
    .strict(),
  'eval/judgments/summary': z.object({ characterId }).strict(),
  'eval/pairwise/list': z
    .object({ characterId, systemA: systemId.optional(), systemB: systemId.optional(), jobId: id<JobId>().optional() })
    .strict(),
  'eval/pairwise/summary': z.object({ characterId, systemA: systemId, systemB: systemId }).strict(),
};
