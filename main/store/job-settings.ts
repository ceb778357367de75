import type { JobKindName } from '../../common/contract';

/**
 * Each kind's settings as the current studio writes them, whole: a row an older studio wrote (a
 * field added since, or a hand-made row) is read with these filled in where it has no value.
 */
export type JobSettingsDefaults = Partial<Record<JobKindName, Record<string, unknown>>>;

/**
 * `row` with its settings whole: a field missing, null where the default is not, or settings that
 * are not a JSON object at all take the default, so an old job shows, resumes and seeds a new run's
 * form instead of yielding NaN figures (sent as null, which the Generate tab could not draw). The
 * stored row is not rewritten. A kind with no defaults is read as stored.
 */
export function withDefaultSettings<R extends { settings: string }>(
  row: R,
  defaults: Record<string, unknown> | undefined,
): R {
  if (!defaults) return row;
  let stored: unknown;
  try {
    stored = JSON.parse(row.settings);
  } catch {
    stored = null;
  }
  const given = typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? stored : {};
  const whole: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(given))
    if (value !== null || defaults[key] === null || !(key in defaults)) whole[key] = value;
  return { ...row, settings: JSON.stringify(whole) };
}
