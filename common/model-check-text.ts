import type { CatalogModel, ModelCheck } from './contract';

/** How a local model file was checked, in words (Settings › Models and `models list` say the same). */
export const MODEL_CHECK_TEXT: Record<ModelCheck, string> = {
  'sha256-pinned': 'sha256 checked against the list',
  'sha256-server': 'sha256 checked against the server’s',
  'gguf-header': 'GGUF header checked',
};

/** How a model of the list will be checked when downloaded (Settings › Models and `models list`). */
export function catalogCheckText(model: Pick<CatalogModel, 'sha256' | 'revision'>): string {
  if (model.sha256)
    return `sha256 pinned (${model.sha256.slice(0, 12)}…)${model.revision ? `, commit ${model.revision.slice(0, 7)}` : ''}`;
  return 'no published sha256 found: checked against the host’s checksum';
}
