import { useState, type FormEvent } from 'react';
import type { CharacterId } from '../../../common/contract';
import { messageOf } from '../lib/bridge-error';
import { toBase64 } from '../lib/files';
import { useCommand, useInfo } from '../lib/queries';
import { useUi } from '../state/ui';
import { DialogFooter } from './dialog-footer';
import { FileDropzone } from './file-dropzone';
import { Modal } from './Modal';
import { counted } from '../../../common/plural';

const FALLBACK_MAX_BYTES = 8 * 1024 * 1024;

/** Add a profile: paste text or pick / drop a text file, manuscript or card. Main decodes and checks it. */
export function ImportDialog({ characterId }: { characterId: CharacterId }) {
  const close = useUi((s) => s.close);
  const toast = useUi((s) => s.toast);
  const limits = useInfo().data?.limits;
  const maxTextBytes = limits?.maxProfileBytes ?? FALLBACK_MAX_BYTES;
  const maxManuscriptBytes = limits?.maxManuscriptBytes ?? FALLBACK_MAX_BYTES;
  const [text, setText] = useState('');
  const [title, setTitle] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const importProfile = useCommand('profiles/import', { quiet: true });

  const pick = (picked: File | undefined) => {
    setError(null);
    if (!picked) return;
    // A manuscript's file carries fonts, images and compression: it may be larger than its text.
    const maxBytes = /\.(docx|epub|pdf)$/i.test(picked.name) ? maxManuscriptBytes : maxTextBytes;
    if (picked.size > maxBytes) {
      setError(
        `${picked.name} is ${(picked.size / 1024 / 1024).toFixed(1)} MB; this kind of file can be at most ${maxBytes / 1024 / 1024} MB. Split it into parts and import them one by one.`,
      );
      return;
    }
    setFile(picked);
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const profile = await importProfile.mutateAsync(
        file
          ? {
              characterId,
              fileBase64: toBase64(new Uint8Array(await file.arrayBuffer())),
              fileName: file.name,
              ...(title && { title }),
            }
          : { characterId, text, ...(title && { title }) },
      );
      toast({
        kind: 'info',
        text: `Imported “${profile.title}”: ${counted(profile.chunks.length, 'chunk')}, ${counted(profile.words, 'word')}.`,
      });
      close();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <Modal title="Add a profile" onClose={close} wide>
      <form className="form" onSubmit={(e) => void onSubmit(e)}>
        <FileDropzone
          file={file}
          onPick={pick}
          onRemove={() => setFile(null)}
          accept=".txt,.md,.markdown,.docx,.epub,.pdf,.json,.png,.charx,text/plain,text/markdown"
          label="Profile file"
          prompt={
            <>
              Drop a manuscript (<code>.docx</code>, <code>.epub</code>, <code>.pdf</code>, <code>.md</code>,{' '}
              <code>.txt</code>) or a character card (<code>.png</code>, <code>.json</code>, <code>.charx</code>) here,
              or
            </>
          }
        >
          <small>
            A Wikipedia article saved as <code># Full Name</code> followed by paragraphs is read as in Character-LLM:
            cut at every blank line, one chunk per paragraph, as the paper&apos;s code does.
          </small>
        </FileDropzone>
        {!file && (
          <label>
            Or paste text
            <textarea
              rows={10}
              value={text}
              placeholder="Paste the character's biography, your notes or a chapter…"
              onChange={(e) => setText(e.target.value)}
            />
          </label>
        )}
        <label>
          <span>
            Title <span className="optional">(optional)</span>
          </span>
          <input
            value={title}
            placeholder="Taken from the # heading or the file name"
            onChange={(e) => setTitle(e.target.value)}
          />
        </label>
        <DialogFooter
          error={error}
          onClose={close}
          submitLabel="Import"
          pendingLabel="Importing…"
          pending={importProfile.isPending}
          disabled={!file && text.trim() === ''}
        />
      </form>
    </Modal>
  );
}
