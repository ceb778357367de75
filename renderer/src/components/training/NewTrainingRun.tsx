import { useId, useMemo, useState } from 'react';
import type {
  BaseModelOption,
  Character,
  TrainingHyperparameters,
  TrainingPreset,
  TrainingRun,
} from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import {
  storeRun,
  useBaseModelCheck,
  useCommand,
  useHosts,
  useTrainerDoctor,
  useTrainingEstimate,
} from '../../lib/queries';
import { useUi, type TrainingDraft } from '../../state/ui';
import { useDebounced } from '../form-fields';
import { DoctorResult } from './DoctorResult';
import { HyperparameterFields } from './HyperparameterFields';
import { PythonSetup } from './PythonSetup';
import { TrainingEstimatePanel } from './TrainingEstimatePanel';
import {
  applyPreset,
  fieldText,
  formDefaults,
  LIVE,
  matchesPreset,
  OTHER_MODEL,
  readConfig,
  type DraftField,
} from './training-form';

const EMPTY_DRAFT: TrainingDraft = {};

const FORMATS = [
  {
    id: 'chat',
    label: 'Chat',
    text: "The base model's own chat template; loss on the character's turns. For chatting with the result.",
  },
  {
    id: 'character-llm',
    label: 'Character-LLM',
    text: "The paper's raw-text format, for reproducing its models and results.",
  },
] as const;

