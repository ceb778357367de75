import { useState, type FormEvent } from 'react';
import type { CharacterId } from '../../../common/contract';
import { messageOf } from '../lib/bridge-error';
import { storeCharacter, useCharacters, useCommand } from '../lib/queries';
import { useUi } from '../state/ui';
import { DialogFooter } from './dialog-footer';
import { Modal } from './Modal';
import { suggestShortName } from '../../../common/short-name';

/** Create a character, or edit one when `editId` is given. Errors show in the form. */
export function CharacterDialog({ editId }: { editId?: CharacterId }) {
  const close = useUi((s) => s.close);
  const select = useUi((s) => s.select);
  const setTab = useUi((s) => s.setCharacterTab);
  const existing = useCharacters().data?.find((c) => c.id === editId);
  // The character as the form opened on it: a save sends only what the user changed from this, so
  // a field changed meanwhile elsewhere (the CLI, another window) is not written back over.
  const [opened] = useState(existing);
  const [fullName, setFullName] = useState(existing?.fullName ?? '');
  const [shortName, setShortName] = useState(existing?.shortName ?? '');
  const [shortTouched, setShortTouched] = useState(Boolean(existing));
  const [era, setEra] = useState(existing?.era ?? '');
  const [notes, setNotes] = useState(existing?.notes ?? '');
  const [error, setError] = useState<string | null>(null);
  const create = useCommand('characters/create', { quiet: true });
  const update = useCommand('characters/update', { quiet: true });
  const busy = create.isPending || update.isPending;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const draft = { fullName, shortName: shortName || suggestShortName(fullName), era, notes };
    try {
      if (editId) {
        const patch = Object.fromEntries(
          Object.entries(draft).filter(([key, value]) => opened?.[key as keyof typeof draft] !== value),
        );
        if (Object.keys(patch).length > 0) storeCharacter(await update.mutateAsync({ id: editId, ...patch }));
      } else {
        // Into the cache first: App falls back to the first character when the selected one is
        // not in the list, and the refetch that brings it may still be on its way.
        const created = await create.mutateAsync(draft);
        storeCharacter(created);
        select(created.id);
        // A new character has no profile yet; its Profile tab is where one is added.
        setTab('profile');
      }
      close();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <Modal title={editId ? 'Edit character' : 'New character'} onClose={close}>
      <form className="form" onSubmit={(e) => void onSubmit(e)}>
        <label>
          Full name
          <input
            autoFocus
            required
            value={fullName}
            placeholder="Ludwig van Beethoven"
            onChange={(e) => {
              setFullName(e.target.value);
              if (!shortTouched) setShortName(suggestShortName(e.target.value));
            }}
          />
          <small>Used in the role-play prompt: “I want you to act like …”.</small>
        </label>
        <label>
          Short name
          <input
            required
            value={shortName}
            placeholder="Beethoven"
            onChange={(e) => {
              setShortTouched(true);
              setShortName(e.target.value);
            }}
          />
          <small>The speaker label in scenes: “Beethoven (speaking): …”.</small>
        </label>
        <label>
          Era or dates
          <input value={era} placeholder="1770–1827, Bonn and Vienna" onChange={(e) => setEra(e.target.value)} />
          <small>Decides what the character cannot know.</small>
        </label>
        <label>
          Notes
          <textarea rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} />
        </label>
        <DialogFooter
          error={error}
          onClose={close}
          submitLabel={editId ? 'Save' : 'Create character'}
          pendingLabel={editId ? 'Saving…' : 'Creating…'}
          pending={busy}
        />
      </form>
    </Modal>
  );
}
