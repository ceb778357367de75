import { useState, type DragEvent, type FormEvent } from 'react';
import { messageOf } from '../../lib/bridge-error';
import { toBase64 } from '../../lib/files';
import { useCommand } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { DialogFooter, PickedFile } from '../dialog-footer';
import { Modal } from '../Modal';

/** What the web door carries in one request (16 MB of JSON) once the file is base64. */
const MAX_CARD_BYTES = 12 * 1024 * 1024;

/**
 * "Import a card…": a character card from a role-play app (V1, V2 or V3; PNG, JSON or CHARX)
 * becomes a new character with a profile built from the card and the card's picture.
 */
export function CardImportDialog() {
  const close = useUi((s) => s.close);
  const toast = useUi((s) => s.toast);
  const select = useUi((s) => s.select);
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const importCard = useCommand('cards/import', { quiet: true });

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

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    pick(event.dataTransfer.files[0]);
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setError(null);
    try {
      const result = await importCard.mutateAsync({
        fileBase64: toBase64(new Uint8Array(await file.arrayBuffer())),
        fileName: file.name,
      });
      toast({
        kind: 'info',
        text: `Imported the ${result.spec.toUpperCase()} card of ${result.character.fullName}${result.image ? ' with its picture' : ''}: ${result.profile.chunks.length} chunks.`,
      });
      select(result.character.id);
      close();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <Modal title="Import a character card" onClose={close}>
      <form className="form" onSubmit={(e) => void onSubmit(e)}>
        <div
          className={dragging ? 'dropzone dragging' : 'dropzone'}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          {file ? (
            <PickedFile file={file} onRemove={() => setFile(null)} />
          ) : (
            <p>
              Drop a card here (<code>.png</code>, <code>.json</code> or <code>.charx</code>), or{' '}
              <label className="link file-label">
                choose a file
                <input
                  type="file"
                  accept=".png,.json,.charx,image/png,application/json"
                  aria-label="Card file"
                  onChange={(e) => pick(e.target.files?.[0])}
                />
              </label>
              .
            </p>
          )}
          <small>
            Cards from SillyTavern, RisuAI, chub and other role-play apps: V1, V2 and V3. The card becomes a new
            character; its description, personality, scenario and example dialogue become its profile, and its picture
            (a PNG card&apos;s image, a CHARX&apos;s icon) its portrait. To add a card to an existing character, use its
            Add profile.
          </small>
        </div>
        <DialogFooter
          error={error}
          onClose={close}
          submitLabel="Import"
          pendingLabel="Importing…"
          pending={importCard.isPending}
          disabled={!file}
        />
      </form>
    </Modal>
  );
}
