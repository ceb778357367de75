import fs from 'node:fs';
import os from 'node:os';
import type {
  ConnectionCheck,
  ModelPrice,
  Provider,
  ProviderDraft,
  ProviderId,
  ProviderPreset,
  ProviderPresetInfo,
  ProviderTestTarget,
} from '../../../common/contract';
import type { ProvidersRepo } from '../../store/providers-repo';
import type { Clock, IdFactory } from '../clock';
import { errorText } from '../../../common/sentence';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { EmbeddedProvider } from '../llm/embedded-provider';
import { OpenAiCompatibleProvider } from '../llm/openai-provider';
import { OPENAI_PRESETS, type OpenAiPresetId } from '../llm/openai-presets';
import { RedactingProvider } from '../llm/redacting-provider';
import type { LlmProvider, PriceTable } from '../llm/types';
import { SecretRedactor } from '../redact';
import { resolveSecret, type SecretStore } from './secret-store';

/** Published list prices (US$ per million tokens) the user starts from and may edit. */
export const DEFAULT_PRICES: readonly ModelPrice[] = [
  { model: 'gpt-4o-mini', promptPerMillion: 0.15, completionPerMillion: 0.6 },
  { model: 'gpt-4o', promptPerMillion: 2.5, completionPerMillion: 10 },
  { model: 'gpt-4.1-mini', promptPerMillion: 0.4, completionPerMillion: 1.6 },
  { model: 'gpt-4.1', promptPerMillion: 2, completionPerMillion: 8 },
  { model: 'gpt-3.5-turbo', promptPerMillion: 0.5, completionPerMillion: 1.5 },
];

const EXAMPLE_MODEL: Record<ProviderPreset, string> = {
  openai: 'gpt-4o-mini',
  ollama: 'llama3.1:8b',
  lmstudio: 'qwen2.5-7b-instruct',
  llamacpp: 'default',
  vllm: 'Qwen/Qwen2.5-7B-Instruct',
  openrouter: 'openai/gpt-4o-mini',
  custom: '',
  embedded: '',
};

const secretRef = (id: ProviderId) => `provider:${id}:api-key`;

export interface ProviderServiceOptions {
  /** CPU threads for the embedded model (node-llama-cpp's own default oversubscribes small machines). */
  embeddedThreads?: number;
}

/** LLM endpoints the user configured, their keys (in the secret store) and the price table. */
export class ProviderService {
  private readonly embedded = new Map<string, EmbeddedProvider>();
  /** Masks every configured API key (all providers', as resolved now) in whatever passes through it. */
  readonly redactor = new SecretRedactor(() => this.configuredKeys());
  /** `configuredKeys` as of a version of the secret store. */
  private keys: { version: string; list: string[] } | null = null;

  constructor(
    private readonly repo: ProvidersRepo,
    private readonly secrets: SecretStore,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    private readonly options: ProviderServiceOptions = {},
  ) {}

  presets(): ProviderPresetInfo[] {
    const endpoints = Object.values(OPENAI_PRESETS).map((p) => ({
      id: p.id,
      label: p.label,
      kind: 'openai-compatible' as const,
      baseUrl: p.baseURL,
      needsApiKey: p.requiresApiKey,
      supportsJsonSchema: p.supportsJsonSchema,
      exampleModel: EXAMPLE_MODEL[p.id],
    }));
    return [
      {
        id: 'embedded',
        label: 'Embedded model (offline, a .gguf file)',
        kind: 'embedded',
        baseUrl: '',
        needsApiKey: false,
        supportsJsonSchema: true,
        exampleModel: '',
      },
      ...endpoints,
    ];
  }

  list(): Provider[] {
    return this.repo.list();
  }

  get(id: ProviderId): Provider {
    const provider = this.repo.get(id);
    if (!provider)
      throw new StudioFailure('not_found', 'That provider no longer exists. Choose another one in Settings.');
    return provider;
  }

  create(draft: ProviderDraft): Provider {
    return this.save(this.newId() as ProviderId, draft, false);
  }

  update(id: ProviderId, patch: Partial<ProviderDraft>): Provider {
    const current = this.get(id);
    this.disposeEmbedded(id);
    return this.save(id, { ...current, ...patch }, current.hasApiKey);
  }

  delete(id: ProviderId): { deleted: true } {
    this.get(id);
    this.disposeEmbedded(id);
    this.repo.delete(id);
    this.secrets.delete(secretRef(id));
    this.events.emit('providers/changed', { providerId: null });
    return { deleted: true };
  }

