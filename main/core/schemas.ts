import { z } from 'zod';
import type {
  CallId,
  CharacterId,
  ChunkId,
  CommandArg,
  CommandName,
  GenerationSettings,
  JobId,
  ProfileId,
  ProviderDraft,
  ProviderId,
  RunId,
  SceneDoc,
  SceneId,
} from '../../common/contract';
import { SEARCH_MAX_CHARS } from '../../common/search-query';
import { chatSchemas, id } from './chat/chat-schemas';
import { evalSchemas } from './eval/eval-schemas';
import { judgeSchemas } from './eval/judge-schemas';
import { onboardingSchemas } from './onboarding/onboarding-handlers';
import { modelSchemas } from './models/model-handlers';
import { reportSchemas } from './eval/report-schemas';
import { trainingSchemas } from './training/training-schemas';

/**
 * Boundary validation: one schema per command, typed so that each parses to exactly the contract's
 * argument. Unknown keys are rejected so a typo in a client fails loudly instead of being ignored.
 */

// zod brands differ from the contract's; ids are opaque strings checked for shape here (`id`).
const characterId = id<CharacterId>();
const profileId = id<ProfileId>();
const chunkId = id<ChunkId>();
const providerId = id<ProviderId>();
const jobId = id<JobId>();
const sceneId = id<SceneId>();
const callId = id<CallId>();

/**
 * A scene as the editor saves it. Limits are generous (a 10,000-turn scene fits) but bounded, so a
 * runaway client cannot write megabytes per field.
 */
const sceneText = (max: number) => z.string().max(max);
const sceneDoc = z
  .object({
    type: sceneText(500),
    location: sceneText(2000),
    time: sceneText(500),
    background: sceneText(20_000),
    people: z.array(sceneText(200)).max(200),
    experienceBackground: sceneText(20_000),
    turns: z
      .array(
        z
          .object({
            speaker: sceneText(200),
            kind: z.enum(['speaking', 'thinking', 'action']),
            text: sceneText(20_000),
          })
          .strict(),
      )
      .max(20_000),
  })
  .strict() as z.ZodType<SceneDoc>;
const revisionNumber = z.number().int().min(1);
const proposalId = z.string().min(1).max(100);
const revisionRef = z.union([
  revisionNumber,
  z.enum(['original', 'current']),
  z.object({ proposal: proposalId }).strict(),
  z.object({ doc: sceneDoc, basedOn: revisionNumber }).strict(),
]);

const stage = z.enum(['limits', 'scenes', 'experiences', 'protective']);
const reviewStatus = z.enum(['unreviewed', 'accepted', 'rejected']);
const rating = z.number().int().min(1, 'A rating is from 1 to 5').max(5, 'A rating is from 1 to 5');
const tag = z.string().trim().min(1, 'A tag cannot be empty').max(40, 'A tag is at most 40 characters');
/** `SceneFilter`'s fields, shared by the list and the review commands. */
const sceneFilterFields = {
  protective: z.boolean().optional(),
  problems: z.boolean().optional(),
  status: reviewStatus.optional(),
  rating: rating.nullable().optional(),
  tag: tag.optional(),
  waiting: z.boolean().optional(),
  kind: z.enum(['normal', 'protective', 'hand', 'chat_correction']).optional(),
  search: z.string().max(SEARCH_MAX_CHARS, `A search is at most ${SEARCH_MAX_CHARS} characters`).optional(),
  chunkId: chunkId.optional(),
  promptVersion: z.string().min(1).max(200).optional(),
  model: z.string().min(1).max(300).optional(),
  speaker: z.string().min(1).max(200).optional(),
  minTurns: z.number().int().min(0).optional(),
  maxTurns: z.number().int().min(0).optional(),
};
const sceneFilter = z.object(sceneFilterFields).strict();
const presets = z.enum(['openai', 'ollama', 'lmstudio', 'llamacpp', 'vllm', 'openrouter', 'custom', 'embedded']);
const providerFields = {
  name: z.string().max(120),
  preset: presets,
  baseUrl: z.string().max(2000),
  model: z.string().max(300),
  modelPath: z.string().max(4096),
  apiKey: z.string().max(4096).optional(),
  maxConcurrency: z.number().int().min(1).max(256),
  requestsPerMinute: z.number().int().min(0).max(100_000),
  timeoutMs: z.number().int().min(1000).max(3_600_000),
  structuredOutput: z.boolean(),
};
const providerDraft = z.object(providerFields).strict() as z.ZodType<ProviderDraft>;
const providerPatch = z
  .object({
    id: providerId,
    name: providerFields.name.optional(),
    preset: providerFields.preset.optional(),
    baseUrl: providerFields.baseUrl.optional(),
    model: providerFields.model.optional(),
    modelPath: providerFields.modelPath.optional(),
    apiKey: providerFields.apiKey,
    maxConcurrency: providerFields.maxConcurrency.optional(),
    requestsPerMinute: providerFields.requestsPerMinute.optional(),
    timeoutMs: providerFields.timeoutMs.optional(),
    structuredOutput: providerFields.structuredOutput.optional(),
  })
  .strict();
