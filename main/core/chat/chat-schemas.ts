import { z } from 'zod';
import type {
  CharacterId,
  ChatCommands,
  ChatMessageId,
  ConversationId,
  ProviderId,
  RunId,
  SceneId,
} from '../../../common/contract';

/** The most tokens one reply may ask for (the Chat tab's settings check the same). */
export const MAX_REPLY_TOKENS = 32_768;

/** Boundary validation of the chat commands (joined into `commandSchemas`); unknown keys are refused. */

// Ids are opaque strings checked for shape (as in schemas.ts).
export const id = <T extends string>() => z.string().min(1).max(100) as unknown as z.ZodType<T>;
const conversationId = id<ConversationId>();
const messageId = id<ChatMessageId>();
const characterId = id<CharacterId>();
const runtime = z.enum(['embedded', 'served', 'endpoint']);
const target = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('run'), runId: id<RunId>() }).strict(),
  z.object({ kind: z.literal('baseline'), providerId: id<ProviderId>(), model: z.string().max(300) }).strict(),
]);
/** Who the user speaks as: one line of a name, spaces folded. */
const userName = z
  .string()
  .max(200)
  .transform((name) => name.replace(/\s+/g, ' ').trim())
  .optional();
const setting = z.object({ location: z.string().max(2_000), status: z.string().max(20_000) }).strict();
const fullSampling = z
  .object({
    temperature: z.number().min(0).max(2),
    topP: z.number().gt(0).max(1),
    // 32k: a long-form reply of a model that does not end it (`ignoreEos`), or a thinking model's budget.
    maxTokens: z.number().int().min(1).max(MAX_REPLY_TOKENS),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    ignoreEos: z.boolean().optional(),
  })
  .strict();
/** A reply's sampling, every field optional (the evaluation's systems take it too). */
export const sampling = fullSampling.partial();
const text = z.string().max(50_000);

type ChatSchemas = { [K in keyof ChatCommands]: z.ZodType<Parameters<ChatCommands[K]>[0]> };

export const chatSchemas: ChatSchemas = {
  'chat/targets': z.object({ characterId }).strict(),
  'chat/list': z.object({ characterId, query: z.string().max(500).optional() }).strict(),
  'chat/create': z
    .object({
      characterId,
      target,
      runtime,
      setting: setting.optional(),
      sceneId: id<SceneId>().optional(),
      title: z.string().max(200).optional(),
      userName,
      sampling: sampling.optional(),
    })
    .strict(),
  'chat/get': z.object({ id: conversationId }).strict(),
  'chat/match': z.object({ key: z.string().trim().min(1).max(200) }).strict(),
  'chat/update': z
    .object({
      id: conversationId,
      title: z.string().max(200).optional(),
      setting: setting.optional(),
      settingFromSceneId: id<SceneId>().optional(),
      userName,
      target: target.optional(),
      runtime: runtime.optional(),
      sampling: fullSampling.optional(),
    })
    .strict(),
  'chat/delete': z.object({ id: conversationId }).strict(),
  'chat/send': z.object({ conversationId, text, sampling: sampling.optional() }).strict(),
  'chat/reply': z.object({ conversationId, parentId: messageId, sampling: sampling.optional() }).strict(),
  'chat/continue': z.object({ conversationId, messageId, sampling: sampling.optional() }).strict(),
  'chat/stop': z.object({ conversationId }).strict(),
  'chat/edit': z.object({ messageId, text, reasoning: text.nullable().optional() }).strict(),
  'chat/select': z
    .object({ messageId, branch: z.boolean().optional(), conversationId: conversationId.optional() })
    .strict(),
  'chat/export': z.object({ id: conversationId, format: z.enum(['markdown', 'json']) }).strict(),
  'chat/correct': z.object({ messageId }).strict(),
};
