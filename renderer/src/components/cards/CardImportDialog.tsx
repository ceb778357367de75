import { useState, type FormEvent } from 'react';
import { toBase64 } from '../../lib/files';
import { useUi } from '../../state/ui';
import { useDialogCommand } from '../dialog-command';
import { DialogFooter } from '../dialog-footer';
import { FileDropzone } from '../file-dropzone';
import { Modal } from '../Modal';
import { counted } from '../../../../common/plural';

/** What the web door carries in one request (16 MB of JSON) once the file is base64. */
const MAX_CARD_BYTES = 12 * 1024 * 1024;

/**
 * "Import a card…": a character card from a role-play app (V1, V2 or V3; PNG, JSON or CHARX)
 * becomes a new character with a profile built from the card and the card's picture.
 */
export function CardImportDialog() {
  const select = useUi((s) => s.select);
  const [file, setFile] = useState<File | null>(null);
  const { run, error, setError, pending, close } = useDialogCommand('cards/import');

  const pick = (picked: File | undefined) => {
    setError(null);
    if (!picked) return;
    if (picked.size > MAX_CARD_BYTES) {
      setError(
        `${picked.name} is ${(picked.size / 1024 / 1024).toFixed(1)} MB; cards up to ${MAX_CARD_BYTES / 1024 / 1024} MB are imported here. Import larger ones with: character-studio card import <file>`,
      );
      return;
    }
    setFile(picked);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    void run(
      async () => ({ fileBase64: toBase64(new Uint8Array(await file.arrayBuffer())), fileName: file.name }),
      (result) => {
        select(result.character.id);
        return `Imported the ${result.spec.toUpperCase()} card of ${result.character.fullName}${result.image ? ' with its picture' : ''}: ${counted(result.profile.chunks.length, 'chunk')}.`;
      },
    );
  };

  return (
    <Modal title="Import a character card" onClose={close}>
      <form className="form" onSubmit={onSubmit}>
        <FileDropzone
          file={file}
          onPick={pick}
          onRemove={() => setFile(null)}
          accept=".png,.json,.charx,image/png,application/json"
          label="Card file"
          prompt={
            <>
              Drop a card here (<code>.png</code>, <code>.json</code> or <code>.charx</code>), or
            </>
          }
        >
          <small>
            Cards from SillyTavern, RisuAI, chub and other role-play apps: V1, V2 and V3. The card becomes a new
            character; its description, personality, scenario and example dialogue become its profile, and its picture
            (a PNG card&apos;s image, a CHARX&apos;s icon) its portrait. To add a card to an existing character, use its
            Add profile.
          </small>
        </FileDropzone>
        <DialogFooter
          error={error}
          onClose={close}
          submitLabel="Import"
          pendingLabel="Importing…"
          pending={pending}
          disabled={!file}
        />
      </form>
    </Modal>
  );
}
