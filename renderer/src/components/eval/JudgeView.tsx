import { useState } from 'react';
import type {
  Character,
  EvalSystem,
  EvalSystemId,
  JudgeDimension,
  JudgeJob,
  ProviderId,
  QuestionMode,
  ScoreSummary,
} from '../../../../common/contract';
import { judgeNameOf } from '../../../../common/judge-name';
import { messageOf } from '../../lib/bridge-error';
import { useEvalSystems } from '../../lib/eval-queries';
import { useScoreSummary } from '../../lib/judge-queries';
import { invoke, storeJob, useJobs, useProviders } from '../../lib/queries';
import { JobsSection } from '../generation/JobsSection';
import { DIMENSION_LABEL, DIMENSIONS } from './judge-format';
import { PairwiseTable, SystemSelect } from './JudgePairwise';
import { BudgetField, budgetOf } from './eval-form';
import '../../judge.css';

/**
 * Judge: the form that starts a judge job (judge model, systems, dimensions, a pairwise pair), the
 * judge jobs' cards (progress, cost, time left, pause, resume), the mean scores per system and
 * dimension for each judge, and the win rates of a pair. Each interview's own verdicts, with the
 * judge's reasoning, are in its transcript (Interviews).
 */
export function JudgeView({ character }: { character: Character }) {
  const systems = useEvalSystems(character.id).data ?? [];
  const judged = systems.filter((s) => s.interviews > 0);
  const [chosen, setPair] = useState<{ a: EvalSystemId; b: EvalSystemId } | null>(null);
  // Until two systems are chosen, the pair the latest judge job compared (from here or the CLI):
  // the card stood at "Choose…" beside comparisons already made.
  const jobs = useJobs(character.id).data ?? [];
  const latest = jobs
    .filter((j): j is JudgeJob => j.kind === 'judge' && j.settings.pairwise !== null)
    .sort((x, y) => y.createdAt - x.createdAt)[0];
  const pair = chosen ?? latest?.settings.pairwise ?? null;
  return (
    <div className="eval-judge">
      <StartJudge character={character} systems={judged} onPair={setPair} />
      <JobsSection character={character} kinds={['judge']} />
      <ScoresTable character={character} systems={systems} />
      <PairwiseTable character={character} systems={judged} pair={pair} onPair={setPair} />
    </div>
  );
}

function toggled<T>(set: ReadonlySet<T>, item: T, on: boolean): Set<T> {
  const next = new Set(set);
  if (on) next.add(item);
  else next.delete(item);
  return next;
}

