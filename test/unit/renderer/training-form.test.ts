import { describe, expect, it } from 'vitest';
import {
  applyPreset,
  formDefaults,
  matchesPreset,
  readConfig,
} from '../../../renderer/src/components/training/training-form';
import { BASE_MODELS, DEFAULT_HYPERPARAMETERS, TRAINING_PRESETS } from '../../../main/core/training/catalog';

const options = { baseModels: [...BASE_MODELS], defaults: DEFAULT_HYPERPARAMETERS };
const curated = BASE_MODELS.map((m) => m.id);
const defaults = formDefaults(options, undefined);
const preset = (id: string) => TRAINING_PRESETS.find((p) => p.id === id)!;

describe('the training form', () => {
  it('reads untouched defaults as the recommended LoRA preset', () => {
    const { config, errors } = readConfig({}, defaults, curated);
    expect(errors).toEqual({});
    expect(config!.hyperparameters).toEqual(DEFAULT_HYPERPARAMETERS);
    expect(matchesPreset(config, preset('lora'))).toBe(true);
    expect(matchesPreset(config, preset('paper'))).toBe(false);
  });

  it("applies a preset's values and keeps what it does not name", () => {
    const typed = { python: '/opt/py/bin/python', epochs: '7', thinking: 'drop' };
    const draft = applyPreset(typed, preset('paper'));
    const { config, errors } = readConfig(draft, defaults, curated);
    expect(errors).toEqual({});
    expect(config!.python).toBe('/opt/py/bin/python');
    expect(config!.hyperparameters).toMatchObject({
      fullFinetune: true,
      epochs: 10,
      learningRate: 2e-5,
      warmupRatio: 0.04,
      weightDecay: 0.1,
      thinking: 'drop',
    });
    expect(matchesPreset(config, preset('paper'))).toBe(true);
    // Shares show in percent, as the user types them.
    expect(draft.warmupRatio).toBe('4');
  });

  it('says which settings cannot go together', () => {
    const both = readConfig({ fullFinetune: 'true', loadIn4bit: 'true' }, defaults, curated);
    expect(both.config).toBeNull();
    expect(both.errors.loadIn4bit).toMatch(/QLoRA trains an adapter/);
    const patience = readConfig({ earlyStoppingPatience: '3', evalShare: '0' }, defaults, curated);
    expect(patience.errors.earlyStoppingPatience).toMatch(/dev share above 0/);
    const ok = readConfig({ earlyStoppingPatience: '3' }, defaults, curated);
    expect(ok.config!.hyperparameters.earlyStoppingPatience).toBe(3);
    expect(readConfig({ saveTotalLimit: '0' }, defaults, curated).errors.saveTotalLimit).toMatch(/between 1/);
  });
});
