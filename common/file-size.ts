/** A database or model file's size for a sentence: whole MB below a GB, else GB to a tenth. */
export function fileSize(bytes: number): string {
  return bytes < 2 ** 30 ? `${Math.ceil(bytes / 2 ** 20)} MB` : `${(bytes / 2 ** 30).toFixed(1)} GB`;
}