function StartJudge({
  character,
  systems,
  onPair,
}: {
  character: Character;
  systems: EvalSystem[];
  onPair: (pair: { a: EvalSystemId; b: EvalSystemId }) => void;
}) {
  const providers = useProviders().data ?? [];
  const [providerId, setProviderId] = useState<ProviderId | ''>('');
  const [model, setModel] = useState('');
  const [picked, setPicked] = useState<ReadonlySet<EvalSystemId>>(new Set());
  const [dimensions, setDimensions] = useState<ReadonlySet<JudgeDimension>>(new Set(DIMENSIONS));
  const [mode, setMode] = useState<QuestionMode | ''>('');
  const [pairwise, setPairwise] = useState(false);
  const [a, setA] = useState<EvalSystemId | ''>('');
  const [b, setB] = useState<EvalSystemId | ''>('');
  const [retries, setRetries] = useState('2');
  const [budget, setBudget] = useState('');
  const budgetUsd = budgetOf(budget);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const provider = providers.find((p) => p.id === providerId) ?? providers[0];
  const scored = systems.filter((s) => picked.has(s.id));
  const pairOk = !pairwise || (a !== '' && b !== '' && a !== b);
  /** What the Start button waits for, said on it; null when the job can start. */
  const waitingFor = !provider
    ? 'Add a provider to judge with (Settings)'
    : pairwise && !pairOk
      ? 'Choose two different systems'
      : scored.length === 0 && !pairwise
        ? 'Tick a system to judge'
        : dimensions.size === 0
          ? 'Tick a dimension to judge'
          : budgetUsd === undefined
            ? 'Enter a budget above $0, or none'
            : null;
  const ready = waitingFor === null;

  const start = () => {
    if (!provider) return;
    setBusy(true);
    setError(null);
    invoke('eval/judge/start', {
      characterId: character.id,
      providerId: provider.id,
      ...(model.trim() && { model: model.trim() }),
      systemIds: scored.map((s) => s.id),
      scores: scored.length > 0,
      dimensions: DIMENSIONS.filter((d) => dimensions.has(d)),
      ...(mode && { mode }),
      ...(pairwise && a && b && { pairwise: { a, b } }),
      maxRetries: Number(retries),
      ...(budgetUsd && { budgetUsd }),
    })
      .then((job) => {
        storeJob(job);
        if (pairwise && a && b) onPair({ a, b });
      })
      .catch((e: unknown) => setError(messageOf(e)))
      .finally(() => setBusy(false));
  };

  return (
    <form
      className="card eval-start"
      aria-label="Start judging"
      onSubmit={(e) => {
        e.preventDefault();
        start();
      }}
    >
      <h2>Judge</h2>
      <p className="muted small-print">
        An LLM scores each finished interview from 1 to 7 per dimension, one call at temperature 0, reasoning first. An
        answer without a readable score is asked again, then left unscored — never guessed.
      </p>
      <div className="judge-fields">
        <label className="field">
          <span>Judge provider</span>
          <select
            value={provider?.id ?? ''}
            title={provider ? `${provider.name} · ${provider.model}` : undefined}
            onChange={(e) => setProviderId(e.target.value as ProviderId)}
          >
            {providers.length === 0 && <option value="">Add a provider in Settings</option>}
            {providers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Judge model</span>
          <input
            value={model}
            placeholder={provider?.model ?? ''}
            title={model.trim() || provider?.model}
            onChange={(e) => setModel(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Interviews</span>
          <select value={mode} onChange={(e) => setMode(e.target.value as QuestionMode | '')}>
            <option value="">All interviews</option>
            <option value="single">Single-turn only</option>
            <option value="multi">Multi-turn only</option>
          </select>
        </label>
        <label className="field">
          <span>Retries</span>
          <input type="number" min={0} max={5} value={retries} onChange={(e) => setRetries(e.target.value)} />
        </label>
        <BudgetField value={budget} onChange={setBudget} />
      </div>
      <div className="judge-columns">
        <fieldset className="field">
          <legend>Score these systems</legend>
          {systems.length === 0 && <p className="muted">No system has finished interviews yet.</p>}
          {systems.map((s) => (
            <label key={s.id} className="eval-check">
              <input
                type="checkbox"
                checked={picked.has(s.id)}
                onChange={(e) => setPicked(toggled(picked, s.id, e.target.checked))}
              />
              <span>
                {s.label}{' '}
                <span className="muted">
                  · {s.interviews} interview{s.interviews === 1 ? '' : 's'}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
        <fieldset className="field">
          <legend>Dimensions</legend>
          {DIMENSIONS.map((d) => (
            <label key={d} className="eval-check">
              <input
                type="checkbox"
                checked={dimensions.has(d)}
                onChange={(e) => setDimensions(toggled(dimensions, d, e.target.checked))}
              />
              <span>
                {DIMENSION_LABEL[d]}
                {d === 'stability' && <span className="muted"> · multi-turn only</span>}
              </span>
            </label>
          ))}
        </fieldset>
      </div>
      <label className="eval-check">
        <input type="checkbox" checked={pairwise} onChange={(e) => setPairwise(e.target.checked)} />
        <span>Also compare two systems answer by answer (each pair asked in both orders)</span>
      </label>
      {pairwise && (
        <div className="judge-pair">
          <SystemSelect label="System A" systems={systems} value={a} onChange={setA} />
          <SystemSelect label="System B" systems={systems} value={b} onChange={setB} />
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button className="primary" disabled={busy || !ready}>
        {busy ? 'Starting…' : (waitingFor ?? 'Start judging')}
      </button>
    </form>
  );
}

/** Mean scores per system and mode (rows) and dimension (columns), for one judge at a time. */
function ScoresTable({ character, systems }: { character: Character; systems: EvalSystem[] }) {
  const summary = useScoreSummary(character.id).data ?? [];
  // A judge is a model and a prompt version, named as the report names it.
  const nameOf = (r: ScoreSummary) => judgeNameOf(r.model, r.promptVersion);
  const judges = [...new Set(summary.map(nameOf))].sort();
  const [chosen, setChosen] = useState('');
  const judge = judges.includes(chosen) ? chosen : judges[0];
  if (!judge) return null;
  const rows = summary.filter((r) => nameOf(r) === judge);
  const label = new Map(systems.map((s) => [s.id, s.label]));
  const keys = [...new Set(rows.map((r) => `${r.systemId}\u0000${r.mode}`))].sort(
    (x, y) =>
      (label.get(x.split('\u0000')[0] as EvalSystemId) ?? '').localeCompare(
        label.get(y.split('\u0000')[0] as EvalSystemId) ?? '',
      ) || x.localeCompare(y),
  );
  const cell = (key: string, d: JudgeDimension): ScoreSummary | undefined =>
    rows.find((r) => `${r.systemId}\u0000${r.mode}` === key && r.dimension === d);
  return (
    <section className="card judge-scores" aria-label="Scores">
      <header className="card-head">
        <h2>Mean scores (1–7)</h2>
        {judges.length > 1 && (
          <select aria-label="Judge" value={judge} title={judge} onChange={(e) => setChosen(e.target.value)}>
            {judges.map((j) => (
              <option key={j}>{j}</option>
            ))}
          </select>
        )}
      </header>
      <div className="judge-table-wrap">
        <table className="eval-table judge-table">
          <thead>
            <tr>
              <th>System</th>
              <th>Mode</th>
              {DIMENSIONS.map((d) => (
                <th key={d}>{DIMENSION_LABEL[d]}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => {
              const [systemId, mode] = key.split('\u0000');
              return (
                <tr key={key}>
                  <td>{label.get(systemId as EvalSystemId) ?? '?'}</td>
                  <td>{mode === 'multi' ? 'multi-turn' : 'single-turn'}</td>
                  {DIMENSIONS.map((d) => {
                    const c = cell(key, d);
                    return (
                      <td key={d} className="judge-cell">
                        {!c ? (
                          <span className="muted">—</span>
                        ) : (
                          <>
                            <strong>{c.mean === null ? 'unscored' : c.mean.toFixed(2)}</strong>
                            {c.mean !== null && <span className="muted"> n={c.scored}</span>}{' '}
                            {c.unscored > 0 && (
                              <span className="pill subtle" title="Verdicts the judge never gave in a readable form">
                                {c.unscored} unscored
                              </span>
                            )}
                          </>
                        )}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="muted small-print">Judge: {judge}. Unscored verdicts are left out of the means.</p>
    </section>
  );
}
