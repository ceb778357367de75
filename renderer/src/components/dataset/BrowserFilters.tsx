import { memo, useEffect, useState } from 'react';
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
      {values.map((v) =>
        // Scenes written by hand have no prompt version (an empty value, which no filter can ask
        // for): named, and left to the "By hand" kind above.
        v.value === '' ? (
          <option key="" value="" disabled title="Show them with “By hand” above">
            written by hand, no prompt{n(v.count)}
          </option>
        ) : (
          <option key={v.value} value={v.value}>
            {v.label ?? v.value}
            {n(v.count)}
          </option>
        ),
      )}
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
  // Open until the person closes it: choosing "Any …" or emptying a box must not fold it away.
  const [open, setOpen] = useState(active > 0);
  const set = (patch: MoreFilter) => {
    const next = { ...value, ...patch };
    for (const key of Object.keys(next) as (keyof MoreFilter)[]) if (next[key] === undefined) delete next[key];
    onChange(next);
  };
  return (
    <details className="more-filters" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
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
        <TurnsRange min={value.minTurns} max={value.maxTurns} onChange={(range) => set(range)} />
      </div>
    </details>
  );
});

/**
 * The at-least and at-most boxes. They keep what is typed (and focus) while the filter follows
 * it; a minimum above the maximum is said here and not sent (the studio would refuse it).
 */
function TurnsRange({
  min,
  max,
  onChange,
}: {
  min: number | undefined;
  max: number | undefined;
  onChange: (range: { minTurns: number | undefined; maxTurns: number | undefined }) => void;
}) {
  const [text, setText] = useState({ min: String(min ?? ''), max: String(max ?? '') });
  // A change from outside ("clear") shows in the boxes; what is being typed is kept.
  useEffect(() => {
    setText((t) => ({
      min: turnsValue(t.min) === min ? t.min : String(min ?? ''),
      max: turnsValue(t.max) === max ? t.max : String(max ?? ''),
    }));
  }, [min, max]);
  const low = turnsValue(text.min);
  const high = turnsValue(text.max);
  const crossed = low !== undefined && high !== undefined && low > high;
  const type = (box: 'min' | 'max', typed: string) => {
    const next = { ...text, [box]: typed };
    setText(next);
    const [a, b] = [turnsValue(next.min), turnsValue(next.max)];
    if (a !== undefined && b !== undefined && a > b) return;
    onChange({ minTurns: a, maxTurns: b });
  };
  return (
    <span className="turns-range">
      {(['min', 'max'] as const).map((box) => (
        <input
          key={box}
          type="number"
          min={0}
          aria-label={box === 'min' ? 'At least turns' : 'At most turns'}
          aria-invalid={crossed || undefined}
          placeholder={box}
          value={text[box]}
          onChange={(e) => type(box, e.target.value)}
        />
      ))}
      <span className="muted">turns</span>
      {crossed && (
        <span className="form-error" role="alert">
          min is above max
        </span>
      )}
    </span>
  );
}
