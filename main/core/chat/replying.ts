import os from 'node:os';
import type {
  ChatMessageId,
  ChatProducer,
  ChatSamplingSettings,
  Conversation,
  ConversationMessage,
} from '../../../common/contract';
import type { ConversationsRepo } from '../../store/conversations-repo';
import { processAlive } from '../../store/open-sessions';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { ChatRuntimeError, type ChatRuntimeReply } from '../runtimes/chat-runtime';
import type { ChatRuntimes } from './chat-runtimes';
import { ConversationTree } from './conversation-tree';
import { DELTA_INTERVAL_MS, DeltaStream } from './delta-stream';
import { runtimeMessages } from './scene-bridge';

/** What writing one reply touches: the message rows, a runtime, the events the screen streams from. */
export interface ReplyingDeps {
  repo: Pick<ConversationsRepo, 'addMessage' | 'endMessage' | 'messages' | 'resumeMessage' | 'saveProgress'>;
  runtimes: Pick<ChatRuntimes, 'runtimeFor'>;
  events: EventBus;
  clock: Clock;
  newId: IdFactory;
}

/**
 * One reply to write: after `parentId` (a user message) in `conversation`, as `speaker`; or, with
 * `resume`, more of that reply (stopped or cut off, a child of `parentId`), written on in place.
 */
export interface ReplyJob {
  conversation: Conversation;
  parentId: ChatMessageId;
  /** Continue: the unfinished reply the model goes on from; its text so far stays the start of it. */
  resume?: ConversationMessage;
  speaker: string;
  /** Complete settings: the caller has already merged the defaults, the conversation's and the request's. */
  sampling: ChatSamplingSettings;
  /** Fired by Stop (or the studio closing): the reply ends `cancelled` with what was written. */
  signal: AbortSignal;
  /** Called once the streaming row exists (the screen refetches and learns the message id). */
  onStarted(): void;
  /** For a baseline (a model not trained on the character): the role-play prompt saying whom it plays. */
  roleplay: string | null;
  /**
   * What the reply has said so far, kept up to date while it streams (and removed when it ends),
   * for a window that opens it meanwhile (`chat/get`).
   */
  live: Map<ChatMessageId, { text: string; reasoning: string }>;
}

/** How often a reply being written stores what it has said so far (ms): what a crash leaves of it. */
export const PROGRESS_MS = 1000;

/**
 * Writes the character's reply to the path ending at `job.parentId` and returns the stored message's id.
 *
 * Lifecycle: a `streaming` message is stored first (so the screen has its id for the deltas), the
 * runtime writes (`chat/delta`, `chat/status`; what it has said so far is in `job.live`, and stored
 * every PROGRESS_MS), and the message is written once with how it ended:
 * `complete`, `cancelled` (the signal fired: the text so far is kept) or `cut` (the runtime failed:
 * the partial text is kept with the error). The message records what produced it (runtime, model,
 * adapter, format, sampling), read again at the end: an embedded runtime learns its GGUF files only
 * once loaded. A runtime that cannot be created rejects before any message is stored.
 *
 * Continue (`job.resume`): the reply is sent last, unfinished, and becomes `streaming` again under
 * its own id; what the runtime writes is appended (the deltas' offsets start at its end), and it
 * ends as above with its whole text. A runtime that cannot continue rejects before it is touched.
 */
