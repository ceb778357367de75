import { useEffect, useRef, useState, type FormEvent } from 'react';
import type {
  ConnectionCheck,
  Provider,
  ProviderDraft,
  ProviderPreset,
  ProviderPresetInfo,
} from '../../../../common/contract';
import { counted } from '../../../../common/plural';
import { messageOf } from '../../lib/bridge-error';
import { queryClient, useCommand, usePresets } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { CheckResult } from './CheckResult';
import { SecretHint } from './SecretHint';

interface FormState {
  name: string;
  preset: ProviderPreset;
  baseUrl: string;
  model: string;
  modelPath: string;
  /** What the user typed; '' leaves a saved key as it is. */
  apiKey: string;
  removeKey: boolean;
  maxConcurrency: string;
  requestsPerMinute: string;
  timeoutSeconds: string;
  structuredOutput: boolean;
}

function fromProvider(p: Provider): FormState {
  return {
    name: p.name,
    preset: p.preset,
    baseUrl: p.baseUrl,
    model: p.model,
    modelPath: p.modelPath,
    apiKey: '',
    removeKey: false,
    maxConcurrency: String(p.maxConcurrency),
    requestsPerMinute: String(p.requestsPerMinute),
    timeoutSeconds: String(Math.round(p.timeoutMs / 1000)),
    structuredOutput: p.structuredOutput,
  };
}

function fromPreset(preset: ProviderPresetInfo, previous?: FormState): FormState {
  const local = preset.kind === 'embedded' || /localhost|127\.0\.0\.1/.test(preset.baseUrl);
  return {
    name: preset.label,
    preset: preset.id,
    baseUrl: preset.baseUrl,
    model: preset.exampleModel,
    modelPath: previous?.modelPath ?? '',
    apiKey: previous?.apiKey ?? '',
    removeKey: false,
    // Local servers serve one or two requests at a time well; hosted APIs take more.
    maxConcurrency: preset.kind === 'embedded' ? '1' : local ? '2' : '4',
    requestsPerMinute: '0',
    timeoutSeconds: preset.kind === 'embedded' ? '600' : '120',
    structuredOutput: preset.supportsJsonSchema,
  };
}

/**
 * Adds a provider, or edits one. The API key is write-only: it is never shown again. `reveal`: the
 * form opened below the fold (the welcome page) and brings its top into view once it has its fields.
 */