const generationPreset = z.enum(['studio', 'paper']);
const settings = z
  .object({
    providerId,
    preset: generationPreset.optional(),
    targetScenes: z.number().int().min(1).max(20_000),
    scenesPerCall: z.number().int().min(1).max(40),
    protectiveShare: z.number().min(0).max(0.2),
    temperature: z.number().min(0).max(2),
    topP: z.number().gt(0).max(1),
    maxTokens: z.number().int().min(256).max(32_000),
    budgetUsd: z.number().positive().nullable(),
    dedupeThreshold: z.number().gt(0).max(1),
  })
  .strict() as z.ZodType<GenerationSettings>;
/** Scenes to add on top of what the character has (`generate --more N`). */
const more = z.number().int().min(1).max(20_000).optional();
const price = z
  .object({
    model: z.string().min(1).max(300),
    promptPerMillion: z.number().min(0),
    completionPerMillion: z.number().min(0),
  })
  .strict();

const name = z.string().max(200);
const draft = {
  fullName: name,
  shortName: z.string().max(80),
  era: z.string().max(200),
  notes: z.string().max(20_000),
};

const empty = z.object({}).strict() as unknown as z.ZodType<Record<string, never>>;

type Schemas = { [K in CommandName]: z.ZodType<CommandArg<K>> };