export async function writeReply(deps: ReplyingDeps, job: ReplyJob): Promise<ChatMessageId> {
  const { conversation, parentId, sampling } = job;
  const id = conversation.id;
  const runtime = await deps.runtimes.runtimeFor(conversation.target, conversation.runtime);
  const resume = job.resume ?? null;
  if (resume && runtime.cannotContinue) throw new StudioFailure('unavailable', runtime.cannotContinue);
  const producerNow = (): ChatProducer => ({
    runtime: runtime.identity.inStudio ? 'embedded' : runtime.identity.kind,
    model: runtime.identity.model,
    adapter: runtime.identity.adapter,
    format: runtime.identity.format,
    sampling,
    runId: conversation.target.kind === 'run' ? conversation.target.runId : null,
  });
  const tree = new ConversationTree(deps.repo.messages(id));
  const history = runtimeMessages(conversation.setting, tree.lineage(resume?.id ?? parentId), job.roleplay);
  const messageId = resume?.id ?? (deps.newId() as ChatMessageId);
  const callId = deps.newId();
  // What the reply has said before this call (Continue), which the new text follows.
  const before = { text: resume?.text ?? '', reasoning: resume?.reasoning ?? '' };
  if (resume) deps.repo.resumeMessage(messageId, WRITER, deps.clock.now());
  else
    deps.repo.addMessage(
      {
        id: messageId,
        conversationId: id,
        parentId,
        role: 'character',
        speaker: job.speaker,
        text: '',
        reasoning: null,
        state: 'streaming',
        producer: producerNow(),
        editedFrom: null,
        callId,
        writer: WRITER,
      },
      deps.clock.now(),
    );
  job.onStarted();
  let text = before.text;
  let reasoning = before.reasoning;
  // What has been said so far is stored at most once per PROGRESS_MS, and at the latest PROGRESS_MS
  // after it was said (a reply that stalls is stored too).
  let savedAt = performance.now();
  let saving: NodeJS.Timeout | null = null;
  const save = () => {
    saving = null;
    savedAt = performance.now();
    try {
      deps.repo.saveProgress(messageId, text, reasoning === '' ? null : reasoning);
    } catch {
      // A progress note only, on a timer: a store closed under a reply being written (the studio
      // quitting) is the reply's end to report, not this note's.
    }
  };
  const deltas = new DeltaStream(
    (delta, at) => {
      deps.events.emit('chat/delta', { conversationId: id, messageId, ...delta, at });
      if (saving) return;
      const wait = savedAt + PROGRESS_MS - performance.now();
      if (wait <= 0) save();
      else saving = setTimeout(save, wait);
    },
    DELTA_INTERVAL_MS,
    before,
  );
  let outcome: { reply: ChatRuntimeReply } | { error: string; partial: { text: string; reasoning: string | null } };
  try {
    outcome = {
      reply: await runtime.reply({
        messages: history,
        sampling,
        signal: job.signal,
        callId,
        ...(resume && { continuing: true }),
        onDelta: (delta) => {
          text += delta.text ?? '';
          reasoning += delta.reasoning ?? '';
          job.live.set(messageId, { text, reasoning });
          deltas.push(delta);
        },
        onStatus: (status) => {
          deltas.flush();
          deps.events.emit('chat/status', { conversationId: id, messageId, ...status });
        },
      }),
    };
  } catch (error) {
    outcome = {
      error: error instanceof Error ? error.message : String(error),
      partial:
        error instanceof ChatRuntimeError
          ? {
              text: before.text + error.partial.text,
              reasoning: nullIfEmpty(before.reasoning + (error.partial.reasoning ?? '')),
            }
          : { text, reasoning: nullIfEmpty(reasoning) },
    };
  }
  deltas.flush();
  if (saving) clearTimeout(saving);
  job.live.delete(messageId);
  deps.repo.endMessage(
    messageId,
    'reply' in outcome
      ? {
          text: before.text + outcome.reply.text,
          reasoning: nullIfEmpty(before.reasoning + (outcome.reply.reasoning ?? '')),
          state: outcome.reply.finish === 'cancelled' ? 'cancelled' : 'complete',
          finish: outcome.reply.finish === 'cancelled' ? null : outcome.reply.finish,
          error: null,
          callId,
          producer: producerNow(),
        }
      : { ...outcome.partial, state: 'cut', finish: null, error: outcome.error, callId, producer: producerNow() },
    deps.clock.now(),
  );
  return messageId;
}

function nullIfEmpty(text: string): string | null {
  return text.trim() === '' ? null : text;
}

/** This process, as a streaming reply records its writer (`host:pid`). */
export const WRITER = `${os.hostname()}:${process.pid}`;

/** Whether the process that wrote `host:pid` still runs; one on another machine is taken as alive. */
export function writerAlive(writer: string): boolean {
  const at = writer.lastIndexOf(':');
  const pid = Number(writer.slice(at + 1));
  if (writer.slice(0, at) !== os.hostname()) return true;
  if (pid === process.pid) return false; // this studio has just started: nothing of it is replying
  return processAlive(pid);
}
