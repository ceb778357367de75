import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CachedBaseModel } from '../../../common/contract';

/**
 * The local Hugging Face hub cache, read the way huggingface_hub lays it out (its documented cache
 * layout): `<cache>/models--<owner>--<name>/refs/<branch>` holds a commit sha, and
 * `snapshots/<sha>/` the files of that commit. Only read here; the trainer's `preview` resolves hub
 * ids from the same folder (character_trainer/hub.py `cached_tokenizer_folder`).
 */

/** Files any one of which makes a snapshot's tokenizer loadable (as hub.py TOKENIZER_FILES). */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'tokenizer.model', 'vocab.json'];
const WEIGHTS = /(?:\.safetensors|^pytorch_model.*\.bin)$/;

/** The cache folder huggingface_hub uses in this environment (HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, ~/.cache). */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return path.resolve(expandTilde(explicit));
  const home = env.HF_HOME
    ? expandTilde(env.HF_HOME)
    : path.join(expandTilde(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')), 'huggingface');
  return path.resolve(home, 'hub');
}

function expandTilde(value: string): string {
  return value === '~' || value.startsWith('~/') ? path.join(os.homedir(), value.slice(1)) : value;
}

/** Cached models with a tokenizer, sorted by id; a missing or unreadable cache lists none. */
export function listCachedModels(env: NodeJS.ProcessEnv = process.env): CachedBaseModel[] {
  const cache = hubCacheDir(env);
  let names: string[];
  try {
    names = fs.readdirSync(cache);
  } catch {
    return [];
  }
  const models: CachedBaseModel[] = [];
  for (const name of names) {
    if (!name.startsWith('models--')) continue;
    const repo = path.join(cache, name);
    const revision = mainRevision(repo);
    if (!revision) continue;
    let files: string[];
    try {
      files = fs.readdirSync(path.join(repo, 'snapshots', revision));
    } catch {
      continue;
    }
    if (!files.some((file) => TOKENIZER_FILES.includes(file))) continue;
    models.push({
      id: name.slice('models--'.length).split('--').join('/'),
      revision,
      weights: files.some((file) => WEIGHTS.test(file)),
    });
  }
  return models.sort((a, b) => a.id.localeCompare(b.id));
}

/** The commit `refs/main` names, else the only snapshot; null when neither tells. */
function mainRevision(repo: string): string | null {
  try {
    const sha = fs.readFileSync(path.join(repo, 'refs', 'main'), 'utf8').trim();
    if (sha) return sha;
  } catch {
    // no refs/main: a model downloaded by commit only
  }
  try {
    const snapshots = fs.readdirSync(path.join(repo, 'snapshots'));
    return snapshots.length === 1 ? snapshots[0]! : null;
  } catch {
    return null;
  }
}
