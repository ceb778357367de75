import type { GenerationSettings, Provider, ProviderId } from '../../../../common/contract';
import type { GenerationDraft } from '../../state/ui';

export type Defaults = Omit<GenerationSettings, 'providerId'>;
export type Field = keyof GenerationSettings;
export type FieldErrors = Partial<Record<Field, string>>;

/** The form's text for a field: what the user typed, else the default as the form shows it. */
export function fieldText(field: Field, draft: GenerationDraft, defaults: Defaults, providerId: string): string {
  const typed = draft[field];
  if (typed !== undefined) return typed;
  if (field === 'providerId') return providerId;
  if (field === 'preset') return defaults.preset ?? 'studio';
  if (field === 'protectiveShare') return String(Math.round(defaults.protectiveShare * 1000) / 10);
  if (field === 'budgetUsd') return defaults.budgetUsd === null ? '' : String(defaults.budgetUsd);
  return String(defaults[field]);
}

/** The provider a new run uses unless the user picks another: the last used one, else the first. */
export function defaultProviderId(providers: Provider[], lastUsed: ProviderId | null): string {
  if (lastUsed && providers.some((p) => p.id === lastUsed)) return lastUsed;
  return providers[0]?.id ?? '';
}

interface Range {
  label: string;
  min: number;
  max: number;
  integer?: boolean;
}

const RANGES: Record<Exclude<Field, 'providerId' | 'budgetUsd' | 'preset'>, Range> = {
  targetScenes: { label: 'Target scenes', min: 1, max: 100_000, integer: true },
  scenesPerCall: { label: 'Scenes per call', min: 1, max: 100, integer: true },
  protectiveShare: { label: 'Protective share', min: 0, max: 20 },
  temperature: { label: 'Temperature', min: 0, max: 2 },
  topP: { label: 'Top-p', min: 0, max: 1 },
  maxTokens: { label: 'Max tokens', min: 16, max: 200_000, integer: true },
  dedupeThreshold: { label: 'Duplicate threshold', min: 0, max: 1 },
};

/** The fields a preset other than the studio's sets itself; the form hides them for it. */
export const PRESET_FIELDS: readonly Field[] = ['targetScenes', 'scenesPerCall', 'protectiveShare'];

/**
 * Reads the form into settings main accepts, or says per field what is wrong. Main validates
 * again; this only lets the user hear early. The protective share is typed as a percentage.
 * With the paper preset the scene numbers are the plan's (main sets them), so what the hidden
 * fields hold is neither checked nor sent; the studio's own settings carry no preset at all.
 */
export function readSettings(
  draft: GenerationDraft,
  defaults: Defaults,
  providerId: string,
): { settings: GenerationSettings | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const text = (field: Field) => fieldText(field, draft, defaults, providerId).trim();
  const paper = text('preset') === 'paper';
  const num = (field: keyof typeof RANGES): number => {
    if (paper && PRESET_FIELDS.includes(field)) return defaults[field];
    const range = RANGES[field];
    const raw = text(field);
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n)) errors[field] = `${range.label} must be a number.`;
    else if (range.integer && !Number.isInteger(n)) errors[field] = `${range.label} must be a whole number.`;
    else if (n < range.min || n > range.max)
      errors[field] =
        `${range.label} must be between ${range.min.toLocaleString('en-US')} and ${range.max.toLocaleString('en-US')}.`;
    return n;
  };
  const provider = text('providerId');
  if (provider === '') errors.providerId = 'Choose a provider.';
  const budgetText = text('budgetUsd');
  const budget = budgetText === '' ? null : Number(budgetText);
  if (budget !== null && !(Number.isFinite(budget) && budget > 0))
    errors.budgetUsd = 'The budget must be an amount above $0, or empty for no limit.';
  const settings: GenerationSettings = {
    providerId: provider as ProviderId,
    ...(paper && { preset: 'paper' as const }),
    targetScenes: num('targetScenes'),
    scenesPerCall: num('scenesPerCall'),
    protectiveShare: num('protectiveShare') / 100,
    temperature: num('temperature'),
    topP: num('topP'),
    maxTokens: num('maxTokens'),
    budgetUsd: budget,
    dedupeThreshold: num('dedupeThreshold'),
  };
  if (!paper && settings.scenesPerCall > settings.targetScenes && !errors.scenesPerCall && !errors.targetScenes)
    errors.scenesPerCall = 'Scenes per call cannot be more than the target.';
  return { settings: Object.keys(errors).length === 0 ? settings : null, errors };
}

/**
 * Whether calls cost nothing per token: the embedded model and the local-server presets. Custom
 * endpoints may be paid gateways, so they are priced like hosted APIs (as main's estimate does).
 */
export function isLocal(provider: Provider): boolean {
  return ['embedded', 'ollama', 'lmstudio', 'llamacpp', 'vllm'].includes(provider.preset);
}
