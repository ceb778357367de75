import { useState } from 'react';
import type { Profile, ProfileProvenance } from '../../../common/contract';
import { useCommand } from '../lib/queries';
import { ChunkCard } from './ChunkCard';
import { counted } from '../../../common/plural';

const FORMAT_LABEL: Record<Profile['format'], string> = {
  'character-llm': 'Character-LLM profile',
  markdown: 'Markdown',
  text: 'Plain text',
};

export function ProfileSection({ profile }: { profile: Profile }) {
  const [collapsed, setCollapsed] = useState(false);
  const [renaming, setRenaming] = useState(false);
  const [title, setTitle] = useState(profile.title);
  const rename = useCommand('profiles/rename');
  const remove = useCommand('profiles/delete');

  const saveTitle = () => {
    setRenaming(false);
    if (title.trim() && title !== profile.title) rename.mutate({ id: profile.id, title });
    else setTitle(profile.title);
  };

  return (
    <article className="profile" aria-label={`Profile ${profile.title}`}>
      <header className="profile-header">
        <button
          className="icon"
          aria-expanded={!collapsed}
          aria-label={collapsed ? 'Expand' : 'Collapse'}
          onClick={() => setCollapsed(!collapsed)}
        >
          {collapsed ? '▸' : '▾'}
        </button>
        {renaming ? (
          <input
            className="title-input"
            autoFocus
            aria-label="Profile title"
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            onBlur={saveTitle}
            onKeyDown={(e) => {
              if (e.key === 'Enter') saveTitle();
              if (e.key === 'Escape') {
                setTitle(profile.title);
                setRenaming(false);
              }
            }}
          />
        ) : (
          <h3 onDoubleClick={() => setRenaming(true)}>{profile.title}</h3>
        )}
        <span className="muted">
          {FORMAT_LABEL[profile.format]} · {profile.chunks.length} chunks · {profile.words.toLocaleString()} words
          {profile.sourceName && !profile.provenance?.url ? ` · ${profile.sourceName}` : ''}
        </span>
        <span className="spacer" />
        <button className="small" onClick={() => setRenaming(true)}>
          Rename
        </button>
        <button
          className="small danger"
          onClick={() => {
            if (
              window.confirm(
                `Delete the profile “${profile.title}” and its ${counted(profile.chunks.length, 'chunk')}?`,
              )
            ) {
              remove.mutate({ id: profile.id });
            }
          }}
        >
          Delete
        </button>
      </header>
      {profile.provenance && <Provenance provenance={profile.provenance} />}
      {!collapsed && (
        <ol className="chunks">
          {profile.chunks.map((chunk, index) => (
            <ChunkCard key={chunk.id} chunk={chunk} isLast={index === profile.chunks.length - 1} />
          ))}
        </ol>
      )}
    </article>
  );
}

/** Where the profile came from: the article or card, its revision and licence (kept for attribution). */
function Provenance({ provenance: p }: { provenance: ProfileProvenance }) {
  const source = p.kind === 'wikipedia' ? 'Wikipedia' : 'Character card';
  return (
    <p className="provenance muted">
      {source}
      {p.url && (
        <>
          {' · '}
          <a href={p.url} target="_blank" rel="noreferrer noopener">
            {p.url}
          </a>
        </>
      )}
      {p.revision && ` · ${p.kind === 'wikipedia' ? 'revision' : 'version'} ${p.revision}`}
      {p.author && ` · by ${p.author}`}
      {p.licence && (
        <>
          {' · '}
          {p.licenceUrl ? (
            <a href={p.licenceUrl} target="_blank" rel="noreferrer noopener">
              {p.licence}
            </a>
          ) : (
            p.licence
          )}
        </>
      )}
      {` · read ${new Date(p.retrievedAt).toLocaleDateString()}`}
    </p>
  );
}
