import fs from 'node:fs';
import path from 'node:path';
import type {
  CachedBaseModel,
  Character,
  CharacterId,
  EditableScene,
  PreviewToken,
  SceneId,
  TrainingPreview,
  TrainingPreviewRequest,
} from '../../../common/contract';
import type { PreviewEvent } from '../../../common/trainer-protocol';
import type { Clock } from '../clock';
import { StudioFailure } from '../errors';
import { exportNotices, exportTrainerDataset, serializeTrainerDataset } from '../trainer/dataset-export';
import { SETUP_HINT, TrainerLaunchError } from '../trainer/python-env';
import { baseModelProblem, expandHome, looksLikePath } from './base-model-check';
import { hubCacheDir, listCachedModels } from './hf-cache';
import { PreviewServerGone, PreviewServers, type PreviewAnswer } from './preview-servers';

/**
 * The training preview: one saved scene as a run would train on it, made by the trainer's own
 * `preview` code (its renderer and loss masks; tokenizer only, never a download) in the local
 * Python environment, asked of a warm `preview-server` (preview-servers.ts): the first preview
 * waits for Python's imports (seconds), the next ones do not. Results are kept for
 * `CACHE_TTL_MS` per scene revision and settings, and identical requests in flight share one answer.
 */

/** How long a preview is reused; a local model folder's tokenizer could change under it, so briefly. */
export const CACHE_TTL_MS = 5 * 60_000;
const CACHE_ENTRIES = 32;

export interface PreviewServiceOptions {
  trainerDir: string;
  /** The interpreter used when a request names none. */
  defaultPython: string;
  /** Added to the trainer's environment (tests: quiet and single-threaded). */
  env?: Record<string, string>;
}

export const PYTHON_NEEDED =
  "The training preview runs the trainer's own tokenizer code, in Python. Set up the studio's Python on the Train tab (Set up the studio's Python), or run scripts/setup-python.sh in the studio's folder and choose its .venv/bin/python.";

export class TrainingPreviewService {
  private readonly cache = new Map<string, { at: number; result: Promise<TrainingPreview> }>();
  private readonly servers: PreviewServers;

  constructor(
    private readonly open: (id: SceneId) => EditableScene,
    private readonly character: (id: CharacterId) => Character,
    private readonly clock: Clock,
    private readonly options: PreviewServiceOptions,
  ) {
    this.servers = new PreviewServers({ trainerDir: options.trainerDir, ...(options.env && { env: options.env }) });
  }