  /**
   * Tests a saved provider as saved, or a form's draft before it is saved (`draft`, with `id` when
   * the draft edits a saved provider: its stored key is used while the draft leaves `apiKey` out).
   * A draft may leave the model empty: the test then lists the models to pick from. Never throws
   * for what the user typed; every problem is reported in the check.
   */
  async test(target: ProviderTestTarget): Promise<ConnectionCheck> {
    let llm: LlmProvider;
    let transient: EmbeddedProvider | null = null;
    try {
      if (target.draft) {
        const saved = target.id === undefined ? null : this.get(target.id);
        const fields = this.endpointOf(target.draft, false);
        const apiKey =
          target.draft.apiKey !== undefined
            ? resolveSecret(target.draft.apiKey.trim() || undefined)
            : saved
              ? resolveSecret(this.secrets.get(secretRef(saved.id)))
              : undefined;
        llm = this.build({ ...target.draft, ...fields, name: target.draft.name.trim() || 'This provider' }, apiKey);
        if (llm instanceof EmbeddedProvider) transient = llm;
      } else if (target.id !== undefined) {
        llm = this.instance(target.id);
      } else {
        throw new StudioFailure('invalid_argument', 'Name the provider to test, or give the settings to test.');
      }
    } catch (error) {
      return { ok: false, summary: errorText(error), models: null, steps: [] };
    }
    try {
      const report = await llm.test(AbortSignal.timeout(120_000));
      return { ok: report.ok, summary: report.summary, models: report.models, steps: report.steps };
    } finally {
      // A draft's embedded model was loaded for this test only.
      if (transient) await transient.dispose();
    }
  }

  prices(): ModelPrice[] {
    const stored = this.repo.prices();
    const known = new Set(stored.map((p) => p.model));
    return [...stored, ...DEFAULT_PRICES.filter((p) => !known.has(p.model))].sort((a, b) =>
      a.model.localeCompare(b.model),
    );
  }

  setPrice(price: ModelPrice): ModelPrice[] {
    if (!price.model.trim()) throw new StudioFailure('invalid_argument', 'Name the model the price is for.');
    if (price.promptPerMillion < 0 || price.completionPerMillion < 0) {
      throw new StudioFailure('invalid_argument', 'Prices cannot be negative.');
    }
    this.repo.setPrice({ ...price, model: price.model.trim() }, this.clock.now());
    return this.prices();
  }

  priceTable(): PriceTable {
    return Object.fromEntries(this.prices().map((p) => [p.model, p]));
  }

  /** Whether calls to this provider cost money (local servers and the embedded model do not). */
  isMetered(provider: Provider): boolean {
    return provider.preset === 'openai' || provider.preset === 'openrouter' || provider.preset === 'custom';
  }

  /** The prices a gateway to this provider costs its calls with: none for one that does not bill. */
  pricesFor(provider: Provider): PriceTable {
    return this.isMetered(provider) ? this.priceTable() : {};
  }

  /**
   * Refuses a spending cap the studio could not hold: a budget is kept by counting each call's cost,
   * and a paid endpoint's call to a model with no price has none. `calls`: every provider (and the
   * model asked of it, when not its own) a job would call. Nothing for a budget of none, or for
   * local servers and the embedded model, which cost nothing.
   */
  assertBudgetCountable(
    budgetUsd: number | null,
    calls: readonly { provider: Provider; model?: string | null }[],
  ): void {
    if (budgetUsd === null) return;
    const table = this.priceTable();
    for (const { provider, model } of calls) {
      const asked = model || provider.model;
      if (!this.isMetered(provider) || table[asked]) continue;
      throw new StudioFailure(
        'invalid_argument',
        `A budget needs the price of every paid model the job calls, and ${asked} (provider "${provider.name}") has none: its calls could not be counted, so the budget could not stop them. Set its price under Settings → Prices (CLI: providers price ${asked} --prompt-price … --completion-price …), or run without a budget.`,
      );
    }
  }

  /**
   * Every provider API key in the secret store, `env:` references resolved: what `redactor` hides.
   * Read from the store alone (a key is stored before its provider's row, in this process or
   * another sharing the store, and a key left by a deleted provider is still hidden). Asked for on
   * every redaction (each call's answer, each event the web door sends), so the list is kept while
   * the store's version is unchanged.
   */
  configuredKeys(): string[] {
    const version = this.secrets.version?.();
    if (version !== undefined && this.keys?.version === version) return this.keys.list;
    const list = this.secrets
      .refs()
      .filter((ref) => /^provider:.+:api-key$/.test(ref))
      .map((ref) => resolveSecret(this.secrets.get(ref)))
      .filter((key): key is string => key !== undefined && key !== '');
    if (version !== undefined) this.keys = { version, list };
    return list;
  }

  /**
   * A ready-to-call provider for generation. Embedded models are loaded once and kept. What an
   * endpoint answers or reports passes through `redactor`: a server echoing any configured key
   * (in any encoding) cannot get it stored or shown.
   */
  instance(id: ProviderId): LlmProvider {
    const p = this.get(id);
    if (p.kind === 'embedded') {
      const cached = this.embedded.get(id);
      if (cached) return cached;
      const provider = this.build(p, undefined);
      if (provider instanceof EmbeddedProvider) this.embedded.set(id, provider);
      return provider;
    }
    return this.build(p, resolveSecret(this.secrets.get(secretRef(id))));
  }

  /**
   * The provider asking for `model` instead of its saved one (a chat baseline picks the model): an
   * endpoint is cheap to make per use; an embedded provider has its one file and is the cached one.
   */
  instanceFor(id: ProviderId, model: string): LlmProvider {
    const p = this.get(id);
    if (p.kind === 'embedded' || model.trim() === '' || model.trim() === p.model) return this.instance(id);
    return this.build({ ...p, model: model.trim() }, resolveSecret(this.secrets.get(secretRef(id))));
  }

