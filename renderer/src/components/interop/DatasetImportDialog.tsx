import { useState, type FormEvent } from 'react';
import type { CharacterId, ImportFormat } from '../../../../common/contract';
import { toBase64 } from '../../lib/files';
import { useUi } from '../../state/ui';
import { DialogFooter, PickedFile } from '../dialog-footer';
import { Modal } from '../Modal';
import { IoNotices, IoProgress, useIoRun } from './io-progress';
import '../../interop.css';

/** What an upload may weigh: the web door takes requests of 16 MB, base64 makes files a third larger. */
const MAX_UPLOAD_BYTES = 9 * 1024 * 1024;

const FORMATS: { id: ImportFormat; label: string }[] = [
  { id: 'auto', label: 'Find out from the file' },
  { id: 'paper', label: "The paper's SFT lines (prompt / output / source)" },
  { id: 'paper-dialogue', label: "The paper's generated dialogues (generated_agent_dialogue / _hallucination)" },
  { id: 'paper-scenes', label: "The paper's generated scenes (generated_agent_scene)" },
  { id: 'sharegpt', label: 'ShareGPT' },
  { id: 'openai', label: 'OpenAI chat' },
  { id: 'alpaca', label: 'Alpaca' },
  { id: 'hf', label: 'Hugging Face dataset folder' },
];

/**
 * The Dataset tab's "Import dataset…": a file picked here, or a path on the studio's machine (a
 * folder, or a file too big to upload). All or nothing; progress with Cancel; the report after.
 */
export function DatasetImportDialog({ characterId }: { characterId: CharacterId }) {
  const close = useUi((s) => s.close);
  const { requestId, report, error, setError, pending, start } = useIoRun('dataset/import');
  const [file, setFile] = useState<File | null>(null);
  const [path, setPath] = useState('');
  const [format, setFormat] = useState<ImportFormat>('auto');

  const pick = (picked: File | undefined) => {
    setError(null);
    if (!picked) return;
    if (picked.size > MAX_UPLOAD_BYTES) {
      setError(
        `${picked.name} is ${(picked.size / 1048576).toFixed(1)} MB; files above ${MAX_UPLOAD_BYTES / 1048576} MB are read from their path: type it below.`,
      );
      return;
    }
    setFile(picked);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void start(async (id) => ({
      characterId,
      format,
      requestId: id,
      ...(file
        ? { fileBase64: toBase64(new Uint8Array(await file.arrayBuffer())), fileName: file.name }
        : { path: path.trim() }),
    }));
  };

  if (report) {
    return (
      <Modal title="Dataset imported" onClose={close} wide>
        <div className="form io-report">
          <p>
            <strong>{report.scenes.toLocaleString('en-US')} scenes</strong> added from <code>{report.file}</code> (
            {report.format}): {report.experiences.toLocaleString('en-US')} with their experience,{' '}
            {report.protective.toLocaleString('en-US')} protective.
          </p>
          <small>Each scene keeps its file and line: open its history to see them.</small>
          <IoNotices notices={report.notices} onDone={close} />
        </div>
      </Modal>
    );
  }

  return (
    <Modal title="Import dataset" onClose={close} wide>
      <form className="form io-form" onSubmit={onSubmit}>
        <div className="dropzone">
          {file ? (
            <PickedFile file={file} onRemove={() => setFile(null)} />
          ) : (
            <p>
              <label className="link file-label">
                Choose a dataset file
                <input
                  type="file"
                  accept=".jsonl,.json,application/json"
                  aria-label="Dataset file"
                  onChange={(e) => pick(e.target.files?.[0])}
                />
              </label>{' '}
              (<code>.jsonl</code> or the paper&apos;s <code>.json</code> lists)
            </p>
          )}
          <small>Up to {MAX_UPLOAD_BYTES / 1048576} MB here; larger files and folders by their path below.</small>
        </div>
        {!file && (
          <label>
            Or a path on the studio&apos;s machine
            <input
              value={path}
              placeholder="/data/character-llm/generated_agent_dialogue_Beethoven.json"
              onChange={(e) => setPath(e.target.value)}
              spellCheck={false}
            />
          </label>
        )}
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value as ImportFormat)}>
            {FORMATS.map((f) => (
              <option key={f.id} value={f.id}>
                {f.label}
              </option>
            ))}
          </select>
          <small>All or nothing: one bad line stops the import, naming the file and the line.</small>
        </label>
        <DialogFooter
          error={error}
          onClose={close}
          closeLabel="Close"
          submitLabel="Import"
          pendingLabel="Importing…"
          pending={pending}
          disabled={!file && path.trim() === ''}
        >
          {requestId && <IoProgress requestId={requestId} verb="Read" />}
        </DialogFooter>
      </form>
    </Modal>
  );
}
