import type { ModelPrice, Provider, ProviderId, ProviderKind, ProviderPreset } from '../../common/contract';
import type { Db } from './database';

interface ProviderRow {
  id: string;
  name: string;
  kind: ProviderKind;
  preset: ProviderPreset;
  base_url: string;
  model: string;
  model_path: string;
  has_api_key: number;
  max_concurrency: number;
  requests_per_minute: number;
  timeout_ms: number;
  structured_output: number;
  created_at: number;
  updated_at: number;
}

export type ProviderRecord = Omit<Provider, 'createdAt' | 'updatedAt'>;

export class ProvidersRepo {
  constructor(private readonly db: Db) {}

  list(): Provider[] {
    return (this.db.prepare('SELECT * FROM providers ORDER BY name COLLATE NOCASE').all() as ProviderRow[]).map(
      toProvider,
    );
  }

  get(id: ProviderId): Provider | undefined {
    const row = this.db.prepare('SELECT * FROM providers WHERE id = ?').get(id) as ProviderRow | undefined;
    return row && toProvider(row);
  }

  nameTaken(name: string, except?: ProviderId): boolean {
    return (
      this.db.prepare('SELECT 1 FROM providers WHERE name = ? COLLATE NOCASE AND id != ?').get(name, except ?? '') !==
      undefined
    );
  }

  upsert(p: ProviderRecord, now: number): void {
    this.db
      .prepare(
        `INSERT INTO providers (id, name, kind, preset, base_url, model, model_path, has_api_key, max_concurrency,
           requests_per_minute, timeout_ms, structured_output, created_at, updated_at)
         VALUES (@id, @name, @kind, @preset, @baseUrl, @model, @modelPath, @hasApiKey, @maxConcurrency,
           @requestsPerMinute, @timeoutMs, @structuredOutput, @now, @now)
         ON CONFLICT (id) DO UPDATE SET name = @name, kind = @kind, preset = @preset, base_url = @baseUrl,
           model = @model, model_path = @modelPath, has_api_key = @hasApiKey, max_concurrency = @maxConcurrency,
           requests_per_minute = @requestsPerMinute, timeout_ms = @timeoutMs,
           structured_output = @structuredOutput, updated_at = @now`,
      )
      .run({
        ...p,
        hasApiKey: p.hasApiKey ? 1 : 0,
        structuredOutput: p.structuredOutput ? 1 : 0,
        now,
      });
  }

  delete(id: ProviderId): boolean {
    return this.db.prepare('DELETE FROM providers WHERE id = ?').run(id).changes > 0;
  }

  prices(): ModelPrice[] {
    return (
      this.db
        .prepare('SELECT model, prompt_per_million, completion_per_million FROM model_prices ORDER BY model')
        .all() as { model: string; prompt_per_million: number; completion_per_million: number }[]
    ).map((r) => ({
      model: r.model,
      promptPerMillion: r.prompt_per_million,
      completionPerMillion: r.completion_per_million,
    }));
  }

  setPrice(price: ModelPrice, now: number): void {
    this.db
      .prepare(
        `INSERT INTO model_prices (model, prompt_per_million, completion_per_million, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (model) DO UPDATE SET prompt_per_million = excluded.prompt_per_million,
           completion_per_million = excluded.completion_per_million, updated_at = excluded.updated_at`,
      )
      .run(price.model, price.promptPerMillion, price.completionPerMillion, now);
  }

  deletePrice(model: string): void {
    this.db.prepare('DELETE FROM model_prices WHERE model = ?').run(model);
  }
}

function toProvider(row: ProviderRow): Provider {
  return {
    id: row.id as ProviderId,
    name: row.name,
    kind: row.kind,
    preset: row.preset,
    baseUrl: row.base_url,
    model: row.model,
    modelPath: row.model_path,
    hasApiKey: row.has_api_key === 1,
    maxConcurrency: row.max_concurrency,
    requestsPerMinute: row.requests_per_minute,
    timeoutMs: row.timeout_ms,
    structuredOutput: row.structured_output === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
