import type { Character, EvalSystem, EvalSystemId } from '../../../../common/contract';
import { PAIRWISE_RULE } from '../../../../common/pairwise-rule';
import { usePairwiseSummary } from '../../lib/judge-queries';
import { DIMENSION_LABEL, formatRate } from './judge-format';

/** A choice of one of `systems`, its whole name also in its title (a narrow column may clip it). */
export function SystemSelect({
  label,
  systems,
  value,
  onChange,
}: {
  label: string;
  systems: EvalSystem[];
  value: EvalSystemId | '';
  onChange: (id: EvalSystemId) => void;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <select
        value={value}
        title={systems.find((s) => s.id === value)?.label}
        onChange={(e) => onChange(e.target.value as EvalSystemId)}
      >
        <option value="">Choose…</option>
        {systems.map((s) => (
          <option key={s.id} value={s.id}>
            {s.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Win rates of A against B per dimension, counted by PAIRWISE_RULE as the report counts them, with 95% Wilson intervals. */
export function PairwiseTable({
  character,
  systems,
  pair,
  onPair,
}: {
  character: Character;
  systems: EvalSystem[];
  pair: { a: EvalSystemId; b: EvalSystemId } | null;
  onPair: (pair: { a: EvalSystemId; b: EvalSystemId }) => void;
}) {
  const summary = usePairwiseSummary(character.id, pair).data ?? [];
  const label = (id: EvalSystemId) => systems.find((s) => s.id === id)?.label ?? '?';
  if (systems.length < 2) return null;
  return (
    <section className="card judge-pairwise" aria-label="Pairwise">
      <header className="card-head">
        <h2>Pairwise</h2>
      </header>
      {/* A row of their own, as in the form: two system names side by side did not fit beside the heading. */}
      <div className="judge-pair">
        <SystemSelect
          label="System A"
          systems={systems}
          value={pair?.a ?? ''}
          onChange={(a) => onPair({ a, b: pair?.b ?? a })}
        />
        <SystemSelect
          label="System B"
          systems={systems}
          value={pair?.b ?? ''}
          onChange={(b) => onPair({ a: pair?.a ?? b, b })}
        />
      </div>
      {pair && summary.length === 0 && <p className="muted">No comparison of these two systems yet.</p>}
      {summary.length > 0 && pair && (
        <div className="judge-table-wrap">
          <table className="eval-table judge-table">
            <thead>
              <tr>
                <th>Dimension</th>
                <th>Mode</th>
                <th>{label(pair.a)} wins</th>
                <th>Ties</th>
                <th>{label(pair.b)} wins</th>
                <th>Pairs</th>
                <th>Judge</th>
              </tr>
            </thead>
            <tbody>
              {summary.map((r) => (
                <tr key={`${r.dimension}-${r.mode}-${r.model}-${r.promptVersion}`}>
                  <td>{DIMENSION_LABEL[r.dimension]}</td>
                  <td>{r.mode === 'multi' ? 'multi-turn' : 'single-turn'}</td>
                  <td>{formatRate(r.rates.aWins)}</td>
                  <td>
                    {formatRate(r.rates.ties)}
                    {r.rates.inconsistent.count > 0 && (
                      <small className="muted" title="Pairs whose two orders disagreed, counted as ties">
                        {' '}
                        ({r.rates.inconsistent.count} inconsistent)
                      </small>
                    )}
                  </td>
                  <td>{formatRate(r.rates.bWins)}</td>
                  <td>
                    {r.rates.pairs}
                    {r.rates.unscored > 0 && <span className="muted"> + {r.rates.unscored} unscored</span>}
                  </td>
                  {/* With its prompt, as the scores name their judge: a pair asked again with a newer
                      prompt is counted in that prompt's row, not mixed into the older one's. */}
                  <td className="muted">
                    {r.model} · {r.promptVersion}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small-print">
        Each pair is asked twice, once with each system’s answer first. {PAIRWISE_RULE} Brackets: 95% Wilson intervals.
      </p>
    </section>
  );
}
