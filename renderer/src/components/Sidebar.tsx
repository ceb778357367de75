import { characterSummary } from '../lib/character-figures';
import { useCharacters, useInfo } from '../lib/queries';
import type { AppliedTheme } from '../lib/theme';
import { ThemeToggle } from './ThemeSwitch';
import { useUi } from '../state/ui';
import { CharacterAvatar } from './cards/CharacterAvatar';
import { SettingsDialog } from './settings/SettingsDialog';

export function Sidebar({ theme }: { theme: AppliedTheme }) {
  const characters = useCharacters();
  const info = useInfo();
  const selected = useUi((s) => s.selectedCharacterId);
  const select = useUi((s) => s.select);
  const open = useUi((s) => s.open);
  const settingsOpen = useUi((s) => s.settingsOpen);
  const openSettings = useUi((s) => s.openSettings);

  return (
    <nav className="sidebar" aria-label="Characters">
      <div className="brand">
        <span className="logo" aria-hidden="true">
          ◐
        </span>
        Character Studio
        <ThemeToggle applied={theme} />
      </div>
      <button className="primary wide" onClick={() => open({ kind: 'create-character' })}>
        + New character
      </button>
      <button className="wide import-card" onClick={() => open({ kind: 'import-card' })}>
        Import a card…
      </button>
      <ul className="character-list">
        {characters.data?.map((c) => (
          <li key={c.id}>
            <button
              className={c.id === selected ? 'character-item selected' : 'character-item'}
              aria-current={c.id === selected ? 'page' : undefined}
              onClick={() => select(c.id)}
            >
              <CharacterAvatar character={c} />
              <span className="character-meta">
                <span className="name">{c.fullName}</span>
                <span className="sub" title={`${c.era ? `${c.era} · ` : ''}${characterSummary(c)}`}>
                  {c.era ? `${c.era} · ` : ''}
                  {characterSummary(c)}
                </span>
              </span>
            </button>
          </li>
        ))}
      </ul>
      <button className="sidebar-settings" onClick={() => openSettings(true)}>
        <span aria-hidden="true">⚙</span> Settings
      </button>
      {settingsOpen && <SettingsDialog />}
      {info.data && (
        <footer className="sidebar-footer" title={info.data.databasePath}>
          v{info.data.version} · {info.data.door === 'web' ? 'web' : info.data.door} · data in {info.data.dataDir}
        </footer>
      )}
    </nav>
  );
}