/** The settings of a new training run, its estimate and Start. */
export function NewTrainingRun({
  character,
  options,
  runs,
}: {
  character: Character;
  options: { baseModels: BaseModelOption[]; defaults: TrainingHyperparameters; presets: TrainingPreset[] };
  runs: TrainingRun[];
}) {
  const draft = useUi((s) => s.trainingDrafts[character.id]) ?? EMPTY_DRAFT;
  const setDraft = useUi((s) => s.setTrainingDraft);
  const setTab = useUi((s) => s.setCharacterTab);
  const start = useCommand('training/start', { quiet: true });
  const pythonId = useId();
  const [startError, setStartError] = useState<string | null>(null);
  const curated = useMemo(() => options.baseModels.map((m) => m.id), [options.baseModels]);
  const lastRun = useMemo(() => [...runs].sort((a, b) => b.createdAt - a.createdAt)[0], [runs]);
  const defaults = useMemo(() => formDefaults(options, lastRun), [options, lastRun]);
  const { config, errors } = useMemo(() => readConfig(draft, defaults, curated), [draft, defaults, curated]);
  const debounced = useDebounced(config, 400);

  const live = runs.find((r) => LIVE.includes(r.status));

  const text = (field: DraftField) => fieldText(field, draft, defaults, curated);
  const set = (field: DraftField, value: string) => setDraft(character.id, { ...draft, [field]: value });
  const hosts = useHosts();
  const openSettings = useUi((s) => s.openSettings);
  const remote = text('target') !== 'local';
  const python = text('python').trim();
  const doctor = useTrainerDoctor(python);
  const estimate = useTrainingEstimate(character.id, debounced, doctor.dataUpdatedAt);
  const modelChoice = text('baseModel');
  const chosen = options.baseModels.find((m) => m.id === modelChoice);
  const fullFinetune = text('fullFinetune') === 'true';
  const host = remote ? hosts.data?.find((h) => h.id === text('target')) : undefined;
  const activePreset = options.presets.find((p) => matchesPreset(config, p));
  const noData = estimate.data?.examples === 0;
  // A typed model (a folder or a hub id) is checked where it will train, as the user types.
  const customModel = useDebounced(modelChoice === OTHER_MODEL ? text('customModel').trim() : '', 400);
  const modelCheck = useBaseModelCheck(customModel, modelChoice === OTHER_MODEL ? (config?.target ?? 'local') : null);
  const modelProblem =
    modelChoice === OTHER_MODEL && customModel === text('customModel').trim()
      ? (modelCheck.data?.problem ?? null)
      : null;

  const onStart = async () => {
    if (!config) return;
    setStartError(null);
    try {
      storeRun(await start.mutateAsync({ characterId: character.id, config }));
    } catch (e) {
      setStartError(messageOf(e));
    }
  };

  return (
    <section className="card new-run new-training" aria-labelledby="new-training-title">
      <div className="card-head">
        <div>
          <h2 id="new-training-title">New training run</h2>
          <p className="muted">
            Experience upload: {fullFinetune ? 'full' : text('loadIn4bit') === 'true' ? 'QLoRA' : 'LoRA'} fine-tuning of
            a base model on {character.shortName}&apos;s scenes, by the Python trainer.
          </p>
        </div>
      </div>
      <div className="new-run-grid">
        <div className="settings-form" role="group" aria-label="Training settings">
          <label className="span-2">
            Base model
            <select value={modelChoice} onChange={(e) => set('baseModel', e.target.value)}>
              {options.baseModels.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label} · {m.parameters}
                </option>
              ))}
              <option value={OTHER_MODEL}>Other: a Hugging Face id or a local folder…</option>
            </select>
            {chosen ? (
              <small>
                <code>{chosen.id}</code> — {chosen.note}
              </small>
            ) : (
              errors.baseModel && <small className="field-error">{errors.baseModel}</small>
            )}
          </label>
          {modelChoice === OTHER_MODEL && (
            <label className="span-2">
              Hugging Face id or model folder
              <input
                className="model-path"
                value={text('customModel')}
                placeholder="e.g. Qwen/Qwen2.5-3B-Instruct or /models/my-base"
                spellCheck={false}
                aria-invalid={errors.customModel || modelProblem ? true : undefined}
                onChange={(e) => set('customModel', e.target.value)}
              />
              {errors.customModel || modelProblem ? (
                <small className="field-error" role="alert" data-testid="base-model-problem">
                  {errors.customModel ?? modelProblem}
                </small>
              ) : (
                <small>
                  A model on the Hugging Face hub (downloaded on first use; gated ones need a login) or a folder with
                  its weights and tokenizer on the training machine.
                </small>
              )}
            </label>
          )}

          <fieldset className="span-2 choices">
            <legend>Format</legend>
            <div className="choice-row">
              {FORMATS.map((f) => (
                <label key={f.id} className={text('format') === f.id ? 'choice selected' : 'choice'}>
                  <input
                    type="radio"
                    name={`format-${character.id}`}
                    value={f.id}
                    checked={text('format') === f.id}
                    onChange={() => set('format', f.id)}
                  />
                  <span>
                    <strong>{f.label}</strong>
                    <small>{f.text}</small>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>

          <div className="span-2 target-field">
            <label htmlFor={`target-${character.id}`}>Runs on</label>
            <span className="with-link">
              <select
                id={`target-${character.id}`}
                value={text('target')}
                onChange={(e) => set('target', e.target.value)}
              >
                <option value="local">This machine (its GPU, or the CPU)</option>
                {(hosts.data ?? []).map((h) => (
                  <option key={h.id} value={h.id}>
                    {h.name} — {h.username}@{h.host}
                    {h.gpuCount > 1 ? `, ${h.gpuCount} GPUs` : ''}
                  </option>
                ))}
              </select>
              <button type="button" className="link" onClick={() => openSettings(true)}>
                Manage GPU servers
              </button>
            </span>
            <small>
              {remote
                ? 'The trainer is uploaded and runs detached on the server: it keeps going if the studio closes, and the studio re-attaches when it opens again.'
                : 'The trainer runs here as a child process. Add a GPU server over SSH in Settings to train there.'}
            </small>
          </div>

          {!remote && (
            <div className="span-2 python-field">
              <label htmlFor={pythonId}>
                Python interpreter <span className="optional">(optional)</span>
              </label>
              <span className="with-link">
                <input
                  id={pythonId}
                  value={text('python')}
                  placeholder="Empty: the studio's own Python environment"
                  spellCheck={false}
                  aria-describedby={`${pythonId}-hint`}
                  onChange={(e) => set('python', e.target.value)}
                />
                <button type="button" onClick={() => void doctor.refetch()} disabled={doctor.isFetching}>
                  {doctor.isFetching ? 'Checking…' : 'Check environment'}
                </button>
              </span>
              <small id={`${pythonId}-hint`}>
                A Python 3.10+ with the trainer&apos;s packages (torch, transformers, peft), e.g. a venv&apos;s{' '}
                <code>bin/python</code>.
              </small>
              <DoctorResult
                environment={doctor.data ?? null}
                error={doctor.isError ? messageOf(doctor.error) : null}
                checking={doctor.isFetching}
              />
              <PythonSetup />
            </div>
          )}

          <HyperparameterFields
            form={{ text, set, errors }}
            presets={options.presets}
            activePreset={activePreset}
            onPreset={(preset) => setDraft(character.id, applyPreset(draft, preset))}
            host={host}
          />
        </div>

        <div className="new-run-side">
          <TrainingEstimatePanel
            estimate={estimate.data ?? null}
            error={estimate.isError ? messageOf(estimate.error) : null}
            loading={estimate.isFetching || config !== debounced}
            invalid={config === null}
            environment={doctor.data ?? null}
            effectiveBatch={config ? config.hyperparameters.batchSize * config.hyperparameters.gradAccumulation : null}
          />
          {startError && (
            <p className="form-error" role="alert">
              {startError}
            </p>
          )}
          <button
            className="primary start"
            disabled={!config || Boolean(live) || start.isPending || noData || Boolean(modelProblem)}
            onClick={() => void onStart()}
          >
            {start.isPending ? 'Starting…' : 'Start training'}
          </button>
          <p className="muted start-hint">
            {noData ? (
              <>
                No experiences to train on yet.{' '}
                <button className="link" onClick={() => setTab('generate')}>
                  Generate some
                </button>{' '}
                first.
              </>
            ) : live ? (
              'A run is still training above: stop or cancel it before starting another.'
            ) : (
              'Stop saves a checkpoint, and a stopped or interrupted run resumes from it.'
            )}
          </p>
        </div>
      </div>
    </section>
  );
}
