import { useState, type ReactNode } from 'react';
import { PickedFile } from './dialog-footer';

/**
 * A dialog's file field: drop a file on it or choose one; once picked it shows the file with a way
 * to take it back. `prompt` is the sentence before "choose a file"; `children` the hint below.
 * The caller checks the file (size) in `onPick` and keeps it.
 */
export function FileDropzone({
  file,
  onPick,
  onRemove,
  accept,
  label,
  prompt,
  children,
}: {
  file: File | null;
  onPick: (file: File | undefined) => void;
  onRemove: () => void;
  accept: string;
  /** The file input's accessible name. */
  label: string;
  prompt: ReactNode;
  children?: ReactNode;
}) {
  const [dragging, setDragging] = useState(false);
  return (
    <div
      className={dragging ? 'dropzone dragging' : 'dropzone'}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        onPick(e.dataTransfer.files[0]);
      }}
    >
      {file ? (
        <PickedFile file={file} onRemove={onRemove} />
      ) : (
        <p>
          {prompt}{' '}
          <label className="link file-label">
            choose a file
            <input type="file" accept={accept} aria-label={label} onChange={(e) => onPick(e.target.files?.[0])} />
          </label>
          .
        </p>
      )}
      {children}
    </div>
  );
}
