import { useState } from 'react';
import type {
  Character,
  ChatRuntimeKind,
  ChatSamplingSettings,
  EvalAnswerer,
  EvalSystem,
  EvalSystemKind,
  ProviderId,
  RunId,
} from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { useEvalSystems } from '../../lib/eval-queries';
import { invoke, useProviders, useTrainingRuns } from '../../lib/queries';
import { counted } from '../../../../common/plural';
import { EvalForm, FormError, ProviderSelect } from './eval-form';
import { formatTime } from '../../lib/format';

const KINDS: { kind: Exclude<EvalSystemKind, 'imported'>; label: string; hint: string }[] = [
  { kind: 'run', label: 'Trained run', hint: 'one of the character’s finished runs' },
  {
    kind: 'prompted',
    label: 'Prompted baseline',
    hint: 'a plain model with a role-play prompt built from the profile',
  },
  { kind: 'base', label: 'Base model', hint: 'a plain model given only the setting' },
];

/** The systems interviews are put to, and the form to add one. */
export function SystemsCard({ character }: { character: Character }) {
  const systems = useEvalSystems(character.id).data ?? [];
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Archiving hides the system from the lists and the report; its interviews and scores stay (an
  // imported one may then be imported again, as the import dialog says).
  const archive = (s: EvalSystem) => {
    if (
      !window.confirm(
        `Archive “${s.label}”? It leaves these lists and the report; its ${counted(s.interviews, 'interview')} and their scores are kept.`,
      )
    )
      return;
    setError(null);
    invoke('eval/systems/archive', { id: s.id }).catch((e: unknown) => setError(messageOf(e)));
  };
  return (
    <section className="card eval-systems" aria-label="Systems">
      <header className="card-head">
        <h2>Systems</h2>
        <button className="small" onClick={() => setAdding((a) => !a)} aria-expanded={adding}>
          {adding ? 'Close' : '+ Add system'}
        </button>
      </header>
      {systems.length === 0 && !adding && (
        <p className="muted">Nothing to interview yet: add a trained run, a prompted baseline or a base model.</p>
      )}
      <FormError error={error} />
      <ul className="eval-system-list">
        {systems.map((s) => (
          <li key={s.id} className="eval-system">
            <span title={s.source ?? undefined}>
              <strong>{s.label}</strong> <span className="pill subtle">{s.kind}</span>{' '}
              <span className="muted">
                {describeAnswerer(s)}
                {s.sampling && ` · ${describeSampling(s.sampling)}`} · {counted(s.interviews, 'interview')}
              </span>
            </span>
            <button className="ghost small" aria-label={`Archive ${s.label}`} onClick={() => archive(s)}>
              Archive
            </button>
          </li>
        ))}
      </ul>
      {adding && <AddSystem character={character} onDone={() => setAdding(false)} />}
    </section>
  );
}

/** `a/b/x.json, c/y.jsonl` as `x.json, y.jsonl`. */
function fileNames(paths: string): string {
  return paths
    .split(', ')
    .map((p) => p.split(/[\\/]/).at(-1))
    .join(', ');
}

/** "temperature 0.2, top-p 0.95, 256 tokens": how a system is sampled. */
function describeSampling(s: ChatSamplingSettings): string {
  return `temperature ${s.temperature}, top-p ${s.topP}, ${s.maxTokens} tokens`;
}

export function describeAnswerer(s: EvalSystem): string {
  const a = s.answerer;
  // The files' names: the whole paths (in the item's tooltip) filled the card.
  if (!a) return `imported from ${s.source ? fileNames(s.source) : 'a file'}`;
  if (a.runtime === 'endpoint') return `${a.model} through its endpoint`;
  return `run through the ${a.runtime === 'embedded' ? 'embedded runtime' : "trainer's serve"}`;
}

function AddSystem({ character, onDone }: { character: Character; onDone: () => void }) {
  const providers = useProviders().data ?? [];
  const runs = (useTrainingRuns(character.id).data ?? []).filter((r) => r.status === 'succeeded');
  const [kind, setKind] = useState<Exclude<EvalSystemKind, 'imported'>>('prompted');
  const [runId, setRunId] = useState<RunId | ''>('');
  const [runtime, setRuntime] = useState<ChatRuntimeKind>('embedded');
  const [providerId, setProviderId] = useState<ProviderId | ''>('');
  const [model, setModel] = useState('');
  const [label, setLabel] = useState('');
  const [temperature, setTemperature] = useState('');
  const [topP, setTopP] = useState('');
  const [maxTokens, setMaxTokens] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const provider = providers.find((p) => p.id === providerId) ?? providers[0];
  const run = runs.find((r) => r.id === runId) ?? runs[0];
  const viaEndpoint = kind !== 'run' || runtime === 'endpoint';

  const submit = () => {
    let answerer: EvalAnswerer;
    if (viaEndpoint) {
      if (!provider) return setError('Add a provider in Settings first: the system answers through it.');
      answerer = {
        runtime: 'endpoint',
        providerId: provider.id,
        model: model.trim() || provider.model,
        runId: kind === 'run' ? (run?.id ?? null) : null,
      };
    } else {
      if (!run) return setError(`${character.shortName} has no finished training run yet.`);
      answerer = { runtime: runtime, runId: run.id };
    }
    setBusy(true);
    setError(null);
    // Only what was typed: the rest stays the paper's (temperature 0.2, top-p 0.95, 256 tokens).
    const sampling = {
      ...(temperature.trim() && { temperature: Number(temperature) }),
      ...(topP.trim() && { topP: Number(topP) }),
      ...(maxTokens.trim() && { maxTokens: Number(maxTokens) }),
    };
    invoke('eval/systems/create', {
      characterId: character.id,
      kind,
      answerer,
      sampling,
      ...(label.trim() && { label: label.trim() }),
    })
      .then(onDone)
      .catch((e: unknown) => setError(messageOf(e)))
      .finally(() => setBusy(false));
  };

  return (
    <EvalForm className="eval-add-system" label="Add a system" onSubmit={submit}>
      <fieldset className="field">
        <legend>What answers</legend>
        {KINDS.map((k) => (
          <label key={k.kind} className="eval-check">
            <input type="radio" name="system-kind" checked={kind === k.kind} onChange={() => setKind(k.kind)} />
            <span>
              {k.label} <small className="muted">{k.hint}</small>
            </span>
          </label>
        ))}
      </fieldset>
      {kind === 'run' && (
        <div className="eval-row">
          <label className="field">
            <span>Run</span>
            <select value={run?.id ?? ''} onChange={(e) => setRunId(e.target.value as RunId)}>
              {runs.length === 0 && <option value="">No finished run</option>}
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.config.baseModel} · {formatTime(r.createdAt)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Runtime</span>
            <select value={runtime} onChange={(e) => setRuntime(e.target.value as ChatRuntimeKind)}>
              <option value="embedded">Embedded (in the studio)</option>
              <option value="served">The trainer&apos;s serve</option>
              <option value="endpoint">An endpoint serving it</option>
            </select>
          </label>
        </div>
      )}
      {viaEndpoint && (
        <div className="eval-row">
          <ProviderSelect label="Provider" providers={providers} value={provider?.id} onChange={setProviderId} />
          <label className="field">
            <span>Model</span>
            <input
              value={model}
              placeholder={provider?.model ?? 'model id'}
              onChange={(e) => setModel(e.target.value)}
            />
          </label>
        </div>
      )}
      <details className="eval-sampling">
        <summary>Sampling (the paper’s unless changed)</summary>
        <div className="eval-row">
          <label className="field">
            <span>Temperature</span>
            <input
              type="number"
              min={0}
              max={2}
              step={0.05}
              value={temperature}
              placeholder="0.2"
              onChange={(e) => setTemperature(e.target.value)}
            />
          </label>
          <label className="field">
            <span>Top-p</span>
            <input
              type="number"
              min={0}
              max={1}
              step={0.05}
              value={topP}
              placeholder="0.95"
              onChange={(e) => setTopP(e.target.value)}
            />
          </label>
          <label className="field">
            <span>Max tokens</span>
            <input
              type="number"
              min={1}
              step={1}
              value={maxTokens}
              placeholder="256"
              onChange={(e) => setMaxTokens(e.target.value)}
            />
          </label>
        </div>
      </details>
      <label className="field">
        <span>Name (optional)</span>
        <input value={label} onChange={(e) => setLabel(e.target.value)} placeholder="e.g. gpt-4o-mini prompted" />
      </label>
      <FormError error={error} />
      <button className="primary" disabled={busy}>
        {busy ? 'Adding…' : 'Add system'}
      </button>
    </EvalForm>
  );
}
