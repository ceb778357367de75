import type { Character } from '../../../common/contract';
import { characterFigures } from '../lib/character-figures';
import { counted } from '../../../common/plural';
import { useCommand, useProfiles } from '../lib/queries';
import { useUi } from '../state/ui';
import { DatasetTab } from './dataset/DatasetTab';
import { GeneratePanel } from './generation/GeneratePanel';
import { ProfileSection } from './ProfileSection';
import { TABS, Tabs } from './generation/Tabs';
import { ScreenBoundary } from './ScreenBoundary';
import { TrainingPanel } from './training/TrainingPanel';
import { ChatPanel } from './chat/ChatPanel';
import { EvaluateTab } from './eval/EvaluateTab';
import { CharacterAvatar } from './cards/CharacterAvatar';

export function CharacterView({ character }: { character: Character }) {
  const open = useUi((s) => s.open);
  const toast = useUi((s) => s.toast);
  const profiles = useProfiles(character.id);
  const remove = useCommand('characters/delete');
  const tab = useUi((s) => s.characterTab);

  const onDelete = () => {
    // Everything that goes with the character, so 1,600 imported scenes are not deleted unannounced.
    const parts = [
      ...(character.chunkCount > 0 ? [counted(character.chunkCount, 'profile chunk')] : []),
      ...(character.sceneCount > 0 ? [counted(character.sceneCount, 'scene')] : []),
    ];
    const what = parts.length > 0 ? ` and its ${parts.join(' and ')}` : '';
    if (!window.confirm(`Delete ${character.fullName}${what}? This cannot be undone.`)) return;
    remove.mutate(
      { id: character.id },
      { onSuccess: () => toast({ kind: 'info', text: `Deleted ${character.fullName}.` }) },
    );
  };

  return (
    <section className="character-view" aria-labelledby="character-title">
      <header className="character-header">
        {character.hasImage && <CharacterAvatar character={character} large />}
        <div className="character-heading">
          <h1 id="character-title">{character.fullName}</h1>
          <p className="subtitle">
            <span className="pill">{character.shortName}</span>
            {character.era && <span>{character.era}</span>}
            <span className="figures" data-testid="character-figures" title={characterFigures(character).join(' · ')}>
              {characterFigures(character).join(' · ')}
            </span>
          </p>
          {/* In full on the Profile tab; one line elsewhere (the whole in its tooltip), so a long note
              does not push the dataset, the run or the chat below a small window's fold. */}
          {character.notes && (
            <p
              className={tab === 'profile' ? 'notes' : 'notes one-line'}
              title={tab === 'profile' ? undefined : character.notes}
            >
              {character.notes}
            </p>
          )}
        </div>
        <div className="header-actions">
          <button onClick={() => open({ kind: 'export-card', characterId: character.id })}>Export card…</button>
          <button onClick={() => open({ kind: 'edit-character', id: character.id })}>Edit</button>
          <button className="danger" onClick={onDelete}>
            Delete
          </button>
        </div>
      </header>

      <Tabs />

      <ScreenBoundary
        what={`The ${TABS.find((t) => t.id === tab)?.label ?? ''} tab`}
        resetKey={`${character.id}/${tab}`}
      >
        {tab === 'generate' && <GeneratePanel key={character.id} character={character} />}
        {tab === 'dataset' && <DatasetTab key={character.id} character={character} />}
        {tab === 'train' && <TrainingPanel key={character.id} character={character} />}
        {tab === 'chat' && <ChatPanel key={character.id} character={character} />}
        {tab === 'evaluate' && <EvaluateTab key={character.id} character={character} />}
        {tab === 'profile' && (
          <>
            <div className="section-bar">
              <h2>Profile</h2>
              <span className="section-actions">
                <button onClick={() => open({ kind: 'wikipedia', characterId: character.id })}>From Wikipedia…</button>
                <button className="primary" onClick={() => open({ kind: 'import-profile', characterId: character.id })}>
                  + Add profile
                </button>
              </span>
            </div>

            {profiles.isPending ? (
              <p className="muted">Loading…</p>
            ) : profiles.isError ? (
              <p className="form-error">{profiles.error.message}</p>
            ) : profiles.data.length === 0 ? (
              <div className="empty small">
                <h3>No profile yet</h3>
                <p>
                  Paste or import {character.shortName}&apos;s life: a Wikipedia article, your notes or a manuscript. It
                  is split into chunks you can edit, merge and split; scenes are imagined from each chunk.
                </p>
                <button className="primary" onClick={() => open({ kind: 'import-profile', characterId: character.id })}>
                  Add a profile
                </button>
              </div>
            ) : (
              profiles.data.map((profile) => <ProfileSection key={profile.id} profile={profile} />)
            )}
          </>
        )}
      </ScreenBoundary>
    </section>
  );
}
