import { memo } from 'react';
import type { FacetCount, SceneFacets, SceneFilter, SceneSort } from '../../../../common/contract';

/** What the browser filters on besides the kind and review (those have their own controls). */
export type MoreFilter = Pick<SceneFilter, 'speaker' | 'chunkId' | 'promptVersion' | 'model' | 'minTurns' | 'maxTurns'>;

export const SORT_LABELS: Record<SceneSort, string> = {
  oldest: 'Oldest first',
  newest: 'Newest first',
  turns: 'Most turns',
  words: 'Most words',
  rating: 'Best rated',
  chunk: 'Profile order',
};

/** The select-shaped facets: filter field, label, "any" choice, and its counts. */
const FACETS: [
  'speaker' | 'chunkId' | 'promptVersion' | 'model',
  string,
  string,
  (f: SceneFacets) => readonly FacetCount[],
][] = [
  ['speaker', 'Speaker', 'Any speaker', (f) => f.speakers],
  ['chunkId', 'Profile chunk', 'Any chunk', (f) => f.chunks],
  ['promptVersion', 'Prompt version', 'Any prompt', (f) => f.promptVersions],
  ['model', 'Model', 'Any model', (f) => f.models],
];

const n = (x: number) => ` (${x.toLocaleString('en-US')})`;

/** A facet as a select: "Any …", then each value with its count; a chosen value stays listed at 0. */
function FacetSelect({
  label,
  any,
  values,
  value,
  onChange,
}: {
  label: string;
  any: string;
  values: readonly FacetCount[];
  value: string | undefined;
  onChange: (next: string | undefined) => void;
}) {
  return (
    <select aria-label={label} value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)}>
      <option value="">{any}</option>
      {value !== undefined && !values.some((v) => v.value === value) && (
        <option value={value}>
          {value}
          {n(0)}
        </option>
      )}
      {values.map((v) => (
        <option key={v.value} value={v.value}>
          {v.label ?? v.value}
          {n(v.count)}
        </option>
      ))}
    </select>
  );
}

/** A whole number of turns, or nothing; anything else typed is ignored until it is one. */
function turnsValue(text: string): number | undefined {
  const value = Number(text);
  return text.trim() === '' || !Number.isInteger(value) || value < 0 ? undefined : value;
}

/**
 * Speaker, profile chunk, prompt version, model and length filters, each value with how many
 * scenes choosing it would show. Hidden behind a disclosure so the list keeps its room at 1024×700;
 * the summary says how many are active.
 */
export const MoreFilters = memo(function MoreFilters({
  facets,
  value,
  onChange,
}: {
  facets: SceneFacets | undefined;
  value: MoreFilter;
  onChange: (next: MoreFilter) => void;
}) {
  const active = Object.values(value).filter((v) => v !== undefined).length;
  const set = (patch: MoreFilter) => {
    const next = { ...value, ...patch };
    for (const key of Object.keys(next) as (keyof MoreFilter)[]) if (next[key] === undefined) delete next[key];
    onChange(next);
  };
  return (
    <details className="more-filters" open={active > 0 ? true : undefined}>
      <summary>
        More filters{active > 0 ? ` · ${active} on` : ''}
        {active > 0 && (
          <button
            className="link small"
            onClick={(e) => {
              e.preventDefault();
              onChange({});
            }}
          >
            clear
          </button>
        )}
      </summary>
      <div className="more-filters-grid">
        {FACETS.map(([key, label, any, values]) => (
          <FacetSelect
            key={key}
            label={label}
            any={any}
            values={facets ? values(facets) : []}
            value={value[key]}
            onChange={(next) => set({ [key]: next })}
          />
        ))}
        {/* Remounted when cleared, so the boxes empty with the filter. */}
        <span className="turns-range" key={`${value.minTurns ?? ''}-${value.maxTurns ?? ''}` === '-' ? 'clear' : 'set'}>
          {(['minTurns', 'maxTurns'] as const).map((key, i) => (
            <input
              key={key}
              type="number"
              min={0}
              aria-label={i === 0 ? 'At least turns' : 'At most turns'}
              placeholder={i === 0 ? 'min' : 'max'}
              defaultValue={value[key] ?? ''}
              onChange={(e) => set({ [key]: turnsValue(e.target.value) })}
            />
          ))}
          <span className="muted">turns</span>
        </span>
      </div>
    </details>
  );
});
