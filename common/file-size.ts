/** A database or model file's size for a sentence: whole MB below a GB, else GB to a tenth. */
export function fileSize(bytes: number): string {
  return bytes < 2 ** 30 ? `${Math.ceil(bytes / 2 ** 20)} MB` : `${(bytes / 2 ** 30).toFixed(1)} GB`;
}

/** A small file's size as a person reads it: "312 bytes", "14 KB", "3.2 MB" (never "0 KB"). */
export function smallFileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  if (bytes < 2 ** 20) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}
