import fs from 'node:fs';
import { z } from 'zod';
import type { CatalogModel } from '../../../common/contract';

/** The curated list (resources/models/catalog.json), read once per call: it is a few lines. */
const catalogSchema = z.object({
  models: z.array(
    z.object({
      id: z.string().regex(/^[a-z0-9._-]+$/),
      name: z.string(),
      file: z.string().regex(/^[^/\\]+\.gguf$/),
      path: z.string(),
      sizeBytes: z.number().int().positive(),
      licence: z.string(),
      goodFor: z.string(),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .nullable(),
    }),
  ),
});

export const DEFAULT_MODEL_BASE_URL = 'https://huggingface.co';

/** The list with each model's URL under `baseUrl` (Hugging Face, or a mirror or test server). */
export function readCatalog(file: string, baseUrl: string): CatalogModel[] {
  if (!fs.existsSync(file)) return [];
  const base = baseUrl.replace(/\/+$/, '');
  return catalogSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))).models.map(({ path, ...model }) => ({
    ...model,
    url: `${base}/${path}`,
  }));
}