  async preview(request: TrainingPreviewRequest): Promise<TrainingPreview> {
    const { scene, revision } = this.open(request.sceneId);
    const baseModel = looksLikePath(request.baseModel.trim())
      ? expandHome(request.baseModel.trim())
      : request.baseModel.trim();
    const problem = baseModelProblem(baseModel, 'local');
    if (problem) throw new StudioFailure('invalid_argument', problem);
    const python = expandHome(request.python?.trim() ?? '') || this.options.defaultPython;
    const thinking = request.thinking ?? 'keep';
    const asked = { ...request, baseModel, thinking, python };
    const key = JSON.stringify([python, baseModel, request.format, request.maxLength, thinking, scene.id, revision]);
    const now = this.clock.now();
    for (const [k, entry] of this.cache) if (now - entry.at > CACHE_TTL_MS) this.cache.delete(k);
    const hit = this.cache.get(key);
    if (hit) return hit.result;

    const character = this.character(scene.characterId);
    const exported = exportTrainerDataset([scene], character);
    const base: TrainingPreview = {
      sceneId: scene.id,
      revision,
      baseModel,
      format: request.format,
      maxLength: request.maxLength,
      thinking,
      tokens: [],
      cutAt: null,
      trainedTokens: 0,
      excluded: null,
      notes: exportNotices(exported.notes),
      templateHash: '',
    };
    const line = exported.lines[0];
    // Not in the training file at all (no experience yet, a turn without a speaker): nothing to render.
    if (!line) return { ...base, excluded: `Training leaves this scene out: ${exported.skipped[0]?.reason ?? ''}.` };
    if (scene.review.status === 'rejected')
      base.excluded = 'Rejected in review: training leaves it out (accept it, or clear its review, to include it).';

    const result = this.run(asked, serializeTrainerDataset([line])).then((event) => merge(base, event));
    this.cache.set(key, { at: now, result });
    while (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    result.catch(() => this.cache.delete(key)); // a failure is not remembered: the next try runs again
    return result;
  }

  /** Models in the local Hugging Face cache (the one the trainer's child process sees). */
  cachedModels(): { cacheDir: string; models: CachedBaseModel[] } {
    const env = { ...process.env, ...this.options.env };
    return { cacheDir: hubCacheDir(env), models: listCachedModels(env) };
  }

  /** Stops the warm preview trainers (the studio's shutdown). */
  close(): Promise<void> {
    return this.servers.close();
  }

  /** The process ids of the warm preview trainers running now. */
  trainerPids(): number[] {
    return this.servers.pids;
  }

  /** Ends the warm preview trainers at once (the studio's close). */
  kill(): void {
    this.servers.kill();
  }

  /** The trainer's preview of a one-scene dataset, by the warm `preview-server` of the interpreter. */
  private async run(
    request: TrainingPreviewRequest & { python: string; thinking: 'keep' | 'drop' },
    dataset: Buffer,
  ): Promise<PreviewEvent> {
    let answer: PreviewAnswer;
    try {
      answer = await this.servers.preview(request.python, (folder) => {
        const datasetPath = path.join(folder, 'scene.jsonl');
        fs.writeFileSync(datasetPath, dataset);
        return {
          run_dir: path.join(folder, 'run'),
          base_model: request.baseModel,
          format: request.format,
          dataset: datasetPath,
          hyperparameters: { max_length: request.maxLength, thinking: request.thinking },
        };
      });
    } catch (error) {
      if (
        error instanceof TrainerLaunchError &&
        /^(python_missing|python_too_old|packages_missing)$/.test(error.reason)
      )
        throw new StudioFailure('unavailable', `${PYTHON_NEEDED} (${error.message.replace(SETUP_HINT, '').trim()})`);
      if (error instanceof PreviewServerGone)
        throw new StudioFailure('unavailable', `The preview failed: ${error.message}`);
      throw error;
    }
    const { terminal, previews } = answer;
    const preview = previews[0];
    if (terminal.type === 'done' && preview) return preview;
    const code = terminal.type === 'error' ? terminal.code : '';
    const message =
      terminal.type === 'error'
        ? terminal.hint
          ? `${terminal.message} (${terminal.hint})`
          : terminal.message
        : 'the trainer answered without a preview';
    const invalid = /^(model_not_cached|invalid_|format_unsupported)/.test(code);
    throw new StudioFailure(invalid ? 'invalid_argument' : 'unavailable', `The preview failed: ${message}`);
  }
}

/** The trainer's event in the contract's shape, on top of what the studio knows of the scene. */
function merge(base: TrainingPreview, event: PreviewEvent): TrainingPreview {
  const added = new Set(event.added);
  const tokens: PreviewToken[] = event.token_ids.map((id, i) => ({
    id,
    piece: event.pieces[i] ?? '',
    trained: event.trained[i] ?? false,
    added: added.has(i),
  }));
  const dropped =
    event.dropped === 'no_trained_tokens'
      ? 'Training drops this scene: no token carries loss within the maximum length (no turn of the character is left, or all of them are cut away).'
      : event.dropped
        ? `Training drops this scene: ${event.message ?? 'the format cannot render it'}.`
        : null;
  return {
    ...base,
    tokens,
    cutAt: event.cut_at ?? null,
    trainedTokens: event.trained_tokens,
    excluded: base.excluded ?? dropped,
    templateHash: event.template_hash,
  };
}
