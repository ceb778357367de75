import type { JobKindName } from '../../common/contract';

/**
 * Each kind's settings as the current studio writes them, whole: a row an older studio wrote (a
 * field added since, or a hand-made row) is read with these filled in where it has no value.
 */
export type JobSettingsDefaults = Partial<Record<JobKindName, Record<string, unknown>>>;

/**
 * Settings text made whole: a field missing, null where the default is not, or settings that
 * are not a JSON object at all take the default, so an old job shows, resumes and seeds a new run's
 * form instead of yielding NaN figures (sent as null, which the Generate tab could not draw).
 */
function wholeSettings(settings: string, defaults: Record<string, unknown>): string {
  let stored: unknown;
  try {
    stored = JSON.parse(settings);
  } catch {
    stored = null;
  }
  const given = typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? stored : {};
  const whole: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(given))
    if (value !== null || defaults[key] === null || !(key in defaults)) whole[key] = value;
  return JSON.stringify(whole);
}

/**
 * Fills rows' settings (`wholeSettings`) for a repository that reads the same rows again and again
 * (a running job is read at every progress event): each kind's stored settings text is filled once
 * and the result kept, so a repeated read costs a map lookup instead of a JSON parse and stringify.
 * The stored row is not rewritten; a kind with no defaults is read as stored. A job's settings change
 * rarely (raising its budget), so the memo holds about one entry per job; it is emptied when it
 * reaches `limit` entries.
 */
export class SettingsFiller {
  private readonly filled = new Map<string, string>();

  constructor(
    private readonly defaults: JobSettingsDefaults,
    private readonly limit = 512,
  ) {}

  complete<R extends { kind: JobKindName; settings: string }>(row: R): R {
    const defaults = this.defaults[row.kind];
    if (!defaults) return row;
    const key = `${row.kind}\n${row.settings}`;
    let whole = this.filled.get(key);
    if (whole === undefined) {
      whole = wholeSettings(row.settings, defaults);
      if (this.filled.size >= this.limit) this.filled.clear();
      this.filled.set(key, whole);
    }
    return { ...row, settings: whole };
  }
}
