import fs from 'node:fs';
import path from 'node:path';
import type { RunId, TrainingExport } from '../../../common/contract';
import { StudioFailure } from '../errors';
import { unpackLlamaCppConverters } from '../runtimes/llama-cpp-source';
import type { TrainerJob } from '../trainer/job';
import type { TrainerExit } from '../trainer/supervision';
import type { RunContext } from './run-context';
import { readStoredConfig } from './run-config';

/** Where the trainer's export writes each artifact, inside the run folder (export.py's names). */
const EXPORT_FILES: Record<string, string> = {
  merged: path.join('exports', 'merged'),
  gguf: path.join('exports', 'model.gguf'),
  adapter_gguf: path.join('exports', 'adapter.gguf'),
};

/** Starts the trainer's `export` on the run here; resolves once the process runs (a StudioFailure when it cannot start). */
export type LaunchExport = (id: RunId, options: TrainerJob['export']) => Promise<void>;

/**
 * The llama.cpp folder the trainer converts with: null when the user set LLAMA_CPP_DIR (the trainer
 * reads it), else the converters node-llama-cpp ships, unpacked once into the data folder's cache.
 */
export async function llamaCppDir(dataDir: string): Promise<string | null> {
  if (process.env.LLAMA_CPP_DIR) return null;
  return (await unpackLlamaCppConverters(path.join(dataDir, 'cache', 'llama.cpp'))).root;
}

/**
 * Exports of finished runs by the trainer's `export` (adapter, merged model, Modelfile, GGUF), and
 * the conversions for chat that run the same way (chat-preparation.ts). An export is live state of
 * this process (`exporting` on the run) and never changes the run's status: it stays `succeeded`
 * throughout, and a failed or cancelled export leaves a message and nothing else.
 */
export class TrainingExports {
  /** Exports in progress, with what each is doing (the trainer's phase events). */
  private readonly states = new Map<RunId, TrainingExport>();

  constructor(
    private readonly context: RunContext,
    private readonly dataDir: string,
    private readonly launch: LaunchExport,
  ) {}

  stateOf(id: RunId): TrainingExport | null {
    return this.states.get(id) ?? null;
  }

  has(id: RunId): boolean {
    return this.states.has(id);
  }

  /** Exports the run (checked: finished, idle); resolves once the trainer runs, its end comes by `onExit`. */
  async export(id: RunId, options: { merged: boolean; gguf: boolean; ollamaName?: string }): Promise<void> {
    const row = this.context.row(id);
    if (this.states.has(id)) throw new StudioFailure('conflict', 'This run is already exporting; wait for it to end.');
    if (this.context.active.has(id)) throw new StudioFailure('conflict', 'This run is busy; wait until it finishes.');
    if (row.status !== 'succeeded') {
      throw new StudioFailure('invalid_argument', 'Only a finished run can be exported. Resume it to the end first.');
    }
    // A remote run's adapter was downloaded into its local folder: export runs here, and needs the base model here too.
    // GGUF means both files llama.cpp and Ollama take: the merged model and, for a LoRA run, the adapter.
    const lora = !readStoredConfig(row.config).hyperparameters.fullFinetune;
    const merged = options.merged || options.gguf;
    const converters = options.gguf ? await llamaCppDir(this.dataDir) : null;
    await this.run(
      id,
      { merged, gguf: options.gguf, startedAt: this.context.clock.now() },
      {
        merged,
        gguf: options.gguf,
        gguf_adapter: options.gguf && lora,
        ...(converters && { llama_cpp_dir: converters }),
        ...(options.ollamaName && { ollama_model_name: options.ollamaName }),
      },
    );
  }

  /** Records the export as in progress, then starts the trainer's `export` with `job`. */
  async run(
    id: RunId,
    state: Pick<TrainingExport, 'merged' | 'gguf' | 'purpose' | 'startedAt'>,
    job: TrainerJob['export'],
  ): Promise<void> {
    this.states.set(id, { phase: null, target: null, ...state, cancelling: false });
    await this.launch(id, job);
  }

  /**
   * Ends the run's export now (the trainer is killed: an export saves nothing worth waiting for).
   * What it was rewriting when it ended (the merged model, a GGUF file) is removed, since it is
   * half-written; the adapter and the run are untouched. Resolves once the trainer has exited.
   */
  async cancel(id: RunId): Promise<void> {
    const state = this.states.get(id);
    const active = this.context.active.get(id);
    if (!state || active?.kind !== 'local')
      throw new StudioFailure('invalid_argument', 'This run is not exporting; there is nothing to cancel.');
    state.cancelling = true;
    this.context.changed(id, true);
    active.launcher.kill();
    await active.exited;
  }

  /** At shutdown: marks the run's export as cancelled (its trainer is then killed); false when it is not exporting. */
  cancelling(id: RunId): boolean {
    const state = this.states.get(id);
    if (state) state.cancelling = true;
    return state !== undefined;
  }

  /** The trainer could not start: there is no export to follow. */
  forget(id: RunId): void {
    this.states.delete(id);
  }

  /** The trainer's `phase` event during an export. */
  onPhase(id: RunId, name: string, target: string | null): void {
    const state = this.states.get(id);
    if (!state) return;
    state.phase = name;
    state.target = target;
  }

  /** Exporting never changes what the run is: it stays finished, with a note when something failed. */
  onExit(id: RunId, exit: TrainerExit): void {
    const { repo, clock } = this.context;
    const state = this.states.get(id);
    this.states.delete(id);
    let message = exit.meaning === 'done' ? null : exit.message;
    if (state?.cancelling) {
      // What was being rewritten is half-written: removed, so no listed artifact is broken.
      const row = this.context.row(id);
      const torn = (
        state.phase === 'merging'
          ? ['merged']
          : state.phase === 'converting' && state.target !== 'gguf_base' // the base is renamed into place whole
            ? [state.target === 'adapter_gguf' ? 'adapter_gguf' : 'gguf']
            : []
      ).filter((kind) => fs.existsSync(path.join(row.run_dir, EXPORT_FILES[kind]!)));
      for (const kind of torn) fs.rmSync(path.join(row.run_dir, EXPORT_FILES[kind]!), { recursive: true, force: true });
      repo.dropOutputs(id, torn, clock.now());
      message = `Export cancelled${torn.length ? `; the half-written ${torn.join(', ')} was removed` : ''}. The run and its adapter are unchanged.`;
    }
    repo.update(id, { message }, clock.now());
    this.context.changed(id, true);
  }

  /** Stop and cancel are about training; an export in flight has its own cancel. */
  refuseWhileExporting(id: RunId): void {
    if (this.states.has(id))
      throw new StudioFailure(
        'conflict',
        'The run has finished and is exporting now; cancel the export (training/export-cancel) to end it.',
      );
  }
}
