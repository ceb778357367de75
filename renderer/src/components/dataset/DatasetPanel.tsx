import { useEffect, useRef, useState } from 'react';
import type { Character, SceneId } from '../../../../common/contract';
import { useDatasetStats, useScenes } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { ProblemBadge, summarizeProblems } from './FormatProblems';
import { SceneDetail } from './SceneDetail';
import { SceneEditorPanel, type EditorTarget } from './SceneEditorPanel';
import '../../generation.css';

const PAGE = 50;
type Filter = 'all' | 'normal' | 'protective' | 'problems';

const FILTER_LABELS: Record<Filter, string> = {
  all: 'All',
  normal: 'Normal',
  protective: 'Protective',
  problems: 'Problems',
};

function filterArg(filter: Filter): { protective?: boolean; problems?: boolean } {
  if (filter === 'all') return {};
  if (filter === 'problems') return { problems: true };
  return { protective: filter === 'protective' };
}

/** The Dataset tab: totals, the scenes page by page, and one scene read as a transcript. */
export function DatasetPanel({ character }: { character: Character }) {
  const stats = useDatasetStats(character.id);
  const setTab = useUi((s) => s.setCharacterTab);
  const [filter, setFilter] = useState<Filter>('all');
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<SceneId | null>(null);
  const [editing, setEditing] = useState<EditorTarget | null>(null);
  const scenes = useScenes({
    characterId: character.id,
    offset: page * PAGE,
    limit: PAGE,
    ...filterArg(filter),
  });
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
        <button onClick={() => setEditing({ kind: 'new' })}>Write a scene by hand</button>
        {editor}
      </div>
    );
  }

  return (
    <div className="dataset">
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
      {stats.isError && <p className="form-error">{stats.error.message}</p>}
      <div className="dataset-grid">
        <section className="scene-column" aria-label="Scenes">
          <div className="scene-toolbar">
            <div className="segmented" role="radiogroup" aria-label="Show">
              {(Object.keys(FILTER_LABELS) as Filter[])
                .filter((f) => f !== 'problems' || (stats.data?.experiencesWithProblems ?? 0) > 0 || filter === f)
                .map((f) => (
                  <button
                    key={f}
                    role="radio"
                    aria-checked={filter === f}
                    className={filter === f ? 'selected' : undefined}
                    onClick={() => {
                      setFilter(f);
                      setPage(0);
                    }}
                  >
                    {FILTER_LABELS[f]}
                    {f === 'problems' && <span className="count">{stats.data?.experiencesWithProblems ?? 0}</span>}
                  </button>
                ))}
            </div>
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
          {scenes.isError && <p className="form-error">{scenes.error.message}</p>}
          <ol className={scenes.isPlaceholderData ? 'scene-list stale' : 'scene-list'}>
            {scenes.data?.scenes.map((scene, i) => (
              <li key={scene.id}>
                <button
                  className={scene.id === selected ? 'scene-item selected' : 'scene-item'}
                  aria-current={scene.id === selected ? 'true' : undefined}
                  onClick={() => setSelected(scene.id)}
                  onDoubleClick={() => setEditing({ kind: 'edit', id: scene.id })}
                  title="Double-click to edit"
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
                  </span>
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