export function ProviderForm({
  existing,
  onDone,
  reveal = false,
}: {
  existing: Provider | null;
  onDone: () => void;
  reveal?: boolean;
}) {
  const toast = useUi((s) => s.toast);
  const presets = usePresets();
  const create = useCommand('providers/create', { quiet: true });
  const update = useCommand('providers/update', { quiet: true });
  const test = useCommand('providers/test', { quiet: true });
  const [check, setCheck] = useState<ConnectionCheck | null>(null);
  const [form, setForm] = useState<FormState | null>(existing ? fromProvider(existing) : null);
  const [error, setError] = useState<string | null>(null);
  const list = presets.data ?? [];
  // A new provider starts from the first preset once the presets have arrived.
  const state = form ?? (list[0] ? fromPreset(list[0]) : null);
  const preset = list.find((p) => p.id === state?.preset);
  const embedded = preset?.kind === 'embedded' || existing?.kind === 'embedded';
  const formRef = useRef<HTMLFormElement>(null);
  const filled = state !== null;
  useEffect(() => {
    if (reveal && filled) formRef.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [reveal, filled]);

  if (presets.isError) return <p className="form-error">{presets.error.message}</p>;
  if (!state) return <p className="muted">Loading presets…</p>;

  const set = (patch: Partial<FormState>) => setForm({ ...state, ...patch });

  /** The form as a draft; throws a message for a field that is not a number. */
  const toDraft = (): ProviderDraft => {
    const number = (value: string, label: string, min: number): number => {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || n < min)
        throw new Error(`${label} must be a number of at least ${min}.`);
      return n;
    };
    const draft: ProviderDraft = {
      name: state.name.trim(),
      preset: state.preset,
      baseUrl: state.baseUrl.trim(),
      model: state.model.trim(),
      modelPath: state.modelPath.trim(),
      maxConcurrency: Math.round(number(state.maxConcurrency, 'Concurrency', 1)),
      requestsPerMinute: Math.round(number(state.requestsPerMinute, 'Requests per minute', 0)),
      timeoutMs: Math.round(number(state.timeoutSeconds, 'Timeout', 1) * 1000),
      structuredOutput: state.structuredOutput,
    };
    // Absent keeps a saved key (and a test of an edit uses it); '' removes it.
    if (state.removeKey) draft.apiKey = '';
    else if (state.apiKey.trim() !== '') draft.apiKey = state.apiKey.trim();
    return draft;
  };

  /** Tests what is typed, before it is saved; the models it lists fill the model field's choices. */
  const runTest = async () => {
    setError(null);
    setCheck(null);
    try {
      const draft = toDraft();
      setCheck(await test.mutateAsync(existing ? { id: existing.id, draft } : { draft }));
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const draft = toDraft();
      const saved = existing
        ? await update.mutateAsync({ id: existing.id, ...draft })
        : await create.mutateAsync(draft);
      void queryClient.invalidateQueries({ queryKey: ['providers/list'] });
      toast({
        kind: 'info',
        text: `${existing ? 'Saved' : 'Added'} ${saved.name}.${check?.ok ? '' : ' Test the connection to be sure it answers.'}`,
      });
      onDone();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <form
      ref={formRef}
      className="form provider-form"
      onSubmit={(e) => void onSubmit(e)}
      aria-label={existing ? 'Edit provider' : 'New provider'}
    >
      <h4>{existing ? `Edit ${existing.name}` : 'New provider'}</h4>
      <div className="form-grid">
        <label>
          Preset
          <select
            value={state.preset}
            disabled={existing !== null}
            onChange={(e) => {
              const next = list.find((p) => p.id === e.target.value);
              if (next) setForm(fromPreset(next, state));
              setCheck(null);
            }}
          >
            {list.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
          </select>
          {existing && <small>The kind of provider cannot change; add a new one instead.</small>}
        </label>
        <label>
          Name
          <input required value={state.name} onChange={(e) => set({ name: e.target.value })} />
        </label>
        {embedded ? (
          <label className="span-2">
            Model file
            <input
              required
              value={state.modelPath}
              placeholder="/home/me/models/qwen2.5-7b-instruct-q4_k_m.gguf"
              onChange={(e) => set({ modelPath: e.target.value })}
            />
            <small>
              Full path to a <code>.gguf</code> file on the machine running the studio. It runs here, offline, with
              JSON-schema grammar for structured output.
            </small>
          </label>
        ) : (
          <label className="span-2">
            Base URL
            <input
              required
              value={state.baseUrl}
              placeholder="http://127.0.0.1:8080/v1"
              onChange={(e) => set({ baseUrl: e.target.value })}
            />
            <small>
              The OpenAI-compatible address, usually ending in <code>/v1</code>.
            </small>
          </label>
        )}
        <label>
          Model
          <input
            value={state.model}
            placeholder={preset?.exampleModel}
            list={embedded ? undefined : 'provider-models'}
            onChange={(e) => set({ model: e.target.value })}
          />
          {!embedded && (
            <datalist id="provider-models">
              {check?.models?.map((m) => (
                <option key={m} value={m} />
              ))}
            </datalist>
          )}
          <small>
            {embedded
              ? 'A label for this model in logs.'
              : check?.models?.length
                ? `${counted(check.models.length, 'model')} offered: type to filter, or click one below.`
                : 'Leave it empty and test the connection to pick from the models it offers.'}
          </small>
        </label>
        {!embedded && (
          <label>
            <span>API key {preset && !preset.needsApiKey && <span className="optional">(optional)</span>}</span>
            <input
              type="password"
              autoComplete="off"
              value={state.apiKey}
              disabled={state.removeKey}
              placeholder={existing?.hasApiKey ? 'key saved — type to replace it' : 'sk-… or env:OPENAI_API_KEY'}
              onChange={(e) => set({ apiKey: e.target.value })}
            />
            <small>
              {existing?.hasApiKey && (
                <span className="key-saved">
                  <span className="badge ok">key saved</span>{' '}
                  <button
                    type="button"
                    className="link small"
                    onClick={() => set({ removeKey: !state.removeKey, apiKey: '' })}
                  >
                    {state.removeKey ? 'Keep the saved key' : 'Remove the key'}
                  </button>{' '}
                </span>
              )}
              <SecretHint what="key" /> Or type <code>env:NAME</code> to store no key: the environment variable NAME is
              read at each call instead.
            </small>
          </label>
        )}
        <label>
          Requests at a time
          <input
            type="number"
            min={1}
            max={64}
            value={state.maxConcurrency}
            onChange={(e) => set({ maxConcurrency: e.target.value })}
          />
        </label>
        <label>
          Requests per minute
          <input
            type="number"
            min={0}
            value={state.requestsPerMinute}
            onChange={(e) => set({ requestsPerMinute: e.target.value })}
          />
          <small>0 means no limit. Set your plan&apos;s limit for hosted APIs.</small>
        </label>
        <label>
          Timeout (seconds)
          <input
            type="number"
            min={1}
            value={state.timeoutSeconds}
            onChange={(e) => set({ timeoutSeconds: e.target.value })}
          />
          <small>For one whole answer; long experiences on slow machines need minutes.</small>
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={state.structuredOutput}
            onChange={(e) => set({ structuredOutput: e.target.checked })}
          />
          <span>
            Structured output
            <small>
              Ask for JSON by schema. Turn off for servers that reject <code>response_format</code>; the paper&apos;s
              text format is read instead.
            </small>
          </span>
        </label>
      </div>
      {check && <CheckResult check={check} current={state.model} onPick={(model) => set({ model })} busy={false} />}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={() => void runTest()} disabled={test.isPending}>
          {test.isPending ? 'Testing…' : 'Test connection'}
        </button>
        <span className="spacer" />
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button className="primary" type="submit" disabled={create.isPending || update.isPending}>
          {existing ? 'Save provider' : 'Add provider'}
        </button>
      </div>
    </form>
  );
}
