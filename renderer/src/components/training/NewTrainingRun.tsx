import { useId, useMemo, useState, type ReactNode } from 'react';
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
import { NumberField as NumberInput, useDebounced, type NumberFieldProps } from '../form-fields';
import { DoctorResult } from './DoctorResult';
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
  type NumberField,
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

  const field = (
    name: NumberField,
    label: string,
    hint: ReactNode,
    extra: Pick<NumberFieldProps<DraftField>, 'min' | 'max' | 'step' | 'optional'> = {},
  ) => (
    <NumberInput<DraftField> label={label} field={name} text={text} set={set} errors={errors} {...extra}>
      {hint}
    </NumberInput>
  );

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

          <h3 className="span-2 form-section">Hyper-parameters</h3>
          <div className="span-2 presets" role="group" aria-label="Presets">
            <span className="presets-label">Start from</span>
            {options.presets.map((p) => (
              <button
                key={p.id}
                type="button"
                className={p === activePreset ? 'preset active' : 'preset'}
                aria-pressed={p === activePreset}
                title={p.description}
                onClick={() => setDraft(character.id, applyPreset(draft, p))}
              >
                {p.label}
              </button>
            ))}
            <small className="presets-note">
              {activePreset
                ? activePreset.description
                : 'Your own settings. A preset changes only the values it names.'}
            </small>
          </div>
          {field('epochs', 'Epochs', 'Passes over the scenes. The paper trained 10 epochs on 1,500–2,200 scenes.', {
            min: 0.01,
            step: 1,
          })}
          {field('learningRate', 'Learning rate', 'LoRA: about 1e-4 to 3e-4. Full fine-tuning: the paper used 2e-5.', {
            step: 0.0001,
          })}
          {field('batchSize', 'Batch size', 'Scenes per forward pass; lower it when memory runs out.', {
            min: 1,
            step: 1,
          })}
          {field('gradAccumulation', 'Gradient accumulation', 'Batches summed per optimizer step.', {
            min: 1,
            step: 1,
          })}
          {field('maxLength', 'Max length (tokens)', 'Longer scenes are cut. The paper padded everything to 2,048.', {
            min: 64,
            step: 256,
          })}
          {field(
            'maxSteps',
            'Max steps',
            'Stop after this many optimizer steps, for a quick trial. Empty: all epochs.',
            {
              min: 1,
              step: 1,
              optional: true,
            },
          )}
          {field('loraRank', 'LoRA rank', 'Size of the adapter; 8–64 is usual.', { min: 1, step: 1 })}
          {field('loraAlpha', 'LoRA alpha', 'Scale of the adapter, often twice the rank.', { min: 1, step: 1 })}

          <details className="more-settings span-2">
            <summary>Checkpoints, dev set, precision and memory</summary>
            <div className="settings-form inner">
              {field('saveEverySteps', 'Save every (steps)', 'A checkpoint to resume from; Stop also saves one.', {
                min: 1,
                step: 10,
              })}
              {field('evalShare', 'Dev share (%)', 'Scenes held out to measure eval loss; 0 skips evaluation.', {
                min: 0,
                max: 50,
                step: 1,
              })}
              {field(
                'saveTotalLimit',
                'Checkpoints kept',
                'The oldest are deleted; each holds the adapter and optimizer.',
                {
                  min: 1,
                  step: 1,
                },
              )}
              {field(
                'earlyStoppingPatience',
                'Early stopping',
                'Stop after this many evaluations without a better dev loss. Empty: train all epochs.',
                { min: 1, step: 1, optional: true },
              )}
              {field('warmupRatio', 'Warm-up (%)', 'Share of steps with a rising learning rate; the paper used 4.', {
                min: 0,
                max: 50,
                step: 1,
              })}
              {field('weightDecay', 'Weight decay', 'AdamW; the paper used 0.1 for its full fine-tune.', {
                min: 0,
                step: 0.01,
              })}
              <label>
                Precision
                <select value={text('dtype')} onChange={(e) => set('dtype', e.target.value)}>
                  <option value="auto">Automatic</option>
                  <option value="bf16">bf16</option>
                  <option value="fp16">fp16 (older GPUs)</option>
                  <option value="fp32">fp32 (CPU, or to rule out precision)</option>
                </select>
                <small>Automatic: bf16 where the GPU has it, else fp16 on a GPU, fp32 on the CPU.</small>
              </label>
              <label>
                Several GPUs
                <select value={text('sharding')} onChange={(e) => set('sharding', e.target.value)}>
                  <option value="auto">Automatic</option>
                  <option value="ddp">DDP: a whole copy on each GPU</option>
                  <option value="fsdp">FSDP: the model sharded across GPUs</option>
                </select>
                <small>
                  {host && host.gpuCount > 1
                    ? `${host.name} trains on ${host.gpuCount} GPUs through torchrun.`
                    : 'Automatic: FSDP for full fine-tuning, DDP for LoRA; used with more than one GPU.'}
                </small>
              </label>
              <label className="checkbox span-2">
                <input
                  type="checkbox"
                  checked={text('loadIn4bit') === 'true'}
                  disabled={fullFinetune}
                  aria-describedby={`${pythonId}-qlora`}
                  onChange={(e) => set('loadIn4bit', String(e.target.checked))}
                />
                <span>
                  QLoRA: load the base model in 4 bits
                  <small id={`${pythonId}-qlora`}>
                    About a quarter of the memory for the frozen weights, a little slower. Needs a CUDA GPU with
                    bitsandbytes; not with full fine-tuning.
                  </small>
                  {errors.loadIn4bit && <small className="field-error">{errors.loadIn4bit}</small>}
                </span>
              </label>
              <label>
                Thinking turns
                <select value={text('thinking')} onChange={(e) => set('thinking', e.target.value)}>
                  <option value="keep">Keep, as (thinking) text</option>
                  <option value="drop">Drop</option>
                </select>
                <small>The character&apos;s inner thoughts, which the paper kept in its data.</small>
              </label>
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={text('gradientCheckpointing') === 'true'}
                  onChange={(e) => set('gradientCheckpointing', String(e.target.checked))}
                />
                <span>
                  Gradient checkpointing
                  <small>Recomputes activations: much less memory for about a third more time.</small>
                </span>
              </label>
              <label className="checkbox span-2">
                <input
                  type="checkbox"
                  checked={fullFinetune}
                  onChange={(e) => set('fullFinetune', String(e.target.checked))}
                />
                <span>
                  Full fine-tuning instead of LoRA
                  <small>Trains every weight, as the paper did.</small>
                </span>
              </label>
            </div>
          </details>
          {fullFinetune && (
            <p className="span-2 job-message" role="note">
              Full fine-tuning needs about 16 bytes of GPU memory per parameter (a 7B model: over 100 GB, i.e. several
              GPUs) and writes a whole model rather than a small adapter. LoRA rank and alpha are ignored.
            </p>
          )}
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
