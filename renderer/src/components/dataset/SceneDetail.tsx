import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Character, SceneId, Turn } from '../../../../common/contract';
import { invoke } from '../../lib/queries';
import { ProvenanceDialog } from './ProvenanceDialog';

/** One scene and its experience, as a transcript a person can read. */
export function SceneDetail({ id, character }: { id: SceneId; character: Character }) {
  const scene = useQuery({ queryKey: ['scenes/get', { id }], queryFn: () => invoke('scenes/get', { id }) });
  const [provenance, setProvenance] = useState(false);

  if (scene.isPending) return <p className="muted">Loading…</p>;
  if (scene.isError) return <p className="form-error">{scene.error.message}</p>;
  const s = scene.data;
  const experience = s.experience;

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
        <button className="small" onClick={() => setProvenance(true)} disabled={!s.callId && !experience?.callId}>
          Provenance
        </button>
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
          <ol className="transcript">
            {experience.turns.map((turn, i) => (
              <TurnLine key={i} turn={turn} main={turn.speaker === character.shortName} />
            ))}
          </ol>
        </>
      ) : (
        <p className="muted">Not written yet: the experiences stage expands this scene into a dialogue.</p>
      )}
      <p className="muted provenance-line">
        Scene prompt {s.promptVersion}
        {experience ? ` · experience prompt ${experience.promptVersion}` : ''} · made{' '}
        {new Date(s.createdAt).toLocaleString()}
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

function TurnLine({ turn, main }: { turn: Turn; main: boolean }) {
  if (turn.kind === 'action') {
    return (
      <li className="turn action">
        <span className="stage-direction">
          {turn.text.toLowerCase().startsWith(turn.speaker.toLowerCase())
            ? turn.text
            : `${turn.speaker} — ${turn.text}`}
        </span>
      </li>
    );
  }
  return (
    <li className={`turn ${turn.kind}${main ? ' main' : ''}`}>
      <span className="speaker">
        {turn.speaker}
        {turn.kind === 'thinking' && <span className="kind"> (thinking)</span>}
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
