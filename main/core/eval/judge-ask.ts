import type { CallId, JudgeFailure } from '../../../common/contract';
import type { LlmGateway } from '../llm/gateway';
import type { ChatMessage } from '../llm/types';
import { JUDGE_MAX_TOKENS, JUDGE_TEMPERATURE } from './judge-prompts';
import type { Parsed } from './judge-parse';

/** Asks after the first when an answer cannot be read; then the judgment is stored unscored. */
export const DEFAULT_JUDGE_RETRIES = 2;
export const MAX_JUDGE_RETRIES = 5;

/** What asking the judge came to: a verdict, or null (UNSCORED) with every failure on record. */
export interface AskOutcome<T> {
  value: T | null;
  reasoning: string | null;
  failures: JudgeFailure[];
  callIds: CallId[];
}

export interface AskOptions {
  gateway: LlmGateway;
  signal: AbortSignal;
  /** The work item, linked to every call (`llm_calls.item_id`). */
  tag: string;
  maxRetries: number;
  newId: () => string;
}

/**
 * One judgment's asks: the prompt at temperature 0; when the answer cannot be read, the same
 * conversation goes on with the unreadable answer and a note saying what was wrong, asking for the
 * verdict again in the asked form (a repair turn: the judge keeps its reasoning and fixes the form,
 * where a fresh ask at temperature 0 would mostly repeat the same answer). At most `maxRetries`
 * repairs; every ask is a recorded call through the gateway and every failure is kept.
 *
 * A repair answer may be the verdict alone: its reasoning is the earlier answer's. Errors of the
 * provider itself (unreachable, refused key) are thrown, for the job engine's item retry and pause.
 */
export async function askJudge<T>(
  messages: readonly ChatMessage[],
  parse: (text: string, requireReasoning: boolean) => Parsed<T>,
  noun: 'score' | 'verdict',
  options: AskOptions,
): Promise<AskOutcome<T>> {
  const failures: JudgeFailure[] = [];
  const callIds: CallId[] = [];
  let conversation: ChatMessage[] = [...messages];
  let earlier: string | null = null;
  for (let attempt = 1; attempt <= options.maxRetries + 1; attempt++) {
    const callId = options.newId() as CallId;
    callIds.push(callId);
    const result = await options.gateway.complete(
      { messages: conversation, temperature: JUDGE_TEMPERATURE, maxTokens: JUDGE_MAX_TOKENS },
      { signal: options.signal, callId, tag: options.tag },
    );
    const text = result.text;
    // A cut-off answer is not read at all: its last line may be half a sentence that looks like a score.
    const parsed: Parsed<T> | null = result.finishReason === 'length' ? null : parse(text, earlier === null);
    if (parsed?.ok) {
      const reasoning = parsed.reasoning !== '' ? parsed.reasoning : earlier;
      return { value: parsed.value, reasoning, failures, callIds };
    }
    const failure: JudgeFailure =
      parsed === null
        ? {
            attempt,
            reason: 'cut_off',
            message: `The answer was cut off at the token limit (${JUDGE_MAX_TOKENS}) before its ${noun}.`,
            callId,
          }
        : { attempt, reason: parsed.reason, message: parsed.message, callId };
    failures.push(failure);
    earlier = earlier ?? text;
    conversation = [
      ...messages,
      { role: 'assistant', content: text },
      {
        role: 'user',
        content: `Your ${noun} could not be read: ${failure.message} Write your final ${noun} again in the asked form: alone on its own line, then the same again alone on the next line, and nothing after it.`,
      },
    ];
  }
  return { value: null, reasoning: earlier, failures, callIds };
}
