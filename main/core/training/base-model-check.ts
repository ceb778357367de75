import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Whether a run's base model can be what the trainer needs, checked before a run starts so that a
 * typo costs a message under the field rather than a failed run minutes later.
 *
 * A base model is either a folder (the trainer loads it as is) or a Hugging Face hub id (the trainer
 * downloads it). What counts as a folder: an absolute path, `~/…`, `./…`, `../…`, or anything with a
 * backslash. Everything else is read as a hub id, `owner/name` or a legacy bare `name`.
 *
 * Local runs: a folder must exist and hold a transformers model (config.json plus safetensors or
 * PyTorch weights, as the trainer's hub.select_files requires of a hub repository). Remote runs: the
 * folder is on the host, so only its form is checked (an absolute path there).
 */

/** The hub's rules for a repository name part: letters, digits, `-`, `_`, `.`; no `--` or `..`; at most 96. */
const HUB_PART = /^(?!.*(?:--|\.\.))[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?$/;

const WEIGHTS = /(?:\.safetensors|^pytorch_model.*\.bin)$/;

export function looksLikePath(baseModel: string): boolean {
  return /^(?:\/|~(?:\/|$)|\.{1,2}(?:\/|$))/.test(baseModel) || baseModel.includes('\\') || path.isAbsolute(baseModel);
}

/** `~/x` as the user's home folder; other text unchanged. */
export function expandHome(baseModel: string): string {
  return baseModel === '~' || baseModel.startsWith('~/') ? path.join(os.homedir(), baseModel.slice(1)) : baseModel;
}

/** What is wrong with `baseModel` for a run on `where`, with what to do; null when it can be used. */
export function baseModelProblem(raw: string, where: 'local' | 'remote'): string | null {
  const baseModel = raw.trim();
  if (!baseModel)
    return 'Choose a base model: a Hugging Face id such as Qwen/Qwen2.5-1.5B-Instruct, or a model folder.';
  if (!looksLikePath(baseModel)) return hubIdProblem(baseModel);
  if (where === 'remote') {
    return baseModel.startsWith('/')
      ? null
      : `"${baseModel}" is a relative path, but a remote run's model folder is on the host: give its absolute path there (e.g. /data/models/qwen2.5-7b).`;
  }
  const folder = expandHome(baseModel);
  if (!path.isAbsolute(folder))
    return `"${baseModel}" is a relative path: give the model folder's absolute path (e.g. /data/models/qwen2.5-1.5b).`;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch {
    return `There is no ${folder}. Give the folder that holds the model's config.json, weights and tokenizer, or a Hugging Face id such as Qwen/Qwen2.5-1.5B-Instruct.`;
  }
  if (!stat.isDirectory())
    return `${folder} is a file; the base model is a folder with config.json, the weights (*.safetensors) and the tokenizer. GGUF files cannot be trained on: use the model's Hugging Face folder.`;
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch (error) {
    return `${folder} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): check its permissions.`;
  }
  const fetch = 'e.g. huggingface-cli download Qwen/Qwen2.5-1.5B-Instruct --local-dir <folder>';
  if (!names.includes('config.json'))
    return `${folder} holds no model: there is no config.json in it. Choose the folder that holds config.json, the weights and the tokenizer (${fetch}).`;
  if (!names.some((name) => WEIGHTS.test(name)))
    return `${folder} has a config.json but no weights (*.safetensors or pytorch_model*.bin): the download may be incomplete (${fetch}).`;
  return null;
}

function hubIdProblem(id: string): string | null {
  const parts = id.split('/');
  if (parts.length <= 2 && parts.every((part) => HUB_PART.test(part))) return null;
  return `"${id}" is neither a Hugging Face id (owner/name, e.g. Qwen/Qwen2.5-1.5B-Instruct: letters, digits, "-", "_" and ".") nor a folder (an absolute path, or one starting with ~/ or ./).`;
}
