import { useEffect } from 'react';
import { useCharacters } from '../lib/queries';
import { useUi } from '../state/ui';
import { CharacterDialog } from './CharacterDialog';
import { CharacterView } from './CharacterView';
import { ImportDialog } from './ImportDialog';
import { DatasetExportDialog } from './interop/DatasetExportDialog';
import { DatasetImportDialog } from './interop/DatasetImportDialog';
import { CardExportDialog } from './cards/CardExportDialog';
import { CardImportDialog } from './cards/CardImportDialog';
import { WikipediaDialog } from './WikipediaDialog';
import { Sidebar } from './Sidebar';
import { Toasts } from './Toasts';

export function App() {
  const characters = useCharacters();
  const selected = useUi((s) => s.selectedCharacterId);
  const select = useUi((s) => s.select);
  const dialog = useUi((s) => s.dialog);

  // Keep the selection valid when the selected character disappears (deleted here or elsewhere).
  // Only a settled list decides: one still fetching may predate a character created a moment ago.
  const settled = !characters.isFetching;
  useEffect(() => {
    const list = characters.data;
    if (!list || !settled) return;
    if (selected && list.some((c) => c.id === selected)) return;
    select(list[0]?.id ?? null);
  }, [characters.data, settled, selected, select]);

  const character = characters.data?.find((c) => c.id === selected) ?? null;

  return (
    <div className="app">
      <Sidebar />
      <main className="content">
        {characters.isError ? (
          <div className="empty">
            <h2>The studio cannot be reached</h2>
            <p>{characters.error.message}</p>
          </div>
        ) : character ? (
          <CharacterView character={character} />
        ) : characters.isPending ? null : (
          <Welcome />
        )}
      </main>
      {dialog.kind === 'create-character' && <CharacterDialog />}
      {dialog.kind === 'edit-character' && <CharacterDialog editId={dialog.id} />}
      {dialog.kind === 'import-profile' && <ImportDialog characterId={dialog.characterId} />}
      {dialog.kind === 'export-dataset' && <DatasetExportDialog characterId={dialog.characterId} />}
      {dialog.kind === 'import-dataset' && <DatasetImportDialog characterId={dialog.characterId} />}
      {dialog.kind === 'import-card' && <CardImportDialog />}
      {dialog.kind === 'export-card' && <CardExportDialog characterId={dialog.characterId} runId={dialog.runId} />}
      {dialog.kind === 'wikipedia' && <WikipediaDialog characterId={dialog.characterId} />}
      <Toasts />
    </div>
  );
}

function Welcome() {
  const open = useUi((s) => s.open);
  return (
    <div className="empty welcome">
      <h1>Character Studio</h1>
      <p>
        Turn a person&apos;s life into a model that plays them: start with a character and their profile — a Wikipedia
        article, your notes or a manuscript. The studio splits it into chunks that scenes and experiences are built
        from.
      </p>
      <button className="primary" onClick={() => open({ kind: 'create-character' })}>
        Create your first character
      </button>
      <ol className="welcome-steps">
        <li>
          <strong>Profile</strong>
          <span>The life story, split into chunks you can edit.</span>
        </li>
        <li>
          <strong>Generate</strong>
          <span>Scenes, experiences and protective scenes, by any LLM.</span>
        </li>
        <li>
          <strong>Dataset</strong>
          <span>Read every scene, traced to the call that made it.</span>
        </li>
        <li>
          <strong>Train</strong>
          <span>A LoRA fine-tune here or on a GPU server.</span>
        </li>
      </ol>
    </div>
  );
}
