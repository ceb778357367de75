import { useEffect, useRef, useState } from 'react';
import type { Character, SceneId } from '../../../../common/contract';
import { useDatasetStats, useLastReview, useReviewCounts, useScenes } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { ProblemBadge, summarizeProblems } from './FormatProblems';
import { SceneDetail } from './SceneDetail';
import { SceneEditorPanel, type EditorTarget } from './SceneEditorPanel';
import { ReviewActions, ReviewFilters, STATUS_LABELS, WaitingScenes, type ReviewFilter } from './ReviewBar';
import '../../generation.css';
import '../../interop.css';

const PAGE = 50;
type Filter = 'all' | 'normal' | 'protective' | 'problems' | 'waiting';

const FILTER_LABELS: Record<Filter, string> = {
  all: 'All',
  normal: 'Normal',
  protective: 'Protective',
  problems: 'Problems',
  waiting: 'Waiting',
};

function filterArg(filter: Filter): { protective?: boolean; problems?: boolean; waiting?: boolean } {
  if (filter === 'all') return {};
  if (filter === 'problems') return { problems: true };
  if (filter === 'waiting') return { waiting: true };
  return { protective: filter === 'protective' };
}

const FORMATS_NAMED = "the paper's files, ShareGPT, OpenAI, Alpaca, Hugging Face";
const DATASET_IO = [
  { kind: 'import-dataset', label: 'Import dataset…', title: `Add scenes from a dataset file: ${FORMATS_NAMED}` },
  { kind: 'export-dataset', label: 'Export dataset…', title: `Write the dataset for other tools: ${FORMATS_NAMED}` },
] as const;

