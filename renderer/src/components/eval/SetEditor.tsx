import { useEffect, useMemo, useState } from 'react';
import type { QuestionDraft, QuestionMode, QuestionSet } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { useQuestionSet } from '../../lib/eval-queries';
import { invoke } from '../../lib/queries';
import { FormError } from './eval-form';
import { formatTime } from '../../lib/format';

/** The paper's topics (topic-4: the anachronism probes); a set may hold others, shown as they are. */
export const TOPICS: Record<string, string> = {
  'topic-1': 'Personal information and past experiences',
  'topic-2': 'Interpersonal relationships',
  'topic-3': 'Values and preferences',
  'topic-4': 'Anachronism probes',
};

/** A question as edited: a local id for React, the draft the save sends. */
type Row = QuestionDraft & { rowId: string };

let nextRow = 1;
const rowOf = (d: QuestionDraft): Row => ({ ...d, rowId: `r${nextRow++}` });

/**
 * One set: its questions at the current version, editable (add, delete, reword, reorder, rename),
 * saved whole as a new version; older versions open read-only from the version picker.
 */
export function SetEditor({ set }: { set: QuestionSet }) {
  const [version, setVersion] = useState(set.currentVersion);
  const viewing = Math.min(version, set.currentVersion);
  const detail = useQuestionSet(set.id, viewing);
  const readOnly = viewing !== set.currentVersion;
  const [rows, setRows] = useState<Row[] | null>(null);
  const [name, setName] = useState(set.name);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // A new version (a save here, an import elsewhere) shows as saved; unsaved edits are kept.
  useEffect(() => setVersion(set.currentVersion), [set.currentVersion]);
  const loaded = detail.data?.version === viewing ? detail.data : null;
  // Row ids made once per loaded version, so a field keeps its focus through the first keystroke.
  const saved = useMemo(
    () =>
      (loaded?.questions ?? []).map((q) =>
        rowOf({ key: q.key, topicId: q.topicId, topic: q.topic, text: q.text, mode: q.mode }),
      ),
    [loaded],
  );
  const shown: Row[] = rows ?? saved;
  const dirty = rows !== null || name.trim() !== set.name;

  const edit = (next: Row[]) => setRows(next);
  const move = (i: number, by: number) => {
    const next = [...shown];
    const [row] = next.splice(i, 1);
    next.splice(i + by, 0, row!);
    edit(next);
  };
  const save = () => {
    setBusy(true);
    setError(null);
    invoke('eval/questions/save', {
      setId: set.id,
      baseVersion: set.currentVersion,
      questions: shown.map(({ rowId: _, ...d }) => d),
      ...(name.trim() !== set.name && { name }),
    })
      .then(() => setRows(null))
      .catch((e: unknown) => setError(messageOf(e)))
      .finally(() => setBusy(false));
  };
  const archive = () => {
    const unsaved = dirty ? ' Your unsaved changes are dropped.' : '';
    if (
      !window.confirm(
        `Archive “${set.name}”? It leaves the list; interviews that used it keep its questions.${unsaved}`,
      )
    )
      return;
    setBusy(true);
    setError(null);
    invoke('eval/questions/archive', { setId: set.id })
      .catch((e: unknown) => setError(messageOf(e)))
      .finally(() => setBusy(false));
  };
  const counts = countTopics(shown);

  return (
    <section className="card eval-set-editor" aria-label={`Question set ${set.name}`}>
      <header className="eval-editor-head">
        <input
          className="eval-set-name"
          aria-label="Set name"
          value={name}
          disabled={readOnly}
          onChange={(e) => setName(e.target.value)}
        />
        <label className="eval-version">
          <span className="muted">Version</span>
          <select value={viewing} onChange={(e) => setVersion(Number(e.target.value))} aria-label="Version">
            {[...set.versions].reverse().map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version} · {v.note} · {formatTime(v.createdAt)}
              </option>
            ))}
          </select>
        </label>
        <button className="ghost small" onClick={archive} disabled={busy}>
          Archive set
        </button>
      </header>
      <p className="muted">
        {set.origin === 'imported'
          ? `Imported from ${set.source}`
          : set.origin === 'generated'
            ? `Generated (${set.source})`
            : 'Written by hand'}
        {' · '}
        {Object.entries(counts)
          .map(([t, n]) => `${TOPICS[t] ?? t}: ${n}`)
          .join(' · ') || 'no questions'}
      </p>
      {readOnly && (
        <p className="eval-readonly" role="status">
          Version {viewing} is read-only: interviews that used it keep these questions. Edit the current version (v
          {set.currentVersion}) to change the set.
        </p>
      )}
      <ol className="eval-questions">
        {shown.map((q, i) => (
          <li key={q.rowId} className={q.mode === 'multi' ? 'eval-question goal' : 'eval-question'}>
            <span className="eval-qno">{i + 1}</span>
            <textarea
              aria-label={`Question ${i + 1}`}
              rows={1}
              value={q.text}
              readOnly={readOnly}
              onChange={(e) => edit(shown.map((r) => (r === q ? { ...r, text: e.target.value } : r)))}
            />
            <div className="eval-qmeta">
              <select
                aria-label={`Topic of question ${i + 1}`}
                value={q.topicId}
                disabled={readOnly}
                onChange={(e) =>
                  edit(shown.map((r) => (r === q ? { ...r, topicId: e.target.value, topic: undefined } : r)))
                }
              >
                {Object.entries({ ...TOPICS, ...(TOPICS[q.topicId] ? {} : { [q.topicId]: q.topic ?? q.topicId }) }).map(
                  ([id, label]) => (
                    <option key={id} value={id}>
                      {label}
                    </option>
                  ),
                )}
              </select>
              <select
                aria-label={`Kind of question ${i + 1}`}
                value={q.mode}
                disabled={readOnly}
                onChange={(e) => edit(shown.map((r) => (r === q ? { ...r, mode: e.target.value as QuestionMode } : r)))}
              >
                <option value="single">Question</option>
                <option value="multi">Multi-turn goal</option>
              </select>
            </div>
            {!readOnly && (
              <div className="eval-qbuttons">
                <button
                  className="icon"
                  aria-label={`Move question ${i + 1} up`}
                  disabled={i === 0}
                  onClick={() => move(i, -1)}
                >
                  ↑
                </button>
                <button
                  className="icon"
                  aria-label={`Move question ${i + 1} down`}
                  disabled={i === shown.length - 1}
                  onClick={() => move(i, 1)}
                >
                  ↓
                </button>
                <button
                  className="icon danger"
                  aria-label={`Delete question ${i + 1}`}
                  onClick={() => edit(shown.filter((r) => r !== q))}
                >
                  ×
                </button>
              </div>
            )}
          </li>
        ))}
      </ol>
      <FormError error={error} />
      {!readOnly && (
        <div className="actions eval-editor-actions">
          <button onClick={() => edit([...shown, rowOf({ topicId: 'topic-1', text: '', mode: 'single' })])}>
            + Add question
          </button>
          <span className="spacer" />
          {dirty && (
            <button onClick={() => (setRows(null), setName(set.name), setError(null))} disabled={busy}>
              Discard changes
            </button>
          )}
          <button className="primary" onClick={save} disabled={!dirty || busy}>
            {busy ? 'Saving…' : `Save as version ${set.currentVersion + 1}`}
          </button>
        </div>
      )}
    </section>
  );
}

function countTopics(rows: readonly QuestionDraft[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.topicId] = (out[r.topicId] ?? 0) + 1;
  return out;
}
