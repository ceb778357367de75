import type { CharacterId, ChatGgufFiles, RunId } from '../../../common/contract';
import { StudioFailure } from '../errors';
import { CHAT_GGUF_OUTTYPE, chatGgufPlan, readRunManifest, removeStalePartials } from '../runtimes/chat-gguf';
import type { RunContext } from './run-context';
import { readStoredConfig } from './run-config';
import { llamaCppDir, type TrainingExports } from './training-exports';

/** The names a run's character answers to, when its manifest does not say (runs before manifests held them). */
export type CharacterNames = (id: CharacterId) => { fullName: string; shortName: string };

/**
 * The conversion of a finished run for the embedded chat runtime: the base model unmerged (shared by
 * the runs of that base model) and the run's LoRA adapter, or a full fine-tune's model, as GGUF.
 * It runs as an export (`purpose: 'chat'`, phase `converting`) on the run card.
 */
export class ChatPreparation {
  /** Conversions in progress, so a second `prepare` of the run waits for the first. */
  private readonly preparing = new Map<RunId, Promise<ChatGgufFiles>>();

  constructor(
    private readonly context: RunContext,
    private readonly exports: TrainingExports,
    private readonly names: CharacterNames,
    private readonly dataDir: string,
  ) {}

  /**
   * The GGUF files the embedded chat runtime loads for a finished run. Returns at once when both are
   * there; else converts them with the trainer's `export` and the llama.cpp converters node-llama-cpp
   * ships (nothing downloaded), and resolves when done. A second call while one converts waits for it.
   */
  prepare(id: RunId): Promise<ChatGgufFiles> {
    let pending = this.preparing.get(id);
    if (!pending) {
      pending = this.prepareOnce(id).finally(() => this.preparing.delete(id));
      this.preparing.set(id, pending);
    }
    return pending;
  }

  private async prepareOnce(id: RunId): Promise<ChatGgufFiles> {
    const { repo, clock, active } = this.context;
    const row = this.context.row(id);
    if (row.status !== 'succeeded') {
      throw new StudioFailure(
        'invalid_argument',
        'Only a finished run can be chatted with. Resume it to the end first.',
      );
    }
    const lora = !readStoredConfig(row.config).hyperparameters.fullFinetune;
    const plan = () => chatGgufPlan(this.dataDir, row.run_dir, lora, readRunManifest(row.run_dir));
    const files = (started: number | null): ChatGgufFiles => {
      const done = plan();
      const names = this.names(row.character_id); // asked even when the manifest names the character: it must still exist
      return {
        runId: id,
        baseGguf: done.baseGguf,
        adapterGguf: done.adapterGguf,
        format: done.format,
        character: done.character ?? names,
        seconds: started === null ? 0 : (clock.now() - started) / 1000,
      };
    };
    const before = plan();
    if (before.ready) return files(null);
    if (this.exports.has(id) || active.has(id))
      throw new StudioFailure('conflict', 'This run is exporting; wait for it to end, then open the chat again.');
    const started = clock.now();
    const converters = await llamaCppDir(this.dataDir).catch((error: unknown) => {
      // On the run card too, where the conversion's own failures are told (git missing, a damaged bundle).
      repo.update(id, { message: error instanceof Error ? error.message : String(error) }, clock.now());
      this.context.changed(id, true);
      throw error;
    });
    if (lora) removeStalePartials(before.baseGguf, started);
    await this.exports.run(
      id,
      { merged: false, gguf: true, purpose: 'chat', startedAt: started },
      {
        merged: false,
        gguf: !lora, // a full fine-tune's model itself
        gguf_adapter: lora,
        gguf_outtype: CHAT_GGUF_OUTTYPE,
        ...(lora && { gguf_base: before.baseGguf }),
        ...(converters && { llama_cpp_dir: converters }),
      },
    );
    await active.exited(id);
    if (!plan().ready) {
      throw new StudioFailure(
        'unavailable',
        `Converting the run for chat did not finish: ${this.context.row(id).message ?? 'the trainer ended without writing the GGUF files'}`,
      );
    }
    return files(started);
  }
}