/** The Dataset tab: totals, the scenes page by page, and one scene read as a transcript. */
export function DatasetPanel({ character }: { character: Character }) {
  const stats = useDatasetStats(character.id);
  const setTab = useUi((s) => s.setCharacterTab);
  const openDialog = useUi((s) => s.open);
  const [filter, setFilter] = useState<Filter>('all');
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<SceneId | null>(null);
  const [review, setReview] = useState<ReviewFilter>({});
  // Scenes ticked for a review action, and the row a shift-click extends the range from.
  const [ticked, setTicked] = useState<ReadonlySet<SceneId>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const sceneFilter = { ...filterArg(filter), ...review };
  const scenes = useScenes({ characterId: character.id, offset: page * PAGE, limit: PAGE, ...sceneFilter });
  const counts = useReviewCounts(character.id, sceneFilter);
  const last = useLastReview(character.id);
  const clearTicks = () => {
    setTicked(new Set());
    setAnchor(null);
  };
  /** Ticks or unticks row `index`; with shift, every row from the last one clicked takes its state. */
  const tick = (index: number, id: SceneId, range: boolean) => {
    const next = new Set(ticked);
    const on = !ticked.has(id);
    const rows = scenes.data?.scenes ?? [];
    const [from, to] = range && anchor !== null ? [Math.min(anchor, index), Math.max(anchor, index)] : [index, index];
    for (const row of rows.slice(from, to + 1)) {
      if (on) next.add(row.id);
      else next.delete(row.id);
    }
    setTicked(next);
    setAnchor(index);
  };
  const [editing, setEditing] = useState<EditorTarget | null>(null);
  const pane = useRef<HTMLElement>(null);
  // A new scene is read from its top: the pane scrolls back, and into the window when a narrow
  // window puts it below the list.
  useEffect(() => {
    const element = pane.current;
    if (!selected || !element) return;
    element.scrollTop = 0;
    const top = element.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight / 2) element.scrollIntoView?.({ block: 'start' });
  }, [selected]);
  const total = scenes.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE));

  const editor = editing && (
    <SceneEditorPanel
      key={editing.kind === 'edit' ? editing.id : 'new'}
      target={editing}
      character={character}
      onClose={() => setEditing(null)}
      onCreated={(id) => setSelected(id)}
    />
  );

  if (stats.data && stats.data.scenes === 0) {
    return (
      <div className="empty small">
        <h3>No scenes yet</h3>
        <p>Scenes and experiences appear here as a run makes them, each with the LLM call it came from.</p>
        <button className="primary" onClick={() => setTab('generate')}>
          Go to Generate
        </button>{' '}
        <button onClick={() => setEditing({ kind: 'new' })}>Write a scene by hand</button>{' '}
        <button onClick={() => openDialog({ kind: 'import-dataset', characterId: character.id })}>
          Import a dataset…
        </button>
        {editor}
      </div>
    );
  }

  return (
    <div className="dataset">
      <div className="dataset-head">
        {stats.data && (
          <dl className="stats" aria-label="Dataset totals">
            <Stat label="Scenes" value={stats.data.scenes} />
            <Stat label="Protective" value={stats.data.protectiveScenes} />
            <Stat label="Experiences" value={stats.data.experiences} />
            <Stat label="Turns" value={stats.data.turns} />
            <Stat label="Words" value={stats.data.words} />
            {stats.data.experiencesWithProblems > 0 && (
              <Stat
                label="With problems"
                value={stats.data.experiencesWithProblems}
                title={`Experiences with parts that did not fit the format: ${summarizeProblems(stats.data.problems)}`}
              />
            )}
          </dl>
        )}
        <div className="dataset-io">
          {DATASET_IO.map((io) => (
            <button
              key={io.kind}
              className="small"
              onClick={() => openDialog({ kind: io.kind, characterId: character.id })}
              title={io.title}
            >
              {io.label}
            </button>
          ))}
        </div>
      </div>
      {stats.isError && <p className="form-error">{stats.error.message}</p>}
      <div className="dataset-grid">
        <section className="scene-column" aria-label="Scenes">
          <div className="scene-toolbar">
            <div className="segmented" role="radiogroup" aria-label="Show">
              {(Object.keys(FILTER_LABELS) as Filter[])
                .filter((f) => f !== 'problems' || (stats.data?.experiencesWithProblems ?? 0) > 0 || filter === f)
                .filter((f) => f !== 'waiting' || (counts.data?.waiting ?? 0) > 0 || filter === f)
                .map((f) => (
                  <button
                    key={f}
                    role="radio"
                    aria-checked={filter === f}
                    className={filter === f ? 'selected' : undefined}
                    onClick={() => {
                      setFilter(f);
                      setPage(0);
                      clearTicks();
                    }}
                  >
                    {FILTER_LABELS[f]}
                    {f === 'problems' && <span className="count">{stats.data?.experiencesWithProblems ?? 0}</span>}
                  </button>
                ))}
            </div>
            <ReviewFilters
              counts={counts.data}
              value={review}
              onChange={(next) => {
                setReview(next);
                setPage(0);
                clearTicks();
              }}
            />
            <span className="muted">
              {total.toLocaleString('en-US')} scene{total === 1 ? '' : 's'}
            </span>
            <button
              className="small"
              onClick={() => setEditing({ kind: 'new' })}
              title="Write a scene by hand, without any LLM"
            >
              + New scene
            </button>
          </div>
          <ReviewActions
            character={character}
            selected={[...ticked]}
            filter={sceneFilter}
            total={total}
            lastSummary={last.data?.summary ?? null}
            onDone={clearTicks}
          />
          <WaitingScenes
            character={character}
            waiting={counts.data?.waiting ?? 0}
            selected={[...ticked]}
            onShow={() => {
              setFilter('waiting');
              setPage(0);
              clearTicks();
            }}
            onDeleted={clearTicks}
          />

          {scenes.isError && <p className="form-error">{scenes.error.message}</p>}
          <ol className={scenes.isPlaceholderData ? 'scene-list stale' : 'scene-list'}>
            {scenes.data?.scenes.map((scene, i) => (
              <li key={scene.id} className={ticked.has(scene.id) ? 'scene-row ticked' : 'scene-row'}>
                <input
                  type="checkbox"
                  className="scene-tick"
                  aria-label={`Select scene ${page * PAGE + i + 1}`}
                  checked={ticked.has(scene.id)}
                  onChange={() => undefined}
                  onClick={(e) => tick(i, scene.id, e.shiftKey)}
                />
                <button
                  className={scene.id === selected ? 'scene-item selected' : 'scene-item'}
                  aria-current={scene.id === selected ? 'true' : undefined}
                  onClick={(e) => {
                    // Shift- or Ctrl/Cmd-click selects for review instead of opening the scene.
                    if (e.shiftKey || e.metaKey || e.ctrlKey) tick(i, scene.id, e.shiftKey);
                    else setSelected(scene.id);
                  }}
                  onDoubleClick={() => setEditing({ kind: 'edit', id: scene.id })}
                  title="Double-click to edit; Shift- or Ctrl-click to select for review"
                  data-testid="scene-item"
                >
                  <span className="scene-number">{page * PAGE + i + 1}</span>
                  <span className="scene-summary">
                    <span className="scene-title">
                      {scene.protective && <span className="badge protective">protective</span>}
                      <span className="scene-type">{scene.type}</span>
                    </span>
                    <span className="scene-where">
                      {scene.location}
                      {scene.time ? ` · ${scene.time}` : ''}
                    </span>
                    {scene.people.length > 0 && <span className="scene-people">{scene.people.join(', ')}</span>}
                    {(scene.review.rating !== null || scene.review.tags.length > 0) && (
                      <span className="scene-review">
                        {scene.review.rating !== null && (
                          <span className="stars" aria-label={`Rated ${scene.review.rating} of 5`}>
                            {'★'.repeat(scene.review.rating)}
                          </span>
                        )}
                        {scene.review.tags.map((t) => (
                          <span key={t} className="tag">
                            {t}
                          </span>
                        ))}
                      </span>
                    )}
                  </span>
                  {scene.review.status !== 'unreviewed' && (
                    <span className={`badge review ${scene.review.status}`} data-testid="review-badge">
                      {STATUS_LABELS[scene.review.status].toLowerCase()}
                    </span>
                  )}
                  {scene.hasExperience && <ProblemBadge counts={scene.problems} />}
                  {!scene.hasExperience && (
                    <span className="badge" title="The experience has not been written yet">
                      pending
                    </span>
                  )}
                </button>
              </li>
            ))}
          </ol>
          {scenes.data && scenes.data.scenes.length === 0 && <p className="muted center">No scenes of this kind.</p>}
          {pages > 1 && (
            <div className="pager">
              <button className="small" disabled={page === 0} onClick={() => setPage(page - 1)}>
                ← Previous
              </button>
              <span className="muted">
                Page {page + 1} of {pages}
              </span>
              <button className="small" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
                Next →
              </button>
            </div>
          )}
        </section>
        <section className={selected ? 'scene-pane reading' : 'scene-pane'} aria-label="Scene" ref={pane}>
          {selected ? (
            <SceneDetail
              id={selected}
              character={character}
              onEdit={() => setEditing({ kind: 'edit', id: selected })}
            />
          ) : (
            <div className="empty small">
              <p>Pick a scene to read it, with its experience and where it came from.</p>
            </div>
          )}
        </section>
      </div>
      {editor}
    </div>
  );
}

function Stat({ label, value, title }: { label: string; value: number; title?: string }) {
  return (
    <div title={title}>
      <dt>{label}</dt>
      <dd>{value.toLocaleString('en-US')}</dd>
    </div>
  );
}
