import { useId, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type {
  CharacterId,
  ChatRuntimeKind,
  ChatRuntimeOption,
  ChatSamplingSettings,
  ChatTarget,
  ChatTargets,
  ConversationSetting,
  SceneId,
} from '../../../../common/contract';
import { invoke } from '../../lib/queries';

/**
 * The fields a conversation is set up with, shared by the new-conversation form and the settings
 * of an open conversation: who answers and through which runtime, where and when it takes place,
 * and how replies are sampled. Each is a hook (the state and what it resolves to) and a component
 * (its fields); the forms only add their header and submit.
 */

export const RUNTIME_LABELS: Record<ChatRuntimeKind, string> = {
  embedded: 'Embedded (in the studio, offline)',
  served: "The trainer's serve",
  endpoint: 'Endpoint',
};

/** The choice of who answers: `run:<id>` or `base:<providerId>`, a runtime, and a baseline's model. */
export function useTargetChoice(targets: ChatTargets, initial: { target?: ChatTarget; runtime?: ChatRuntimeKind }) {
  const start = initial.target;
  const [choice, setChoice] = useState(
    start ? (start.kind === 'run' ? `run:${start.runId}` : `base:${start.providerId}`) : '',
  );
  const [runtime, setRuntime] = useState<ChatRuntimeKind | ''>(initial.runtime ?? '');
  const [model, setModel] = useState<string | null>(start?.kind === 'baseline' ? start.model : null);
  const { runs, baselines } = targets;
  const firstRun = runs.find((r) => r.runtimes.some((o) => o.available));
  const picked = choice || (firstRun ? `run:${firstRun.runId}` : baselines[0] ? `base:${baselines[0].providerId}` : '');
  const run = picked.startsWith('run:') ? runs.find((r) => `run:${r.runId}` === picked) : undefined;
  const baseline = picked.startsWith('base:') ? baselines.find((b) => `base:${b.providerId}` === picked) : undefined;
  const options: ChatRuntimeOption[] = run
    ? run.runtimes
    : [{ kind: 'endpoint', available: baseline !== undefined, reason: null }];
  const chosen = (runtime && options.find((o) => o.kind === runtime)) || options.find((o) => o.available) || options[0];
  const baselineModel = model ?? baseline?.model ?? '';
  const target: ChatTarget | null = run
    ? { kind: 'run', runId: run.runId }
    : baseline
      ? { kind: 'baseline', providerId: baseline.providerId, model: baselineModel.trim() }
      : null;
  return {
    targets,
    picked,
    baseline,
    baselineModel,
    options,
    chosen,
    target,
    /** Whether a reply can be asked of this choice. */
    ready: target !== null && chosen?.available === true && (!baseline || baselineModel.trim() !== ''),
    pick: (value: string) => (setChoice(value), setRuntime(''), setModel(null)),
    setRuntime,
    setModel,
  };
}

export function TargetFields({
  state,
  characterName,
}: {
  state: ReturnType<typeof useTargetChoice>;
  characterName: string;
}) {
  const { runs, baselines } = state.targets;
  const only = state.options.length === 1 ? state.options[0] : undefined;
  return (
    <>
      {/* Who answers and, for a baseline, its model: side by side where there is room. */}
      <div className="target-row">
        <label className="field">
          <span>Talk to</span>
          <select value={state.picked} onChange={(e) => state.pick(e.target.value)}>
            {runs.length > 0 && (
              <optgroup label={`${characterName}'s training runs`}>
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
        {state.baseline && (
          <label className="field">
            <span>{state.baseline.inStudio ? 'Model file' : 'Model'}</span>
            <input
              value={state.baselineModel}
              onChange={(e) => state.setModel(e.target.value)}
              placeholder="model id"
            />
          </label>
        )}
      </div>
      {only ? (
        // One way to answer (a baseline: its provider's endpoint): said, not offered as a choice.
        <div className="field runtime-choice" data-testid="runtime-only">
          <span>Runtime</span>
          <span className={only.available ? 'runtime' : 'runtime unavailable'}>
            <span>
              {state.baseline?.inStudio ? RUNTIME_LABELS.embedded : RUNTIME_LABELS[only.kind]}
              {state.baseline && (
                <small className="muted">
                  {state.baseline.inStudio
                    ? `${state.baseline.name} runs its GGUF file in the studio, on this computer.`
                    : `${state.baseline.name} answers through its API.`}
                </small>
              )}
              {!only.available && only.reason && <small className="muted">{only.reason}</small>}
            </span>
          </span>
        </div>
      ) : (
        <fieldset className="field runtime-choice">
          <legend>Runtime</legend>
          {state.options.map((o) => (
            <label
              key={o.kind}
              className={o.available ? 'runtime' : 'runtime unavailable'}
              title={o.reason ?? undefined}
            >
              <input
                type="radio"
                name="runtime"
                disabled={!o.available}
                checked={state.chosen?.kind === o.kind}
                onChange={() => state.setRuntime(o.kind)}
              />
              <span>
                {RUNTIME_LABELS[o.kind]}
                {!o.available && o.reason && <small className="muted">{o.reason}</small>}
              </span>
            </label>
          ))}
        </fieldset>
      )}
    </>
  );
}

/**
 * Where the conversation takes place (typed as in training, or taken from a dataset scene) and who
 * the user speaks as there (`initialUserName`: the conversation's; '' for the default).
 */
export function useSceneChoice(characterId: CharacterId, initial?: ConversationSetting, initialUserName = '') {
  const [start, setStart] = useState<'setting' | 'scene'>('setting');
  const [userName, setUserName] = useState(initialUserName);
  const [location, setLocation] = useState(initial?.location ?? '');
  const [status, setStatus] = useState(initial?.status ?? '');
  const [sceneId, setSceneId] = useState<SceneId | ''>('');
  const [search, setSearch] = useState('');
  // The first 200 scenes the search finds (full-text, as in the Dataset tab), newest first.
  const sceneArg = { characterId, limit: 200, waiting: false, search: search.trim() || undefined };
  const scenes = useQuery({
    queryKey: ['scenes/list', sceneArg],
    queryFn: () => invoke('scenes/list', sceneArg),
    enabled: start === 'scene',
  });
  const setting: ConversationSetting = { location: location.trim(), status: status.trim() };
  return {
    start,
    setStart,
    location,
    setLocation,
    status,
    setStatus,
    sceneId,
    setSceneId,
    userName,
    setUserName,
    /** The name as it would be stored (spaces folded), when it differs from the one the form started with. */
    userNameChange:
      userName.replace(/\s+/g, ' ').trim() !== initialUserName ? userName.replace(/\s+/g, ' ').trim() : null,
    search,
    setSearch,
    scenes: scenes.data?.scenes ?? [],
    /** What the form sends: the typed setting, or the dataset scene picked (null: none picked yet). */
    chosen: start === 'setting' ? { setting } : sceneId ? { sceneId } : null,
    changed: initial === undefined || setting.location !== initial.location || setting.status !== initial.status,
  };
}

export function SceneFields({
  state,
  sceneLabel,
  sceneHint,
}: {
  state: ReturnType<typeof useSceneChoice>;
  /** The second mode's button: what picking a dataset scene does here. */
  sceneLabel: string;
  sceneHint?: string;
}) {
  return (
    <fieldset className="field">
      <legend>Scene</legend>
      <div className="segmented">
        <button
          type="button"
          className={state.start === 'setting' ? 'selected' : ''}
          onClick={() => state.setStart('setting')}
        >
          Set the scene
        </button>
        <button
          type="button"
          className={state.start === 'scene' ? 'selected' : ''}
          onClick={() => state.setStart('scene')}
        >
          {sceneLabel}
        </button>
      </div>
      {state.start === 'setting' ? (
        <>
          <input
            aria-label="Location and time"
            placeholder="Location and time, e.g. a harbour town, a winter evening"
            value={state.location}
            onChange={(e) => state.setLocation(e.target.value)}
          />
          <textarea
            aria-label="Status"
            rows={2}
            placeholder="Status: what is going on, e.g. A visitor arrives unannounced with a letter."
            value={state.status}
            onChange={(e) => state.setStatus(e.target.value)}
          />
        </>
      ) : (
        <>
          <input
            type="search"
            aria-label="Find a scene"
            placeholder="Find a scene: words from its place, people or turns"
            value={state.search}
            onChange={(e) => state.setSearch(e.target.value)}
          />
          <select
            aria-label="Dataset scene"
            value={state.sceneId}
            onChange={(e) => state.setSceneId(e.target.value as SceneId)}
          >
            <option value="">Pick a scene…</option>
            {state.scenes.map((s) => (
              <option key={s.id} value={s.id}>
                {[s.type, s.location, s.time].filter(Boolean).join(' · ')}
              </option>
            ))}
          </select>
          {sceneHint && <small className="muted">{sceneHint}</small>}
        </>
      )}
      <label className="speak-as">
        <span>You speak as</span>
        <input
          value={state.userName}
          maxLength={200}
          placeholder={
            state.start === 'scene' ? 'The scene’s other person, or a name' : 'Man (the paper’s interviewer), or a name'
          }
          onChange={(e) => state.setUserName(e.target.value)}
        />
      </label>
    </fieldset>
  );
}

type SamplingKey = 'temperature' | 'topP' | 'maxTokens' | 'seed';

/** Sampling as typed: each number kept as text (half-typed numbers survive) and checked as the studio checks it. */
export function useSamplingFields(initial: ChatSamplingSettings) {
  const [text, setText] = useState<Record<SamplingKey, string>>({
    temperature: String(initial.temperature),
    topP: String(initial.topP),
    maxTokens: String(initial.maxTokens),
    seed: initial.seed === undefined ? '' : String(initial.seed),
  });
  const [ignoreEos, setIgnoreEos] = useState(initial.ignoreEos === true);
  const errors: Partial<Record<SamplingKey, string>> = {};
  const num = (key: SamplingKey) => Number(text[key].trim());
  if (!(text.temperature.trim() !== '' && num('temperature') >= 0 && num('temperature') <= 2))
    errors.temperature = 'A number from 0 (always the likeliest word) to 2.';
  if (!(text.topP.trim() !== '' && num('topP') > 0 && num('topP') <= 1)) errors.topP = 'A number above 0, at most 1.';
  // As the studio checks it (chat-schemas.ts MAX_REPLY_TOKENS).
  if (!(Number.isInteger(num('maxTokens')) && num('maxTokens') >= 1 && num('maxTokens') <= 32768))
    errors.maxTokens = 'A whole number of tokens from 1 to 32768.';
  if (text.seed.trim() !== '' && !(Number.isInteger(num('seed')) && num('seed') >= 0 && num('seed') < 2 ** 32))
    errors.seed = 'A whole number from 0, or empty for a new draw each time.';
  const valid = Object.keys(errors).length === 0;
  const sampling: ChatSamplingSettings | null = valid
    ? {
        temperature: num('temperature'),
        topP: num('topP'),
        maxTokens: num('maxTokens'),
        ...(text.seed.trim() !== '' && { seed: num('seed') }),
        ...(ignoreEos && { ignoreEos }),
      }
    : null;
  return {
    text,
    set: (key: SamplingKey, value: string) => setText({ ...text, [key]: value }),
    ignoreEos,
    setIgnoreEos,
    errors,
    sampling,
  };
}

const SAMPLING_FIELDS: { key: SamplingKey; label: string; hint: string; step: string }[] = [
  { key: 'temperature', label: 'Temperature', hint: 'The paper samples at 0.2.', step: '0.05' },
  { key: 'topP', label: 'Top-p', hint: 'The paper uses 0.95.', step: '0.05' },
  { key: 'maxTokens', label: 'Max tokens', hint: 'A reply ends here at the latest.', step: '1' },
  { key: 'seed', label: 'Seed', hint: 'Empty: a new draw each reply.', step: '1' },
];

export function SamplingFields({ state }: { state: ReturnType<typeof useSamplingFields> }) {
  const hintId = useId();
  return (
    <fieldset className="field">
      <legend>Sampling</legend>
      <div className="sampling-grid">
        {SAMPLING_FIELDS.map(({ key, label, hint, step }) => (
          <label key={key}>
            <span>{label}</span>
            <input
              type="number"
              inputMode="decimal"
              step={step}
              value={state.text[key]}
              placeholder={key === 'seed' ? 'random' : undefined}
              aria-invalid={state.errors[key] ? true : undefined}
              onChange={(e) => state.set(key, e.target.value)}
            />
            {state.errors[key] ? (
              <small className="field-error">{state.errors[key]}</small>
            ) : (
              <small className="muted">{hint}</small>
            )}
          </label>
        ))}
      </div>
      {/* The hint sits outside the label: the checkbox is named by its four words alone. */}
      <div className="never-end">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={state.ignoreEos}
            aria-describedby={hintId}
            onChange={(e) => state.setIgnoreEos(e.target.checked)}
          />
          <span>Never end on its own</span>
        </label>
        <small id={hintId} className="muted">
          Each reply runs until Max tokens or Stop (“Ban EOS token”). The embedded runtime and the trainer’s serve ban
          the end-of-text token; an endpoint is sent ignore_eos, which llama.cpp server and vLLM honour and others
          ignore.
        </small>
      </div>
    </fieldset>
  );
}

/** Sampling in a few words, for the header: "temperature 0.2 · top-p 0.95 · ≤ 256 tokens · seed 7 · never ends". */
export function samplingSummary(s: ChatSamplingSettings): string {
  return [
    `temperature ${s.temperature}`,
    `top-p ${s.topP}`,
    `≤ ${s.maxTokens} tokens`,
    ...(s.seed === undefined ? [] : [`seed ${s.seed}`]),
    ...(s.ignoreEos ? ['never ends'] : []),
  ].join(' · ');
}
