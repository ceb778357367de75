import type {
  Character,
  ChatRuntimeKind,
  ChatTarget,
  EvalSystem,
  Provider,
  ProviderId,
} from '../../../common/contract';
import { StudioFailure } from '../errors';
import type { LlmProvider, PriceTable } from '../llm/types';
import { settingMessage, type ChatRuntime, type ChatRuntimeMessage, type ChatSetting } from '../runtimes/chat-runtime';
import { endpointChatRuntime, type CallRecorder } from '../runtimes/gateway-chat';
import { INTERVIEWER_NAME, roleplayPrompt } from './eval-prompts';

/** What building an interviewee needs: the studio's live run runtimes and the providers. */
export interface IntervieweeDeps {
  /** The chat runtimes registry (`ChatRuntimes`): a run's embedded model or `serve`, shared with the Chat tab. */
  runtimeFor(target: ChatTarget, kind: ChatRuntimeKind): Promise<ChatRuntime>;
  provider(id: ProviderId): Provider;
  /** Every configured provider (the interviewer's default when there is only one). */
  providers(): readonly Provider[];
  instanceFor(id: ProviderId, model: string): LlmProvider;
  /** Whether the provider bills for its calls, and its prices then (none when it does not). */
  isMetered(provider: Provider): boolean;
  pricesFor(provider: Provider): PriceTable;
}

/**
 * The chat runtime a system answers through. A run's embedded or served runtime comes from the
 * registry (loaded once, kept for the Chat tab too; `owned` false); an endpoint gets a runtime of
 * its own whose calls are recorded to the job (`recorderFor`: logged, costed at the provider's
 * prices, held to its budget; `metered` when the provider bills, so a call without a price is
 * counted as unpriced), which the job disposes when it ends (`owned` true).
 */
export async function intervieweeFor(
  system: EvalSystem,
  deps: IntervieweeDeps,
  recorderFor: (metered: boolean) => CallRecorder,
): Promise<{ runtime: ChatRuntime; owned: boolean }> {
  const answerer = system.answerer;
  if (!answerer)
    throw new StudioFailure(
      'invalid_argument',
      `"${system.label}" holds imported answers: it has no model to interview. Pick a run, a base model or a prompted baseline.`,
    );
  if (answerer.runtime !== 'endpoint')
    return { runtime: await deps.runtimeFor({ kind: 'run', runId: answerer.runId }, answerer.runtime), owned: false };
  const provider = deps.provider(answerer.providerId);
  const llm = deps.instanceFor(provider.id, answerer.model);
  const recorder = recorderFor(deps.isMetered(provider));
  return { runtime: endpointChatRuntime(llm, recorder, 'chat', deps.pricesFor(provider)), owned: true };
}

/** Whether the system's runtime answers one conversation at a time (a local model in this process or `serve`). */
export function oneAtATime(system: EvalSystem): boolean {
  return system.answerer?.runtime !== 'endpoint';
}

/** One exchange of an interview so far: the interviewer's words, or the character's speech and thoughts. */
export interface Exchange {
  role: 'interviewer' | 'character';
  text: string;
  reasoning?: string | null;
}

/**
 * The conversation as the interviewee sees it: the setting (with our role-play prompt first for a
 * `prompted` baseline, nothing more for a `base` model: it answers from the setting alone), then
 * the interviewer's questions as user messages from `Man` and the character's earlier answers, its
 * thoughts kept apart as `reasoning` (a run trained on the paper's format reads them as thinking turns).
 */
export function intervieweeMessages(
  system: EvalSystem,
  character: Character,
  intro: string,
  setting: ChatSetting,
  history: readonly Exchange[],
): ChatRuntimeMessage[] {
  const scene = settingMessage(setting);
  const first =
    system.kind === 'prompted'
      ? { role: 'system' as const, content: `${roleplayPrompt(character, intro)}\n\n${scene.content}` }
      : scene;
  return [
    first,
    ...history.map((h): ChatRuntimeMessage =>
      h.role === 'interviewer'
        ? { role: 'user', content: h.text, name: INTERVIEWER_NAME }
        : { role: 'assistant', content: h.text, reasoning: h.reasoning ?? null },
    ),
  ];
}

const NONSTOP = '<|NONSTOP|>';

/** Speech without a trailing `<|NONSTOP|>` marker, and whether it had one. */
export function stripNonstop(text: string): { text: string; marked: boolean } {
  const trimmed = text.trimEnd();
  if (!trimmed.endsWith(NONSTOP)) return { text, marked: false };
  return { text: trimmed.slice(0, -NONSTOP.length).trimEnd(), marked: true };
}
