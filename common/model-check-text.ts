import type { ModelCheck } from './contract';

/** How a local model file was checked, in words (Settings › Models and `models list` say the same). */
export const MODEL_CHECK_TEXT: Record<ModelCheck, string> = {
  'sha256-pinned': 'sha256 checked against the list',
  'sha256-server': 'sha256 checked against the server’s',
  'gguf-header': 'GGUF header checked',
};
