/**
 * The embedded chat runtime of one trained run, as the chat service asks for it: created at once
 * (so choosing it costs nothing), it prepares on its first reply: the run's GGUF files (converted
 * offline with the bundled llama.cpp converters, cached per run and per base model), then the model
 * with the adapter on its context (`EmbeddedChat`). Both steps report `loading` with a sentence for
 * the user; a second model loaded while another embedded one is in memory is announced with the
 * memory it will take.
 *
 * Lifecycle: one per conversation target (the chat service keeps it); `dispose` frees the model and
 * forgets it from the in-memory set. A failed preparation is not kept: the next reply tries again.
 */
import type { ChatGgufFiles, RunId } from '../../../common/contract';
import type { ChatRuntime, ChatRuntimeIdentity, ChatRuntimeReply, ChatRuntimeRequest } from './chat-runtime';
import { EmbeddedChat } from './embedded-chat';

export interface RunEmbeddedChatDeps {
  /** The run's base model and adapter as GGUF, converting what is missing (TrainingService.prepareChat). */
  prepare(runId: RunId): Promise<ChatGgufFiles>;
  /** What the run was trained on (`runIdentity`), the identity until the GGUF files are known. */
  trainedOn: Omit<ChatRuntimeIdentity, 'kind'>;
  /** CPU threads per evaluation (always set: node-llama-cpp's default oversubscribes small machines). */
  threads: number;
}

/** Embedded runtimes of this process whose model is in memory now. */
const inMemory = new Set<RunEmbeddedChat>();

export class RunEmbeddedChat implements ChatRuntime {
  private inner: EmbeddedChat | null = null;
  private preparing: Promise<EmbeddedChat> | null = null;
  private disposed = false;

  constructor(
    private readonly runId: RunId,
    private readonly deps: RunEmbeddedChatDeps,
  ) {}

  get identity(): ChatRuntimeIdentity {
    return this.inner?.identity ?? { ...this.deps.trainedOn, kind: 'embedded' };
  }

  async reply(request: ChatRuntimeRequest): Promise<ChatRuntimeReply> {
    const runtime = await this.ready(request);
    return runtime.reply(request);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    inMemory.delete(this);
    const inner = this.inner ?? (await this.preparing?.catch(() => null)) ?? null;
    this.inner = null;
    await inner?.dispose();
  }

  private ready(request: ChatRuntimeRequest): Promise<EmbeddedChat> {
    if (this.inner) return Promise.resolve(this.inner);
    this.preparing ??= this.prepare(request).finally(() => (this.preparing = null));
    return this.preparing;
  }

  private async prepare(request: ChatRuntimeRequest): Promise<EmbeddedChat> {
    request.onStatus?.({
      state: 'loading',
      detail: 'Preparing the run for chat: its base model and adapter as GGUF (converted once, then cached)…',
    });
    const files = await this.deps.prepare(this.runId);
    const runtime = new EmbeddedChat({
      baseGguf: files.baseGguf,
      adapterGguf: files.adapterGguf,
      format: files.format,
      character: files.character,
      threads: this.deps.threads,
    });
    const others = [...inMemory].filter((r) => r !== this).length;
    if (others > 0) {
      const memory = await runtime.estimateMemory();
      request.onStatus?.({
        state: 'loading',
        detail: `Loading a second model beside ${others === 1 ? 'one' : others} already in memory: ${memory.sentence}.`,
      });
    }
    if (this.disposed) {
      await runtime.dispose();
      throw new Error('This chat runtime has been closed.');
    }
    this.inner = runtime;
    inMemory.add(this);
    return runtime;
  }
}
