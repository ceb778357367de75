import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogSchema, DEFAULT_MODEL_BASE_URL, readCatalog } from '../../../main/core/models/model-catalog';
import { repoRoot } from '../../support/paths';

/** The curated list as shipped (resources/models/catalog.json), held to its schema and to what it claims. */
const file = path.join(repoRoot, 'resources', 'models', 'catalog.json');

describe('the curated model list', () => {
  it('matches its schema: https URLs, a licence, a size, and sha256 and commit in their formats where pinned', () => {
    const parsed = catalogSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    expect(parsed.error?.issues ?? []).toEqual([]);
    const models = readCatalog(file, DEFAULT_MODEL_BASE_URL);
    expect(models.length).toBeGreaterThanOrEqual(3);
    expect(new Set(models.map((m) => m.id)).size).toBe(models.length);
    expect(new Set(models.map((m) => m.file)).size).toBe(models.length);
    for (const model of models) {
      const url = new URL(model.url);
      expect(url.protocol).toBe('https:');
      expect(url.pathname).toBe(
        `/${parsed.data!.models.find((m) => m.id === model.id)!.repo}/resolve/${model.revision ?? 'main'}/${model.file}`,
      );
      expect(model.licence.trim()).not.toBe('');
      expect(Number.isSafeInteger(model.sizeBytes) && model.sizeBytes > 0).toBe(true);
      if (model.sha256 !== null) {
        expect(model.sha256).toMatch(/^[0-9a-f]{64}$/);
        // A pinned hash is only meaningful for one file: it comes with the commit that holds it.
        expect(model.revision).toMatch(/^[0-9a-f]{40}$/);
      }
    }
  });

  it('refuses an entry out of schema, naming the field', () => {
    const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as { models: Record<string, unknown>[] };
    const bad = { models: [{ ...entry.models[0], sha256: 'not-a-hash' }] };
    const issues = catalogSchema.safeParse(bad).error?.issues ?? [];
    expect(issues.map((i) => i.path.join('.'))).toEqual(['models.0.sha256']);
    const unknown = { models: [{ ...entry.models[0], sha: 'x' }] };
    expect(catalogSchema.safeParse(unknown).success).toBe(false);
  });
});
