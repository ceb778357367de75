import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { Character, SceneId, Turn } from '../../../../common/contract';
import { markTerms, searchTerms, type SearchTerm } from '../../../../common/search-query';
import { messageOf } from '../../lib/bridge-error';
import { invoke } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { OverflowMenu } from '../overflow-menu';
import { Marked } from './SceneBrowserList';
import { PROBLEM_LABELS, ProblemList } from './FormatProblems';
import { ProvenanceDialog } from './ProvenanceDialog';
import { SceneReviewStrip } from './SceneReviewStrip';
import { TrainingPreviewPanel } from './TrainingPreviewPanel';
import { duplicateScene, sceneName, type CopiedFrom, type DeleteRequest } from './scene-actions';

/** Turns the reader shows before asking: a scene of thousands stays quick to open. */
const READ_TURNS = 300;
import { sceneOriginText } from '../../../../common/provenance';
import { formatTime } from '../../lib/format';

/** One scene and its experience, as a transcript a person can read. */
export function SceneDetail({
  id,
  character,
  onEdit,
  onDelete,
  onDuplicated,
  onReviewed,
  search = '',
}: {
  id: SceneId;
  character: Character;
  onEdit: () => void;
  /** Asks whether to delete the scene (the question names it). */
  onDelete: (request: DeleteRequest) => void;
  /** A copy of the scene was written: open it. */
  onDuplicated: (copy: SceneId, from: CopiedFrom) => void;
  /** Its review was changed from the reading pane. */
  onReviewed: () => void;
  /** The browser's search: its words are marked in the transcript. */
  search?: string;
}) {
  const terms = useMemo(() => searchTerms(search), [search]);
  const scene = useQuery({ queryKey: ['scenes/get', { id }], queryFn: () => invoke('scenes/get', { id }) });
  const [provenance, setProvenance] = useState(false);
  const [allTurns, setAllTurns] = useState(false);
  const [preview, setPreview] = useState(false);
  const [duplicating, setDuplicating] = useState(false);
  const toast = useUi((state) => state.toast);
  // The saved revision, under the scene's own key: a save in the editor invalidates both.
  const revision = useQuery({
    queryKey: ['scenes/get', { id }, 'revision'],
    queryFn: async () => (await invoke('scenes/open', { id })).revision,
    enabled: preview,
  });
  // An imported scene's file and line are on its first revision.
  const imported = useQuery({
    queryKey: ['scenes/revisions', { id }, 'import'],
    queryFn: () => invoke('scenes/revisions', { id }),
    enabled: scene.data?.origin === 'import',
  }).data?.find((r) => r.importedFrom)?.importedFrom;

  if (scene.isPending) return <p className="muted">Loading…</p>;
  if (scene.isError) return <p className="form-error">{scene.error.message}</p>;
  const s = scene.data;
  const experience = s.experience;
  // Turn index → what is wrong with it, for marking the turn in the transcript.
  const flags = new Map<number, string>();
  for (const p of experience?.problems ?? []) {
    if (p.turn !== null) flags.set(p.turn, [flags.get(p.turn), PROBLEM_LABELS[p.code]].filter(Boolean).join(', '));
  }

  const duplicate = async () => {
    setDuplicating(true);
    try {
      onDuplicated(await duplicateScene(character, id), { name: sceneName(s), withEdits: false });
    } catch (failure) {
      toast({ kind: 'error', text: `The copy was not made: ${messageOf(failure)}` });
    } finally {
      setDuplicating(false);
    }
  };

  return (
    <article className="scene-detail" aria-label="Scene detail">
      <header className="scene-detail-head">
        <div>
          <h3>
            {s.protective && <span className="badge protective">protective</span>} {s.type}
          </h3>
          <p className="muted">
            {s.location}
            {s.time ? ` · ${s.time}` : ''}
          </p>
        </div>
        <span className="scene-detail-actions">
          <button className="small primary" onClick={onEdit}>
            Edit
          </button>
          <button
            className="small"
            onClick={() => setProvenance(true)}
            disabled={!s.callId && !experience?.callId}
            title={
              s.callId || experience?.callId
                ? 'The LLM calls that wrote this scene: prompt, answer, model, tokens and cost'
                : 'No LLM call on record: written by hand, imported, or made before calls were logged'
            }
          >
            Provenance
          </button>
          <button
            className="small"
            aria-pressed={preview}
            onClick={() => setPreview(!preview)}
            disabled={!experience}
            title={
              experience ? 'The scene as training takes it, token by token' : 'No experience yet: nothing to train on'
            }
          >
            Training preview
          </button>
          <OverflowMenu
            label="More actions"
            items={[
              {
                label: duplicating ? 'Duplicating…' : 'Duplicate',
                title: 'A copy written by hand, opened in the editor to make a variant; this scene stays as it is',
                disabled: duplicating,
                onSelect: () => void duplicate(),
              },
              {
                label: 'Delete…',
                title: 'Delete this scene with its experience and history (asks first)',
                onSelect: () =>
                  onDelete({
                    id,
                    type: s.type,
                    location: s.location,
                    time: s.time,
                    turns: experience?.turns.length ?? 0,
                    unsaved: false,
                  }),
              },
            ]}
          />
        </span>
      </header>
      <SceneReviewStrip character={character} id={id} review={s.review} onReviewed={onReviewed} />
      {s.protective && s.limit && (
        <p className="limit-note">
          Presses {character.shortName} on something they cannot know: <strong>{s.limit}</strong>
        </p>
      )}
      <p className="scene-background">
        <Marked parts={markTerms(s.background, terms)} />
      </p>
      {s.people.length > 0 && <p className="muted">With: {s.people.join(', ')}</p>}
      {preview && revision.data !== undefined && (
        <TrainingPreviewPanel key={id} sceneId={id} revision={revision.data} dirty={false} character={character} />
      )}
      <h4 className="transcript-title">Experience</h4>
      {experience ? (
        <>
          {experience.background && experience.background !== s.background && (
            <p className="scene-background experience-background">{experience.background}</p>
          )}
          <ProblemList problems={experience.problems} />
          <ol className="transcript">
            {experience.turns.slice(0, allTurns ? undefined : READ_TURNS).map((turn, i) => (
              <TurnLine
                key={i}
                turn={turn}
                main={turn.speaker === character.shortName}
                terms={terms}
                flag={flags.has(i) ? { number: i + 1, label: flags.get(i)! } : null}
              />
            ))}
          </ol>
          {!allTurns && experience.turns.length > READ_TURNS && (
            <p className="muted">
              {(experience.turns.length - READ_TURNS).toLocaleString('en-US')} more turns.{' '}
              <button className="small" onClick={() => setAllTurns(true)}>
                Show them all
              </button>{' '}
              or{' '}
              <button className="small" onClick={onEdit}>
                open the editor
              </button>{' '}
              (it shows any length smoothly).
            </p>
          )}
        </>
      ) : (
        <p className="muted">Not written yet: the experiences stage expands this scene into a dialogue.</p>
      )}
      <p className="muted provenance-line">
        {sceneOriginText(s, imported)} · made {formatTime(s.createdAt)}
      </p>
      {provenance && (
        <ProvenanceDialog
          sceneCallId={s.callId}
          experienceCallId={experience?.callId ?? null}
          onClose={() => setProvenance(false)}
        />
      )}
    </article>
  );
}

