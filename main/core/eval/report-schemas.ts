import { z } from 'zod';
import type { CharacterId, CommandArg, EvalReportCommands } from '../../../common/contract';

/** Boundary validation of the report and output-import commands (joined into `commandSchemas`). */

const id = z.string().min(1).max(100);
const characterId = id as unknown as z.ZodType<CharacterId>;
const mode = z.enum(['single', 'multi']);
const topics = z.array(z.string().min(1).max(100)).max(100);
const judge = z.string().min(1).max(300);
const resamples = z.number().int().min(1).max(100_000);
const seed = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

const report = {
  characterId,
  systemIds: z.array(id).max(50).optional(),
  topics: topics.optional(),
  modes: z.array(mode).min(1).max(2).optional(),
  judge: judge.optional(),
  resamples: resamples.optional(),
  seed: seed.optional(),
};

type ReportSchemas = { [K in keyof EvalReportCommands]: z.ZodType<CommandArg<K>> };

export const reportSchemas: ReportSchemas = {
  'eval/report': z.object(report).strict(),
  'eval/report-answers': z
    .object({
      characterId,
      systemId: id,
      mode,
      topics: topics.optional(),
      judge: judge.optional(),
      questionKey: z.string().max(20_000).optional(),
    })
    .strict(),
  'eval/report-compare': z
    .object({
      characterId,
      a: id,
      b: id,
      mode,
      topics: topics.optional(),
      judge: judge.optional(),
      resamples: resamples.optional(),
      seed: seed.optional(),
    })
    .strict(),
  'eval/report-export': z
    .object({ ...report, format: z.enum(['json', 'csv', 'html']), out: z.string().min(1).max(4096).optional() })
    .strict(),
  'eval/import-outputs': z
    .object({
      paths: z.array(z.string().min(1).max(4096)).max(1000).optional(),
      files: z
        .array(z.object({ name: z.string().min(1).max(1000), base64: z.string().max(96 * 1024 * 1024) }).strict())
        .max(1000)
        .optional(),
      map: z.record(z.string().min(1).max(100), characterId).optional(),
      dryRun: z.boolean().optional(),
    })
    .strict()
    .refine((r) => (r.paths?.length ?? 0) + (r.files?.length ?? 0) > 0, {
      message: 'give a gen_results folder, a result folder or output files to import',
    }),
};
