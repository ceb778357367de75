import { useState } from 'react';
import type {
  Character,
  ChatRuntimeKind,
  ChatTarget,
  ConversationView,
  RunId,
  SceneId,
} from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { useQuery } from '@tanstack/react-query';
import { invoke, useChatTargets } from '../../lib/queries';

const RUNTIME_LABELS: Record<ChatRuntimeKind, string> = {
  embedded: 'Embedded (in the studio, offline)',
  served: "The trainer's serve",
  endpoint: 'Endpoint',
};

/**
 * A new conversation: whom to talk to (one of the character's runs, or a plain model as a
 * baseline), through which runtime (unavailable ones say why), and where: a setting typed here, as
 * in training, or a scene of the dataset whose turns become the history.
 */
export function NewConversation({
  character,
  runId,
  onCreated,
}: {
  character: Character;
  runId?: RunId;
  onCreated: (view: ConversationView) => void;
}) {
  const targets = useChatTargets(character.id);
  const [choice, setChoice] = useState<string>(runId ? `run:${runId}` : '');
  const [runtime, setRuntime] = useState<ChatRuntimeKind | ''>('');
  const [model, setModel] = useState<string | null>(null);
  const [start, setStart] = useState<'setting' | 'scene'>('setting');
  const [location, setLocation] = useState('');
  const [status, setStatus] = useState('');
  const [sceneId, setSceneId] = useState<SceneId | ''>('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sceneSearch, setSceneSearch] = useState('');
  // The first 200 scenes the search finds (full-text, as in the Dataset tab), newest first.
  const sceneArg = { characterId: character.id, limit: 200, waiting: false, search: sceneSearch.trim() || undefined };
  const scenes = useQuery({
    queryKey: ['scenes/list', sceneArg],
    queryFn: () => invoke('scenes/list', sceneArg),
    enabled: start === 'scene',
  });

  if (targets.isPending) return <p className="muted">Looking for runs and models…</p>;
  if (targets.isError) return <p className="form-error">{targets.error.message}</p>;
  const { runs, baselines } = targets.data;
  const firstRun = runs.find((r) => r.runtimes.some((o) => o.available));
  const picked = choice || (firstRun ? `run:${firstRun.runId}` : baselines[0] ? `base:${baselines[0].providerId}` : '');
  const run = picked.startsWith('run:') ? runs.find((r) => `run:${r.runId}` === picked) : undefined;
  const baseline = picked.startsWith('base:') ? baselines.find((b) => `base:${b.providerId}` === picked) : undefined;
  const options = run ? run.runtimes : [{ kind: 'endpoint' as const, available: baseline !== undefined, reason: null }];
  const chosenRuntime =
    (runtime && options.find((o) => o.kind === runtime)) || options.find((o) => o.available) || options[0];
  const baselineModel = model ?? baseline?.model ?? '';

  const create = async () => {
    if (!chosenRuntime) return;
    const target: ChatTarget | null = run
      ? { kind: 'run', runId: run.runId }
      : baseline
        ? { kind: 'baseline', providerId: baseline.providerId, model: baselineModel.trim() }
        : null;
    if (!target) return;
    setBusy(true);
    setError(null);
    try {
      const view = await invoke('chat/create', {
        characterId: character.id,
        target,
        runtime: chosenRuntime.kind,
        ...(start === 'scene' && sceneId
          ? { sceneId }
          : { setting: { location: location.trim(), status: status.trim() } }),
      });
      onCreated(view);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  if (runs.length === 0 && baselines.length === 0) {
    return (
      <div className="empty small chat-new">
        <h3>Nobody to talk to yet</h3>
        <p>
          Train {character.shortName} on the Train tab, or add a model in Settings → Providers to chat with it as a
          baseline.
        </p>
      </div>
    );
  }

  return (
    <form
      className="chat-new"
      aria-label="New conversation"
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
    >
      <h2>New conversation with {character.shortName}</h2>
      <label className="field">
        <span>Talk to</span>
        <select value={picked} onChange={(e) => (setChoice(e.target.value), setRuntime(''), setModel(null))}>
          {runs.length > 0 && (
            <optgroup label={`${character.shortName}'s training runs`}>
              {runs.map((r) => (
                <option key={r.runId} value={`run:${r.runId}`}>
                  {r.label}
                </option>
              ))}
            </optgroup>
          )}
          {baselines.length > 0 && (
            <optgroup label="Baselines (a model without this training)">
              {baselines.map((b) => (
                <option key={b.providerId} value={`base:${b.providerId}`}>
                  {b.name}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      {baseline && (
        <label className="field">
          <span>Model</span>
          <input value={baselineModel} onChange={(e) => setModel(e.target.value)} placeholder="model id" />
        </label>
      )}
      <fieldset className="field runtime-choice">
        <legend>Runtime</legend>
        {options.map((o) => (
          <label key={o.kind} className={o.available ? 'runtime' : 'runtime unavailable'} title={o.reason ?? undefined}>
            <input
              type="radio"
              name="runtime"
              disabled={!o.available}
              checked={chosenRuntime?.kind === o.kind}
              onChange={() => setRuntime(o.kind)}
            />
            <span>
              {RUNTIME_LABELS[o.kind]}
              {!o.available && o.reason && <small className="muted">{o.reason}</small>}
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset className="field">
        <legend>Scene</legend>
        <div className="segmented">
          <button type="button" className={start === 'setting' ? 'selected' : ''} onClick={() => setStart('setting')}>
            Set the scene
          </button>
          <button type="button" className={start === 'scene' ? 'selected' : ''} onClick={() => setStart('scene')}>
            Start from a dataset scene
          </button>
        </div>
        {start === 'setting' ? (
          <>
            <input
              aria-label="Location and time"
              placeholder="Location and time, e.g. Vienna, a winter evening in 1809"
              value={location}
              onChange={(e) => setLocation(e.target.value)}
            />
            <textarea
              aria-label="Status"
              rows={2}
              placeholder="Status: what is going on, e.g. A visitor finds him at the piano."
              value={status}
              onChange={(e) => setStatus(e.target.value)}
            />
          </>
        ) : (
          <>
            <input
              type="search"
              aria-label="Find a scene"
              placeholder="Find a scene: words from its place, people or turns"
              value={sceneSearch}
              onChange={(e) => setSceneSearch(e.target.value)}
            />
            <select aria-label="Dataset scene" value={sceneId} onChange={(e) => setSceneId(e.target.value as SceneId)}>
              <option value="">Pick a scene…</option>
              {(scenes.data?.scenes ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {[s.type, s.location, s.time].filter(Boolean).join(' · ')}
                </option>
              ))}
            </select>
          </>
        )}
      </fieldset>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button
        className="primary"
        disabled={
          busy || !chosenRuntime?.available || (start === 'scene' && !sceneId) || (baseline && !baselineModel.trim())
        }
      >
        {busy ? 'Starting…' : 'Start the conversation'}
      </button>
    </form>
  );
}
