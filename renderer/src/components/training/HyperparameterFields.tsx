import { useId } from 'react';
import type { TrainingPreset } from '../../../../common/contract';
import { NumberField as NumberInput, type NumberFieldProps } from '../form-fields';
import type { DraftField, FieldErrors, NumberField } from './training-form';

/** The new-run form's draft, bound: a field's text as shown, its edit, and what readConfig found wrong. */
export interface DraftBinding {
  text: (field: DraftField) => string;
  set: (field: DraftField, value: string) => void;
  errors: FieldErrors;
}

/** A number field of the form: the draft field it edits, its label, its hint and its input's bounds. */
interface FieldSpec extends Pick<NumberFieldProps<DraftField>, 'label' | 'min' | 'max' | 'step' | 'optional'> {
  name: NumberField;
  hint: string;
}

/** Shown always, in this order. */
const COMMON_FIELDS: FieldSpec[] = [
  {
    name: 'epochs',
    label: 'Epochs',
    hint: 'Passes over the scenes. The paper trained 10 epochs on 1,500–2,200 scenes.',
    min: 0.01,
    step: 1,
  },
  {
    name: 'learningRate',
    label: 'Learning rate',
    hint: 'LoRA: about 1e-4 to 3e-4. Full fine-tuning: the paper used 2e-5.',
    step: 0.0001,
  },
  {
    name: 'batchSize',
    label: 'Batch size',
    hint: 'Scenes per forward pass; lower it when memory runs out.',
    min: 1,
    step: 1,
  },
  {
    name: 'gradAccumulation',
    label: 'Gradient accumulation',
    hint: 'Batches summed per optimizer step.',
    min: 1,
    step: 1,
  },
  {
    name: 'maxLength',
    label: 'Max length (tokens)',
    hint: 'Longer scenes are cut. The paper padded everything to 2,048.',
    min: 64,
    step: 256,
  },
  {
    name: 'maxSteps',
    label: 'Max steps',
    hint: 'Stop after this many optimizer steps, for a quick trial. Empty: all epochs.',
    min: 1,
    step: 1,
    optional: true,
  },
  { name: 'loraRank', label: 'LoRA rank', hint: 'Size of the adapter; 8–64 is usual.', min: 1, step: 1 },
  { name: 'loraAlpha', label: 'LoRA alpha', hint: 'Scale of the adapter, often twice the rank.', min: 1, step: 1 },
];

/** Behind "Checkpoints, dev set, precision and memory", before its choices. */
const MORE_FIELDS: FieldSpec[] = [
  {
    name: 'saveEverySteps',
    label: 'Save every (steps)',
    hint: 'A checkpoint to resume from; Stop also saves one.',
    min: 1,
    step: 10,
  },
  {
    name: 'evalShare',
    label: 'Dev share (%)',
    hint: 'Scenes held out to measure eval loss; 0 skips evaluation.',
    min: 0,
    max: 50,
    step: 1,
  },
  {
    name: 'saveTotalLimit',
    label: 'Checkpoints kept',
    hint: 'The oldest are deleted; each holds the adapter and optimizer.',
    min: 1,
    step: 1,
  },
  {
    name: 'earlyStoppingPatience',
    label: 'Early stopping',
    hint: 'Stop after this many evaluations without a better dev loss. Empty: train all epochs.',
    min: 1,
    step: 1,
    optional: true,
  },
  {
    name: 'warmupRatio',
    label: 'Warm-up (%)',
    hint: 'Share of steps with a rising learning rate; the paper used 4.',
    min: 0,
    max: 50,
    step: 1,
  },
  {
    name: 'weightDecay',
    label: 'Weight decay',
    hint: 'AdamW; the paper used 0.1 for its full fine-tune.',
    min: 0,
    step: 0.01,
  },
];

/**
 * The hyper-parameter part of the new-run form (NewTrainingRun): presets, the common fields, and
 * checkpoints, dev set, precision and memory behind a disclosure. Rendered as siblings inside the
 * form's grid, so it adds no element of its own.
 */
export function HyperparameterFields({
  form,
  presets,
  activePreset,
  onPreset,
  host,
}: {
  form: DraftBinding;
  presets: TrainingPreset[];
  /** The preset the current settings match, if any. */
  activePreset: TrainingPreset | undefined;
  onPreset: (preset: TrainingPreset) => void;
  /** The SSH host the run trains on; undefined for this machine. */
  host: { name: string; gpuCount: number } | undefined;
}) {
  const id = useId();
  const { text, set, errors } = form;
  const fullFinetune = text('fullFinetune') === 'true';
  const field = ({ name, hint, ...props }: FieldSpec) => (
    <NumberInput<DraftField> key={name} field={name} text={text} set={set} errors={errors} {...props}>
      {hint}
    </NumberInput>
  );

  return (
    <>
      <h3 className="span-2 form-section">Hyper-parameters</h3>
      <div className="span-2 presets" role="group" aria-label="Presets">
        <span className="presets-label">Start from</span>
        {presets.map((p) => (
          <button
            key={p.id}
            type="button"
            className={p === activePreset ? 'preset active' : 'preset'}
            aria-pressed={p === activePreset}
            title={p.description}
            onClick={() => onPreset(p)}
          >
            {p.label}
          </button>
        ))}
        <small className="presets-note">
          {activePreset ? activePreset.description : 'Your own settings. A preset changes only the values it names.'}
        </small>
      </div>
      {COMMON_FIELDS.map(field)}

      <details className="more-settings span-2">
        <summary>Checkpoints, dev set, precision and memory</summary>
        <div className="settings-form inner">
          {MORE_FIELDS.map(field)}
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
              aria-describedby={`${id}-qlora`}
              onChange={(e) => set('loadIn4bit', String(e.target.checked))}
            />
            <span>
              QLoRA: load the base model in 4 bits
              <small id={`${id}-qlora`}>
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
          Full fine-tuning needs about 16 bytes of GPU memory per parameter (a 7B model: over 100 GB, i.e. several GPUs)
          and writes a whole model rather than a small adapter. LoRA rank and alpha are ignored.
        </p>
      )}
    </>
  );
}
