import { MAX_PROFILE_BYTES } from '../profile-text';

/**
 * What a manuscript may weigh. The file itself may be larger than a text profile (a PDF carries
 * fonts and images; a .docx or .epub is compressed), but what is read out of it must still fit
 * MAX_PROFILE_BYTES, which readProfileSteps checks after.
 */
export interface ManuscriptLimits {
  /** Bytes of the file as imported; 12 MB, so its base64 fits the web door's 16 MB request. */
  maxFileBytes: number;
  /** Pages read from a PDF: a long novel has about 600. */
  maxPdfPages: number;
  /** Files inside an EPUB. */
  maxZipEntries: number;
  /** Uncompressed bytes read out of an EPUB (its chapters, container and package documents). */
  maxUnpackedBytes: number;
  /** Wall-clock time one file may take to read before it is given up on (ms). */
  timeoutMs: number;
}

export const MANUSCRIPT_LIMITS: ManuscriptLimits = {
  maxFileBytes: 12 * 1024 * 1024,
  maxPdfPages: 2_000,
  maxZipEntries: 10_000,
  maxUnpackedBytes: 4 * MAX_PROFILE_BYTES,
  timeoutMs: 60_000,
};
