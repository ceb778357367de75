import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openEmbeddedChat, type EmbeddedChat, type EmbeddedChatOptions } from '../../main/core/runtimes/embedded-chat';
import { TEST_THREADS, writeTinyGguf, type TinyGgufOptions } from './tiny-gguf';

/**
 * For a test file of the embedded chat runtime: a temporary folder for its tiny GGUFs and the
 * runtimes it opens, on the CPU with TEST_THREADS and no adapter unless given; the runtimes are
 * disposed and the folder removed after the file's tests. Call it at the top level of the file.
 */
export function embeddedChats(name: string): {
  /** Where a file called `file` goes in the folder (for models written by other builders). */
  path(file: string): string;
  /** Writes a tiny GGUF called `file` into the folder and returns its path. */
  model(file: string, options?: TinyGgufOptions): string;
  open(options: Omit<EmbeddedChatOptions, 'threads' | 'adapterGguf'> & Partial<EmbeddedChatOptions>): EmbeddedChat;
} {
  let dir = '';
  const opened: EmbeddedChat[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `cs-${name}-`));
  });
  afterAll(async () => {
    for (const chat of opened) await chat.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    path: (file) => join(dir, file),
    model: (file, options = {}) => writeTinyGguf(join(dir, file), options),
    open: (options) => {
      const chat = openEmbeddedChat({ adapterGguf: null, threads: TEST_THREADS, gpuLayers: 0, ...options });
      opened.push(chat);
      return chat;
    },
  };
}
