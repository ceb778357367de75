import { z } from 'zod';
import type { CharacterId, ChunkId, CommandArg, CommandName, ProfileId } from '../../common/contract';

/**
 * Boundary validation: one schema per command, typed so that each parses to exactly the contract's
 * argument. Unknown keys are rejected so a typo in a client fails loudly instead of being ignored.
 */

// zod brands differ from the contract's; ids are opaque strings checked for shape here.
const id = <T extends string>() => z.string().min(1).max(100) as unknown as z.ZodType<T>;
const characterId = id<CharacterId>();
const profileId = id<ProfileId>();
const chunkId = id<ChunkId>();

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
  'app/info': empty,
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
  'profiles/list': z.object({ characterId }).strict(),
  'profiles/import': z
    .object({
      characterId,
      text: z.string().optional(),
      fileBase64: z
        .string()
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')
        .optional(),
      fileName: z.string().max(255).optional(),
      title: z.string().max(200).optional(),
    })
    .strict(),
  'profiles/rename': z.object({ id: profileId, title: z.string().max(200) }).strict(),
  'profiles/delete': z.object({ id: profileId }).strict(),
  'chunks/update': z.object({ id: chunkId, text: z.string() }).strict(),
  'chunks/split': z.object({ id: chunkId, offset: z.number().int().min(0) }).strict(),
  'chunks/merge': z.object({ id: chunkId }).strict(),
  'chunks/delete': z.object({ id: chunkId }).strict(),
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