  /** A provider from checked settings; the caller owns an embedded one (its `dispose`). */
  private build(
    p: Omit<Provider, 'id' | 'hasApiKey' | 'createdAt' | 'updatedAt'>,
    apiKey: string | undefined,
  ): LlmProvider {
    if (p.kind === 'embedded') {
      return new EmbeddedProvider({
        modelPath: p.modelPath,
        label: p.name,
        ...(p.model && { name: p.model }),
        threads: this.options.embeddedThreads ?? Math.max(1, os.availableParallelism()),
        sequences: Math.max(1, Math.min(p.maxConcurrency, 8)),
      });
    }
    if (OPENAI_PRESETS[p.preset as OpenAiPresetId]?.requiresApiKey && !apiKey) {
      throw new StudioFailure('invalid_argument', `${p.name} needs an API key. Add it in the provider's settings.`);
    }
    const endpoint = new OpenAiCompatibleProvider({
      preset: p.preset as OpenAiPresetId,
      baseURL: p.baseUrl,
      model: p.model,
      label: p.name,
      ...(apiKey && { apiKey }),
      supportsJsonSchema: p.structuredOutput,
      firstTokenTimeoutMs: p.timeoutMs,
    });
    return new RedactingProvider(endpoint, this.redactor);
  }

  async dispose(): Promise<void> {
    const all = [...this.embedded.values()];
    this.embedded.clear();
    await Promise.allSettled(all.map((p) => p.dispose()));
  }

  private disposeEmbedded(id: ProviderId): void {
    const cached = this.embedded.get(id);
    if (cached) {
      this.embedded.delete(id);
      void cached.dispose();
    }
  }

  private save(id: ProviderId, draft: ProviderDraft, hadKey: boolean): Provider {
    const name = draft.name.trim();
    if (!name) throw new StudioFailure('invalid_argument', 'Give the provider a name, e.g. "Ollama on this machine".');
    if (this.repo.nameTaken(name, id)) {
      throw new StudioFailure('conflict', `A provider named "${name}" already exists. Choose another name.`);
    }
    const { kind, baseUrl, model, modelPath } = this.endpointOf(draft, true);
    if (!(draft.maxConcurrency >= 1 && draft.maxConcurrency <= 256)) {
      throw new StudioFailure('invalid_argument', 'Concurrency must be between 1 and 256 requests at once.');
    }
    let hasApiKey = hadKey;
    if (draft.apiKey !== undefined) {
      const key = draft.apiKey.trim();
      if (key) this.secrets.set(secretRef(id), key);
      else this.secrets.delete(secretRef(id));
      hasApiKey = key !== '';
    }
    this.repo.upsert(
      {
        id,
        name,
        kind,
        preset: draft.preset,
        baseUrl,
        model,
        modelPath,
        hasApiKey,
        maxConcurrency: Math.round(draft.maxConcurrency),
        requestsPerMinute: Math.max(0, Math.round(draft.requestsPerMinute)),
        timeoutMs: Math.max(1000, Math.round(draft.timeoutMs)),
        structuredOutput: draft.structuredOutput,
      },
      this.clock.now(),
    );
    this.events.emit('providers/changed', { providerId: id });
    return this.get(id);
  }

  /**
   * Where a draft points, checked and trimmed. `requireModel`: saving needs a model; a connection
   * test does not, since it lists the models to pick from.
   */
  private endpointOf(
    draft: ProviderDraft,
    requireModel: boolean,
  ): Pick<Provider, 'kind' | 'baseUrl' | 'model' | 'modelPath'> {
    const kind = draft.preset === 'embedded' ? 'embedded' : 'openai-compatible';
    let baseUrl = draft.baseUrl.trim();
    const model = draft.model.trim();
    const modelPath = draft.modelPath.trim();
    if (kind === 'embedded') {
      if (!modelPath)
        throw new StudioFailure('invalid_argument', 'Choose the .gguf model file for the embedded provider.');
      if (!fs.existsSync(modelPath)) {
        throw new StudioFailure(
          'invalid_argument',
          `There is no file at ${modelPath}. Check the path of the .gguf model.`,
        );
      }
      return { kind, baseUrl, model, modelPath };
    }
    const preset = OPENAI_PRESETS[draft.preset as OpenAiPresetId];
    if (!preset) throw new StudioFailure('invalid_argument', `Unknown preset "${draft.preset}".`);
    baseUrl ||= preset.baseURL;
    try {
      const url = new URL(baseUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new StudioFailure(
        'invalid_argument',
        `"${baseUrl}" is not a web address. Use the server's URL, e.g. http://127.0.0.1:8080/v1.`,
      );
    }
    if (requireModel && !model) {
      throw new StudioFailure(
        'invalid_argument',
        'Name the model to use, e.g. "gpt-4o-mini" or "llama3.1:8b"; "Test connection" (CLI: providers test without --model) lists the models the server offers.',
      );
    }
    return { kind, baseUrl, model, modelPath };
  }
}
