import fs from 'node:fs';
import { z } from 'zod';
import type { CatalogModel } from '../../../common/contract';

const SHA256 = /^[0-9a-f]{64}$/;
const COMMIT = /^[0-9a-f]{40}$/;

/**
 * One model of the curated list (resources/models/catalog.json). `sha256` and `revision` are null
 * where no trustworthy public source stated them: such a download is checked against the sha256
 * and size the host reports instead. A pinned sha256 comes with the file's exact size in bytes;
 * otherwise `sizeBytes` is approximate (for display only).
 */
export const catalogEntrySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9._-]+$/),
    name: z.string().min(1),
    /** Hugging Face repository, `owner/name`. */
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
    /** The commit the file is fetched at (`/resolve/<commit>/`), or null for the `main` branch. */
    revision: z.string().regex(COMMIT).nullable(),
    /** The file's name in the repository, and on disk. */
    file: z.string().regex(/^[^/\\]+\.gguf$/),
    sizeBytes: z.number().int().positive(),
    licence: z.string().min(1),
    goodFor: z.string().min(1),
    sha256: z.string().regex(SHA256).nullable(),
    /** Where the pinned facts were read (a URL or a description), for whoever updates the list. */
    source: z.string().min(1).optional(),
  })
  .strict();

export const catalogSchema = z.object({ about: z.string().optional(), models: z.array(catalogEntrySchema) }).strict();

export const DEFAULT_MODEL_BASE_URL = 'https://huggingface.co';

/** A catalog entry's download URL under `baseUrl` (Hugging Face, or a mirror or test server). */
export function catalogUrl(entry: z.infer<typeof catalogEntrySchema>, baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${entry.repo}/resolve/${entry.revision ?? 'main'}/${entry.file}`;
}

/** The list with each model's URL under `baseUrl`; read on each call (it is a few lines). */
export function readCatalog(file: string, baseUrl: string): CatalogModel[] {
  if (!fs.existsSync(file)) return [];
  return catalogSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))).models.map((entry) => ({
    id: entry.id,
    name: entry.name,
    file: entry.file,
    url: catalogUrl(entry, baseUrl),
    revision: entry.revision,
    sizeBytes: entry.sizeBytes,
    licence: entry.licence,
    goodFor: entry.goodFor,
    sha256: entry.sha256,
  }));
}
