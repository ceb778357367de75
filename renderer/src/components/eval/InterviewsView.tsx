import { Fragment, useState } from 'react';
import type {
  Character,
  EvalSystemId,
  InterviewId,
  ProviderId,
  QuestionMode,
  QuestionSetId,
  QuestionSetVersion,
} from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { useEvalSystems, useInterviews, useQuestionSet, useQuestionSets } from '../../lib/eval-queries';
import { invoke, storeJob, useProviders } from '../../lib/queries';
import { JobsSection } from '../generation/JobsSection';
import { SystemsCard } from './SystemsCard';
import { Transcript } from './Transcript';
import { TOPICS } from './SetEditor';
import { counted } from '../../../../common/plural';
import { BudgetField, budgetOf, EvalForm, FormError, ProviderSelect } from './eval-form';

/**
 * Interviews: the systems, the form that starts a job (systems × a set, single- or multi-turn), the
 * job cards (progress, cost, time left, pause, resume), and every interview, its transcript opening
 * under its row.
 */
export function InterviewsView({ character }: { character: Character }) {
  const [open, setOpen] = useState<InterviewId | null>(null);
  return (
    <div className="eval-interviews">
      <div className="eval-columns">
        <SystemsCard character={character} />
        <StartForm character={character} />
      </div>
      <JobsSection character={character} kinds={['interview']} />
      <InterviewList character={character} open={open} onOpen={setOpen} />
    </div>
  );
}

/** A version of a question set as the Version field lists it. */
const versionLabel = (v: QuestionSetVersion) => `v${v.version} · ${counted(v.questions, 'question')} · ${v.note}`;