export const commandSchemas: Schemas = {
  ...chatSchemas,
  ...evalSchemas,
  ...judgeSchemas,
  ...onboardingSchemas,
  ...modelSchemas,
  ...reportSchemas,
  ...trainingSchemas,
  'app/info': empty,
  'app/check-database': empty,
  'characters/list': empty,
  'characters/get': z.object({ id: characterId }).strict(),
  'characters/create': z.object(draft).strict(),
  'characters/update': z
    .object({
      id: characterId,
      fullName: draft.fullName.optional(),
      shortName: draft.shortName.optional(),
      era: draft.era.optional(),
      notes: draft.notes.optional(),
    })
    .strict(),
  'characters/delete': z.object({ id: characterId }).strict(),
  'characters/image': z.object({ id: characterId }).strict(),
  'profiles/list': z.object({ characterId }).strict(),
  'profiles/import': z
    .object({
      characterId,
      text: z.string().optional(),
      // Checked as base64 while it is decoded, a piece at a time (profile-text.ts `base64Steps`):
      // one regular expression over 10 MB would hold the door for tens of milliseconds.
      fileBase64: z.string().optional(),
      fileName: z.string().max(255).optional(),
      title: z.string().max(200).optional(),
    })
    .strict(),
  'profiles/wikipedia': z
    .object({
      characterId,
      article: z.string().min(1).max(2000),
      lang: z.string().max(30).optional(),
      title: z.string().max(200).optional(),
    })
    .strict(),
  'cards/import': z
    .object({
      // Checked as base64 while decoded, a piece at a time (see profiles/import).
      fileBase64: z.string(),
      fileName: z.string().max(255),
      characterId: characterId.optional(),
    })
    .strict(),
  'cards/export': z
    .object({
      characterId,
      format: z.enum(['v2-png', 'v3-png', 'v2-json', 'v3-json']),
      runId: id<RunId>().optional(),
    })
    .strict(),
  'profiles/rename': z.object({ id: profileId, title: z.string().max(200) }).strict(),
  'profiles/delete': z.object({ id: profileId }).strict(),
  'chunks/update': z.object({ id: chunkId, text: z.string() }).strict(),
  'chunks/split': z.object({ id: chunkId, offset: z.number().int().min(0) }).strict(),
  'chunks/merge': z.object({ id: chunkId }).strict(),
  'chunks/delete': z.object({ id: chunkId }).strict(),

  'providers/presets': empty,
  'providers/list': empty,
  'providers/create': providerDraft,
  'providers/update': providerPatch,
  'providers/delete': z.object({ id: providerId }).strict(),
  'providers/test': z
    .object({ id: providerId.optional(), draft: providerDraft.optional() })
    .strict()
    .refine((arg) => arg.id !== undefined || arg.draft !== undefined, {
      message: 'Give the id of a saved provider, or the draft settings to test.',
    }),
  'prices/list': empty,
  'prices/set': price,
  'limits/list': z.object({ characterId }).strict(),
  'limits/save': z.object({ characterId, limits: z.array(z.string().max(300)).max(500) }).strict(),
  'limits/generate': z.object({ characterId, providerId }).strict(),
  'prompts/list': z.object({ characterId }).strict(),
  'prompts/save': z.union([
    z.object({ characterId, stage, system: z.string().max(20_000), template: z.string().max(50_000) }).strict(),
    z.object({ characterId, stage, reset: z.literal(true) }).strict(),
  ]),
  'generation/defaults': z.object({ characterId, preset: generationPreset.optional() }).strict(),
  'generation/estimate': z.object({ characterId, settings, more }).strict(),
  'generation/start': z.object({ characterId, settings, more }).strict(),
  'generation/preferences': empty,
  'generation/set-preferences': z.object({ confirmAboveUsd: z.number().min(0).max(1_000_000) }).strict(),
  'jobs/list': z.object({ characterId }).strict(),
  'jobs/get': z.object({ id: jobId }).strict(),
  'jobs/match': z.object({ key: z.string().trim().min(1).max(200) }).strict(),
  'jobs/pause': z.object({ id: jobId }).strict(),
  'jobs/resume': z.object({ id: jobId }).strict(),
  'jobs/set-budget': z.object({ id: jobId, budgetUsd: z.number().positive().max(1_000_000).nullable() }).strict(),
  'jobs/cancel': z.object({ id: jobId }).strict(),
  'jobs/retry': z.object({ id: jobId, itemId: z.string().max(100).optional() }).strict(),
  'scenes/list': z
    .object({
      characterId,
      limit: z.number().int().min(1).max(500),
      after: z.string().min(1).max(200).optional(),
      through: z.string().min(1).max(200).optional(),
      sort: z.enum(['newest', 'oldest', 'turns', 'words', 'rating', 'chunk']).optional(),
      ...sceneFilterFields,
    })
    .strict(),
  'scenes/facets': z.object({ characterId, filter: sceneFilter.optional() }).strict(),
  'scenes/get': z.object({ id: sceneId }).strict(),
  'scenes/match': z.object({ key: z.string().trim().min(1).max(200) }).strict(),
  'dataset/stats': z.object({ characterId }).strict(),
  'dataset/charts': z.object({ characterId }).strict(),
  'dataset/compare': empty,
  'scenes/open': z.object({ id: sceneId }).strict(),
  'scenes/save': z.object({ id: sceneId, baseRevision: revisionNumber, doc: sceneDoc }).strict(),
  'scenes/revisions': z.object({ id: sceneId }).strict(),
  'scenes/diff': z.object({ id: sceneId, from: revisionRef, to: revisionRef }).strict(),
  'scenes/restore': z.object({ id: sceneId, revision: revisionNumber, baseRevision: revisionNumber }).strict(),
  'scenes/create': z.object({ characterId, doc: sceneDoc }).strict(),
  'scenes/duplicate': z.object({ id: sceneId, doc: sceneDoc.optional() }).strict(),
  'dataset/export': z
    .object({
      characterIds: z.array(characterId).min(1).max(100),
      format: z.enum(['paper', 'sharegpt', 'openai', 'alpaca', 'hf']),
      out: z.string().min(1).max(4096),
      kinds: z
        .array(z.enum(['normal', 'protective', 'hand', 'chat_correction']))
        .min(1)
        .optional(),
      trainShare: z.number().gt(0).max(1).optional(),
      seed: z.number().int().optional(),
      includeProblems: z.boolean().optional(),
      licence: z.string().min(1).max(100).optional(),
      requestId: z.string().min(1).max(100).optional(),
    })
    .strict(),
  'dataset/import': z
    .object({
      characterId,
      format: z
        .enum(['paper', 'sharegpt', 'openai', 'alpaca', 'hf', 'paper-dialogue', 'paper-scenes', 'auto'])
        .optional(),
      path: z.string().min(1).max(4096).optional(),
      fileBase64: z
        .string()
        .max(12 * 1024 * 1024)
        .optional(),
      fileName: z.string().max(500).optional(),
      requestId: z.string().min(1).max(100).optional(),
    })
    .strict(),
  'dataset/io-cancel': z.object({ requestId: z.string().min(1).max(100) }).strict(),
  'scenes/regenerate': z
    .object({
      characterId,
      ids: z.array(sceneId).min(1).max(100_000).optional(),
      filter: sceneFilter.optional(),
      // Length is checked by the service after trimming, with a message saying the limit.
      instruction: z.string().max(100_000),
      turn: z.number().int().min(0).max(1_000_000).optional(),
      providerId: providerId.optional(),
    })
    .strict(),
  'scenes/proposals': z.object({ id: sceneId }).strict(),
  'scenes/adopt': z.object({ id: sceneId, proposalId, baseRevision: revisionNumber }).strict(),
  'review/set': z
    .object({
      characterId,
      ids: z.array(sceneId).min(1).max(100_000).optional(),
      filter: sceneFilter.optional(),
      status: reviewStatus.optional(),
      rating: rating.nullable().optional(),
      addTags: z.array(tag).max(20).optional(),
      removeTags: z.array(tag).max(20).optional(),
    })
    .strict(),
  'review/undo': z.object({ characterId }).strict(),
  'review/last': z.object({ characterId }).strict(),
  'review/counts': z.object({ characterId, filter: sceneFilter.optional() }).strict(),
  'scenes/complete': z.object({ characterId, providerId }).strict(),
  'scenes/delete': z.object({ characterId, ids: z.array(sceneId).min(1).max(100_000) }).strict(),
  'calls/get': z.object({ id: callId }).strict(),
};

export const commandNames = Object.keys(commandSchemas) as CommandName[];

export function isCommandName(value: string): value is CommandName {
  return Object.prototype.hasOwnProperty.call(commandSchemas, value);
}

/** "fullName: expected string, received number; title: too long" */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'argument'}: ${issue.message}`)
    .join('; ');
}
