import fs from 'node:fs';
import path from 'node:path';
import { StudioFailure } from '../errors';
import { nodeLlamaCpp } from '../llm/embedded-model';

/** What the header of a model file says; reading it takes milliseconds (no weights are read). */
export interface GgufFacts {
  architecture: string;
  name: string | null;
  sizeBytes: number;
}

/**
 * Checks that `file` is a GGUF model: the magic bytes `GGUF`, then a header node-llama-cpp can read
 * with a `general.architecture`. Throws a StudioFailure naming the file and saying what to do.
 */
export async function readGgufFacts(file: string): Promise<GgufFacts> {
  const name = path.basename(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new StudioFailure('not_found', `There is no file at ${file}. Check the path of the .gguf model.`);
  }
  if (!stat.isFile()) throw new StudioFailure('invalid_argument', `${file} is a folder, not a .gguf model file.`);
  const magic = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, magic, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (magic.toString('latin1') !== 'GGUF') {
    throw new StudioFailure(
      'unsupported_file',
      `${name} is not a GGUF model (it does not start with "GGUF"). The embedded runtime reads llama.cpp's GGUF files: download a .gguf build of the model (on Hugging Face, usually a repository ending in -GGUF).`,
    );
  }
  const { readGgufFileInfo } = await nodeLlamaCpp();
  try {
    const info = await readGgufFileInfo(file, { sourceType: 'filesystem', logWarnings: false, readTensorInfo: false });
    const architecture = info.metadata.general?.architecture;
    if (!architecture) throw new Error('it names no general.architecture');
    return { architecture: String(architecture), name: info.metadata.general.name ?? null, sizeBytes: stat.size };
  } catch (error) {
    throw new StudioFailure(
      'unsupported_file',
      `${name} starts like a GGUF model but its header cannot be read (${error instanceof Error ? error.message : String(error)}). The file may be cut short: download it again.`,
    );
  }
}