function TurnLine({
  turn,
  main,
  flag,
  terms,
}: {
  turn: Turn;
  main: boolean;
  terms: readonly SearchTerm[];
  /** Set when the turn did not fit the format: its 1-based number and what is wrong. */
  flag: { number: number; label: string } | null;
}) {
  const flagged = flag ? ' flagged' : '';
  const title = flag ? `Turn ${flag.number}: ${flag.label}` : undefined;
  if (turn.kind === 'action') {
    return (
      <li className={`turn action${flagged}`} title={title}>
        <span className="stage-direction">
          <Marked
            parts={markTerms(
              turn.text.toLowerCase().startsWith(turn.speaker.toLowerCase())
                ? turn.text
                : `${turn.speaker} — ${turn.text}`,
              terms,
            )}
          />
        </span>
      </li>
    );
  }
  return (
    <li className={`turn ${turn.kind}${main ? ' main' : ''}${flagged}`} title={title}>
      <span className="speaker">
        {turn.speaker}
        {turn.kind === 'thinking' && <span className="kind"> (thinking)</span>}
        {flag && <span className="turn-number">⚑ turn {flag.number}</span>}
      </span>
      <span className="utterance">
        {turn.text.split(/\n\s*\n/).map((paragraph, i) => (
          <span key={i} className="paragraph">
            <Marked parts={markTerms(paragraph, terms)} />
          </span>
        ))}
      </span>
    </li>
  );
}