function StartForm({ character }: { character: Character }) {
  const systems = (useEvalSystems(character.id).data ?? []).filter((s) => s.kind !== 'imported');
  const sets = useQuestionSets(character.id).data ?? [];
  const providers = useProviders().data ?? [];
  const [picked, setPicked] = useState<Set<EvalSystemId>>(new Set());
  const [setId, setSetId] = useState<QuestionSetId | ''>('');
  /** '' : the set's newest version, whatever it is when the job starts. */
  const [version, setVersion] = useState('');
  const [mode, setMode] = useState<QuestionMode>('single');
  const [rounds, setRounds] = useState('5');
  const [interviewer, setInterviewer] = useState<ProviderId | ''>('');
  const [budget, setBudget] = useState('');
  const budgetUsd = budgetOf(budget);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const set = sets.find((s) => s.id === setId) ?? sets[0];
  // An older version may hold other questions: count its own, not the newest's.
  const older = set && version !== '' && Number(version) !== set.currentVersion ? Number(version) : undefined;
  const olderDetail = useQuestionSet(older !== undefined ? set!.id : null, older).data;
  const chosenVersion = set?.versions.find((v) => String(v.version) === version);
  /** The chosen version said whole (its field may end it in an ellipsis). */
  const versionNote = chosenVersion && versionLabel(chosenVersion);
  const asked = !set
    ? 0
    : older === undefined
      ? set.counts[mode]
      : (olderDetail?.questions.filter((q) => q.mode === mode).length ?? 0);
  const chosen = systems.filter((s) => picked.has(s.id));
  const interviewerId = interviewer || providers[0]?.id;

  const start = () => {
    if (!set) return;
    setBusy(true);
    setError(null);
    invoke('eval/interviews/start', {
      characterId: character.id,
      systemIds: chosen.map((s) => s.id),
      setId: set.id,
      ...(older !== undefined && { version: older }),
      mode,
      ...(budgetUsd && { budgetUsd }),
      ...(mode === 'multi' && {
        rounds: Number(rounds),
        ...(interviewerId && { interviewerProviderId: interviewerId }),
      }),
    })
      .then(storeJob)
      .catch((e: unknown) => setError(messageOf(e)))
      .finally(() => setBusy(false));
  };

  return (
    <EvalForm className="card eval-start" label="Start interviews" onSubmit={start}>
      <h2>Interview</h2>
      <fieldset className="field">
        <legend>Systems</legend>
        {systems.length === 0 && <p className="muted">Add a system first.</p>}
        {systems.map((s) => (
          <label key={s.id} className="eval-check">
            <input
              type="checkbox"
              checked={picked.has(s.id)}
              onChange={(e) => {
                const next = new Set(picked);
                if (e.target.checked) next.add(s.id);
                else next.delete(s.id);
                setPicked(next);
              }}
            />
            <span>{s.label}</span>
          </label>
        ))}
      </fieldset>
      <div className="eval-row">
        <label className="field">
          <span>Question set</span>
          <select value={set?.id ?? ''} onChange={(e) => (setSetId(e.target.value as QuestionSetId), setVersion(''))}>
            {sets.length === 0 && <option value="">No question set yet</option>}
            {sets.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        {/* An earlier version asks what earlier runs were asked, so their scores stay comparable. */}
        <label className="field">
          <span>Version</span>
          <select value={version} disabled={!set} title={versionNote} onChange={(e) => setVersion(e.target.value)}>
            <option value="">Newest{set ? ` (v${set.currentVersion})` : ''}</option>
            {set?.versions
              .filter((v) => v.version !== set.currentVersion)
              .sort((x, y) => y.version - x.version)
              .map((v) => (
                <option key={v.version} value={String(v.version)} title={v.note}>
                  {versionLabel(v)}
                </option>
              ))}
          </select>
        </label>
      </div>
      <div className="segmented eval-mode" role="group" aria-label="Mode">
        <button type="button" className={mode === 'single' ? 'selected' : ''} onClick={() => setMode('single')}>
          Single-turn
        </button>
        <button type="button" className={mode === 'multi' ? 'selected' : ''} onClick={() => setMode('multi')}>
          Multi-turn
        </button>
      </div>
      <div className="eval-row">
        {mode === 'multi' && (
          <>
            <ProviderSelect label="Interviewer" providers={providers} value={interviewerId} onChange={setInterviewer} />
            <label className="field">
              <span>Rounds</span>
              <input type="number" min={1} max={20} value={rounds} onChange={(e) => setRounds(e.target.value)} />
            </label>
          </>
        )}
        <BudgetField value={budget} onChange={setBudget} />
      </div>
      <p className="muted small-print">
        {mode === 'single'
          ? 'Each question in a fresh conversation, in the paper’s coffee shop with a man from our century.'
          : 'An LLM interviewer (temperature 0.2) pursues each goal one question a round, following up when the character dodges.'}{' '}
        {chosen.length > 0 && set ? `${chosen.length * asked} interview${chosen.length * asked === 1 ? '' : 's'}.` : ''}
      </p>
      <FormError error={error} />
      <button
        className="primary"
        disabled={busy || chosen.length === 0 || !set || asked === 0 || budgetUsd === undefined}
      >
        {busy
          ? 'Starting…'
          : asked === 0 && set
            ? `No ${mode === 'multi' ? 'goals' : 'questions'} in this set`
            : chosen.length === 0
              ? 'Tick a system to interview'
              : budgetUsd === undefined
                ? 'Enter a budget above $0, or none'
                : 'Start interviews'}
      </button>
    </EvalForm>
  );
}

/** Rows drawn at first and added by "Show more": the paper's four systems hold over 3,000 interviews. */
const PAGE = 200;
/** The paper's topics in a table column (the whole name on hover): "topic-3" told a user nothing. */
const TOPIC_SHORT: Record<string, string> = {
  'topic-1': 'Life and past',
  'topic-2': 'Relationships',
  'topic-3': 'Values',
  'topic-4': 'Anachronisms',
};

function InterviewList({
  character,
  open,
  onOpen,
}: {
  character: Character;
  open: InterviewId | null;
  onOpen: (id: InterviewId | null) => void;
}) {
  const systems = useEvalSystems(character.id).data ?? [];
  const sets = useQuestionSets(character.id).data ?? [];
  const [systemId, setSystemId] = useState<EvalSystemId | ''>('');
  const [setId, setSetId] = useState<QuestionSetId | ''>('');
  const [mode, setMode] = useState<QuestionMode | ''>('');
  const [search, setSearch] = useState('');
  const [shown, setShown] = useState(PAGE);
  const all =
    useInterviews({
      characterId: character.id,
      ...(systemId && { systemId }),
      ...(setId && { setId }),
      ...(mode && { mode }),
    }).data ?? [];
  const words = search.trim().toLowerCase();
  const interviews = words ? all.filter((i) => i.question.toLowerCase().includes(words)) : all;
  const label = new Map(systems.map((s) => [s.id, s.label]));
  if (all.length === 0 && !systemId && !setId && !mode) return null;
  return (
    <section className="card eval-interview-list" aria-label="Interviews">
      <header className="card-head">
        <h2>Answers</h2>
        <div className="eval-filters">
          <select
            aria-label="Filter by system"
            value={systemId}
            onChange={(e) => (setSystemId(e.target.value as EvalSystemId), setShown(PAGE))}
          >
            <option value="">Every system</option>
            {systems.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
          <select
            aria-label="Filter by question set"
            value={setId}
            onChange={(e) => (setSetId(e.target.value as QuestionSetId), setShown(PAGE))}
          >
            <option value="">Every question set</option>
            {sets.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <select
            aria-label="Filter by mode"
            value={mode}
            onChange={(e) => (setMode(e.target.value as QuestionMode), setShown(PAGE))}
          >
            <option value="">Single- and multi-turn</option>
            <option value="single">Single-turn</option>
            <option value="multi">Multi-turn</option>
          </select>
          <input
            type="search"
            aria-label="Find a question"
            placeholder="Find a question…"
            value={search}
            onChange={(e) => (setSearch(e.target.value), setShown(PAGE))}
          />
        </div>
      </header>
      <p className="muted small-print">
        {interviews.length === all.length
          ? counted(all.length, 'interview')
          : `${counted(interviews.length, 'interview')} of ${all.length.toLocaleString('en-US')}`}
        {interviews.length > shown && ` · the first ${shown.toLocaleString('en-US')} shown`}
      </p>
      <table className="eval-table">
        <thead>
          <tr>
            <th>System</th>
            <th>Topic</th>
            <th>Question or goal</th>
            <th>Rounds</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {interviews.slice(0, shown).map((i) => (
            <Fragment key={i.id}>
              <tr
                className={i.id === open ? 'selected' : ''}
                onClick={() => onOpen(i.id === open ? null : i.id)}
                onKeyDown={(e) => e.key === 'Enter' && onOpen(i.id === open ? null : i.id)}
                tabIndex={0}
                aria-expanded={i.id === open}
                aria-label={`Open the interview: ${i.question}`}
              >
                <td>{label.get(i.systemId) ?? '?'}</td>
                <td title={`${TOPICS[i.topicId] ?? i.topicId} (${i.topicId})`}>
                  {TOPIC_SHORT[i.topicId] ?? i.topicId}
                </td>
                <td className="eval-question-cell">{i.question}</td>
                <td>
                  {i.roundsDone}/{i.rounds}
                </td>
                <td>
                  <span
                    className={`status status-${i.status === 'done' ? 'succeeded' : i.status === 'pending' ? 'queued' : i.status}`}
                  >
                    {i.status}
                  </span>
                  {i.nonstop && (
                    <span className="pill subtle" title="An answer was cut at the token limit">
                      cut
                    </span>
                  )}
                </td>
              </tr>
              {/* The transcript opens under its row, where the click was: below a list of hundreds it went unseen. */}
              {i.id === open && (
                <tr className="eval-transcript-row">
                  <td colSpan={5}>
                    <Transcript id={i.id} onClose={() => onOpen(null)} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      {interviews.length > shown && (
        <div className="actions eval-more">
          <button className="small" onClick={() => setShown(shown + PAGE)}>
            Show {Math.min(PAGE, interviews.length - shown).toLocaleString('en-US')} more
          </button>
        </div>
      )}
    </section>
  );
}
