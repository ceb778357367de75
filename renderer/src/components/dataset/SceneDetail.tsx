import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Character, SceneId, Turn } from '../../../../common/contract';
import { invoke } from '../../lib/queries';
import { PROBLEM_LABELS, ProblemList } from './FormatProblems';
import { ProvenanceDialog } from './ProvenanceDialog';
import { importedFromText } from '../../../../common/provenance';

/** One scene and its experience, as a transcript a person can read. */
export function SceneDetail({ id, character, onEdit }: { id: SceneId; character: Character; onEdit: () => void }) {
  const scene = useQuery({ queryKey: ['scenes/get', { id }], queryFn: () => invoke('scenes/get', { id }) });
  const [provenance, setProvenance] = useState(false);
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
          <button className="small" onClick={() => setProvenance(true)} disabled={!s.callId && !experience?.callId}>
            Provenance
          </button>
        </span>
      </header>
      {s.protective && s.limit && (
        <p className="limit-note">
          Presses {character.shortName} on something they cannot know: <strong>{s.limit}</strong>
        </p>
      )}
      <p className="scene-background">{s.background}</p>
      {s.people.length > 0 && <p className="muted">With: {s.people.join(', ')}</p>}
      <h4 className="transcript-title">Experience</h4>
      {experience ? (
        <>
          {experience.background && experience.background !== s.background && (
            <p className="scene-background experience-background">{experience.background}</p>
          )}
          <ProblemList problems={experience.problems} />
          <ol className="transcript">
            {experience.turns.map((turn, i) => (
              <TurnLine
                key={i}
                turn={turn}
                main={turn.speaker === character.shortName}
                flag={flags.has(i) ? { number: i + 1, label: flags.get(i)! } : null}
              />
            ))}
          </ol>
        </>
      ) : (
        <p className="muted">Not written yet: the experiences stage expands this scene into a dialogue.</p>
      )}
      <p className="muted provenance-line">
        {s.origin === 'hand'
          ? 'Written by hand'
          : s.origin === 'import'
            ? `Imported ${imported ? importedFromText(imported) : 'from a dataset file'}`
            : `Scene prompt ${s.promptVersion}${experience ? ` · experience prompt ${experience.promptVersion}` : ''}`}{' '}
        · made {new Date(s.createdAt).toLocaleString()}
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
}: {
  turn: Turn;
  main: boolean;
  /** Set when the turn did not fit the format: its 1-based number and what is wrong. */
  flag: { number: number; label: string } | null;
}) {
  const flagged = flag ? ' flagged' : '';
  const title = flag ? `Turn ${flag.number}: ${flag.label}` : undefined;
  if (turn.kind === 'action') {
    return (
      <li className={`turn action${flagged}`} title={title}>
        <span className="stage-direction">
          {turn.text.toLowerCase().startsWith(turn.speaker.toLowerCase())
            ? turn.text
            : `${turn.speaker} — ${turn.text}`}
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
            {paragraph}
          </span>
        ))}
      </span>
    </li>
  );
}
