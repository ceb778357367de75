import type { CallId, JobId, LlmCall } from '../../../common/contract';
import type { CallRecordsRepo, CallRow, StartedCallRow } from '../../store/call-records-repo';
import { StudioFailure } from '../errors';
import type { CallRecord, StartedCall } from '../llm/gateway';
import type { ChatMessage } from '../llm/types';

/**
 * A request's messages as JSON, written once for all its records: every attempt of a call (its start
 * and its end) carries the same array, and a prompt is several kilobytes.
 */
const serialized = new WeakMap<readonly ChatMessage[], string>();

/**
 * How gateway attempts become `llm_calls` rows: first `startedRow` just before the request leaves
 * (so a kill mid-call leaves it on record), then `callRow` with the outcome. Linked to its job, or
 * null for a one-off call; `item_id` holds the gateway tag (the work item).
 */
export function startedRow(jobId: JobId | null, record: StartedCall): StartedCallRow {
  let messages = serialized.get(record.messages);
  if (messages === undefined) {
    messages = JSON.stringify(record.messages);
    serialized.set(record.messages, messages);
  }
  return {
    id: record.callId,
    attempt: record.attempt,
    job_id: jobId,
    item_id: record.tag ?? null,
    provider: record.provider,
    provider_label: record.providerLabel ?? null,
    model: record.model,
    params: JSON.stringify(record.params),
    messages,
    started_at: record.startedAt,
  };
}

export function callRow(jobId: JobId | null, record: CallRecord): CallRow {
  return {
    ...startedRow(jobId, record),
    response_model: record.responseModel,
    response: record.responseText,
    finish_reason: record.finishReason,
    prompt_tokens: record.usage?.promptTokens ?? null,
    completion_tokens: record.usage?.completionTokens ?? null,
    cost_usd: record.costUsd,
    latency_ms: Math.round(record.latencyMs),
    error: record.error ? `${record.error.code}: ${record.error.message}` : null,
  };
}

/** Every attempt of one LLM call as the doors show it (`calls/get`), oldest first; not_found when none. */
export function llmCalls(repo: CallRecordsRepo, id: CallId): LlmCall[] {
  const rows = repo.attempts(id);
  if (rows.length === 0) throw new StudioFailure('not_found', 'No record of that LLM call.');
  return rows.map((r) => ({
    id: r.id as CallId,
    jobId: r.job_id as LlmCall['jobId'],
    attempt: r.attempt,
    provider: r.provider,
    providerLabel: r.provider_label ?? null,
    model: r.response_model ?? r.model,
    params: JSON.parse(r.params) as Record<string, unknown>,
    messages: JSON.parse(r.messages) as LlmCall['messages'],
    response: r.response,
    finishReason: r.finish_reason,
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    costUsd: r.cost_usd,
    latencyMs: r.latency_ms,
    error: r.error,
    startedAt: r.started_at,
    status: r.status ?? 'done',
  }));
}
