/**
 * A `CompletionRequest` as the body of `POST /chat/completions` for an OpenAI-compatible endpoint:
 * the fields both paths send (`openai-provider.ts` adds `stream: true` and `stream_options` for a
 * streamed answer, `stream: false` for one read whole by `whole-completion.ts` or the client).
 *
 * Contract: fields the request leaves out are left out of the body (the server's defaults apply);
 * fields outside OpenAI's API are sent only where the endpoint is known to read them.
 */
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { OpenAiPreset } from './openai-presets';
import type { CompletionRequest } from './types';

export type CompletionBody = Omit<ChatCompletionCreateParamsStreaming, 'stream' | 'stream_options'>;

export interface CompletionBodyTarget {
  /** The model named in the body (the provider's, already trimmed and checked non-empty). */
  model: string;
  /** Which token limit field the endpoint reads, and whether it accepts `ignore_eos`. */
  preset: Pick<OpenAiPreset, 'maxTokensField' | 'acceptsIgnoreEos' | 'continues'>;
  /** Whether `jsonSchema` is sent as `response_format: json_schema` (else the prompt carries it). */
  jsonSchema: boolean;
}

export function completionBody(req: CompletionRequest, target: CompletionBodyTarget): CompletionBody {
  const body: CompletionBody = {
    model: target.model,
    messages: req.messages.map((m) => ({
      role: m.role,
      content: m.content,
      ...(m.name !== undefined && m.role === 'user' && { name: m.name }),
      // Not in OpenAI's types: the field servers that return thoughts apart read back.
      ...(m.reasoning !== undefined && m.role === 'assistant' && { reasoning_content: m.reasoning }),
    })),
  };
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.seed !== undefined) body.seed = req.seed;
  // Not in OpenAI's types: llama.cpp server's and vLLM's "never end" (SillyTavern's "Ban EOS token").
  if (req.ignoreEos && target.preset.acceptsIgnoreEos) Object.assign(body, { ignore_eos: true });
  // Not in OpenAI's types: vLLM continues a final assistant message only when told to.
  if (req.continueLast && target.preset.continues === 'flags')
    Object.assign(body, { continue_final_message: true, add_generation_prompt: false });
  if (req.maxTokens !== undefined) {
    if (target.preset.maxTokensField === 'max_completion_tokens') body.max_completion_tokens = req.maxTokens;
    else body.max_tokens = req.maxTokens;
  }
  if (req.stop !== undefined && req.stop.length > 0) body.stop = req.stop;
  if (req.jsonSchema && target.jsonSchema) {
    body.response_format = {
      type: 'json_schema',
      json_schema: {
        name: req.jsonSchema.name,
        schema: req.jsonSchema.schema as Record<string, unknown>,
        strict: req.jsonSchema.strict ?? false,
      },
    };
  }
  return body;
}
