import type {
  ChatGgufFiles,
  ChatRuntimeKind,
  ChatRuntimeOption,
  ChatTarget,
  Provider,
  ProviderId,
  RunId,
  ServedRun,
  TrainingRun,
} from '../../../common/contract';
import { StudioFailure } from '../errors';
import type { LlmProvider, PriceTable } from '../llm/types';
import type { ChatRuntime, ChatRuntimeIdentity } from '../runtimes/chat-runtime';
import { RunEmbeddedChat } from '../runtimes/run-embedded-chat';
import { endpointChatRuntime, servedChatRuntime, type CallRecorder } from '../runtimes/gateway-chat';

/** What the registry needs of the training service. */
export interface RunsAccess {
  get(id: RunId): TrainingRun;
  /** The run's base model and adapter as GGUF for the embedded runtime, converted when missing. */
  prepareChat(id: RunId): Promise<ChatGgufFiles>;
  serve(id: RunId): Promise<TrainingRun>;
  stopServing(id: RunId): Promise<TrainingRun>;
  served(): ServedRun[];
}

/** What the registry needs of the provider service. */
export interface ProvidersAccess {
  get(id: ProviderId): Provider;
  instanceFor(id: ProviderId, model: string): LlmProvider;
  pricesFor(provider: Provider): PriceTable;
}

export interface ChatRuntimesDeps {
  runs: RunsAccess;
  providers: ProvidersAccess;
  recorder: CallRecorder;
  /** CPU threads per evaluation of the embedded runtime (node-llama-cpp with the run's LoRA on its GGUF base). */
  embeddedThreads: number;
}

/** What a run was trained on, as a runtime reports it before it knows more (its files once loaded). */
function runIdentity(run: TrainingRun): Omit<ChatRuntimeIdentity, 'kind'> {
  return { model: run.config.baseModel, adapter: run.outputs['adapter'] ?? null, format: run.config.format };
}

/**
 * The chat runtimes alive in this process, one per (target, runtime kind), created on first use
 * and kept while conversations use them (a loaded model is expensive). `disposeAll` frees every
 * model and server: the studio calls it on shutdown.
 */
export class ChatRuntimes {
  private readonly live = new Map<string, Promise<ChatRuntime>>();

  constructor(private readonly deps: ChatRuntimesDeps) {}

  /** Whether each runtime can answer for a run, and if not why. */
  optionsForRun(run: TrainingRun): ChatRuntimeOption[] {
    const unfinished =
      run.status !== 'succeeded'
        ? `This run has not finished training (${run.status}): there is no adapter to chat with yet.`
        : null;
    return [
      {
        kind: 'embedded',
        available: unfinished === null,
        reason: unfinished,
      },
      { kind: 'served', available: unfinished === null, reason: unfinished },
      {
        kind: 'endpoint',
        available: false,
        reason:
          'A run answers through an endpoint once exported (Ollama, or vLLM with the adapter): add that server in Settings and pick it as a baseline with its model.',
      },
    ];
  }

  /** The runtime for `target`, created (not yet loaded) on first use; a refusal says why and what to do. */
  async runtimeFor(target: ChatTarget, kind: ChatRuntimeKind): Promise<ChatRuntime> {
    const key = keyOf(target, kind);
    let made = this.live.get(key);
    if (!made) {
      // A refusal thrown while creating becomes this promise's rejection.
      made = new Promise<ChatRuntime>((resolve) => resolve(this.create(target, kind)));
      this.live.set(key, made);
      // A failed creation is not kept: the next try starts afresh.
      made.catch(() => this.live.delete(key));
    }
    return made;
  }

  /** Frees the runtime of one target (a conversation switched away, a provider changed). */
  async release(target: ChatTarget, kind: ChatRuntimeKind): Promise<void> {
    const key = keyOf(target, kind);
    const made = this.live.get(key);
    this.live.delete(key);
    await made?.then((r) => r.dispose()).catch(() => undefined);
  }

  async disposeAll(): Promise<void> {
    const all = [...this.live.values()];
    this.live.clear();
    await Promise.allSettled(all.map(async (made) => (await made).dispose()));
  }

  private create(target: ChatTarget, kind: ChatRuntimeKind): ChatRuntime {
    if (target.kind === 'baseline') {
      if (kind !== 'endpoint')
        throw new StudioFailure('invalid_argument', 'A baseline model answers through its endpoint only.');
      const provider = this.deps.providers.get(target.providerId);
      const llm = this.deps.providers.instanceFor(provider.id, target.model);
      return endpointChatRuntime(llm, this.deps.recorder, 'chat', this.deps.providers.pricesFor(provider));
    }
    const run = this.deps.runs.get(target.runId);
    const option = this.optionsForRun(run).find((o) => o.kind === kind);
    if (!option?.available) throw new StudioFailure('unavailable', option?.reason ?? 'That runtime is unknown.');
    const { runs } = this.deps;
    if (kind === 'embedded')
      return new RunEmbeddedChat(run.id, {
        prepare: (id) => runs.prepareChat(id),
        trainedOn: runIdentity(run),
        threads: this.deps.embeddedThreads,
      });
    return servedChatRuntime(
      runIdentity(run),
      {
        answering: () => runs.get(run.id).serving?.state === 'ready',
        others: () => runs.served().filter((s) => s.runId !== run.id).length,
        serve: async () => {
          const before = runs.get(run.id).serving?.state === 'ready';
          const served = (await runs.serve(run.id)).serving;
          if (!served?.url || !served.model)
            throw new StudioFailure('unavailable', 'The model server stopped before it answered. Try again.');
          return { url: served.url, model: served.model, startedHere: !before };
        },
        stop: async () => {
          await runs.stopServing(run.id);
        },
      },
      this.deps.recorder,
    );
  }
}

function keyOf(target: ChatTarget, kind: ChatRuntimeKind): string {
  return target.kind === 'run' ? `run:${target.runId}:${kind}` : `baseline:${target.providerId}:${target.model}`;
}
