/**
 * The OpenAI wire format as the fake LLM server (fake-llm-server.ts) speaks it: a chat request read
 * from its JSON body, errors in OpenAI's error body, the faults that answer with an error status,
 * and an answer written as one JSON body or as SSE chunks, with the faults that damage an answer
 * (truncated, empty, refusal, malformed, stall, drop) applied. The server decides which request gets
 * which fault and what text; this module only shapes the bytes, as the OpenAI API does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type FakeFault =
  | { kind: 'rate_limit'; retryAfterSeconds?: number; retryAfterMs?: number; retryAfterDate?: Date }
  | { kind: 'server_error'; status?: 500 | 502 | 503 }
  | { kind: 'hang' }
  | { kind: 'stall'; afterChunks?: number }
  | { kind: 'malformed' }
  | { kind: 'truncated'; keepChars?: number }
  | { kind: 'refusal'; text?: string }
  | { kind: 'empty' }
  | { kind: 'reset' }
  /** A server that dies mid-reply: the connection is destroyed after `afterChunks` content chunks (streaming only). */
  | { kind: 'drop'; afterChunks?: number }
  /** An error body that echoes the caller's key (base64, upper case, hex, URL-encoded, in Basic credentials), as careless proxies do. */
  | { kind: 'echo_key'; status?: 400 | 401 | 500 };

export interface FakeChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  stream: boolean;
  includeUsage: boolean;
  temperature?: number;
  top_p?: number;
  seed?: number;
  max_tokens?: number;
  stop?: string[] | string;
  response_format?: unknown;
  /** The whole parsed body, for assertions on fields not listed above. */
  body: Record<string, unknown>;
}

/**
 * `reasoning`: thoughts returned apart (`reasoning_content`), streamed before the text, as the trainer's `serve` does.
 * `hold` (streamed replies only): after `afterChunks` pieces of the text, the server calls `until` and
 * pauses the stream until its promise settles or the client goes away (the call tells the test the
 * reply is now held). A test acting "mid-reply" (Stop, switching tabs) then finds the reply mid-stream
 * however slow the machine is, instead of racing a clock it does not control.
 */
export type FakeReply =
  | string
  | {
      text: string;
      finishReason?: 'stop' | 'length' | 'content_filter';
      reasoning?: string;
      hold?: { afterChunks: number; until: () => Promise<void> };
    };

function countTokens(text: string): number {
  let n = 0;
  for (const part of text.split(/\s+/)) if (part !== '') n++;
  return n;
}

/** Splits text into word-sized pieces whose concatenation is the text. */
function pieces(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === '' ? [] : [text]);
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ error: { message, type, param: null, code } });
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function toChatRequest(body: Record<string, unknown>): FakeChatRequest | string {
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return "'messages' must be a non-empty array.";
  const parsed: { role: string; content: string }[] = [];
  for (const m of messages) {
    if (typeof m !== 'object' || m === null) return 'each message must be an object';
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || typeof content !== 'string') return 'each message needs a string role and content';
    parsed.push({ role, content });
  }
  if (typeof body['model'] !== 'string') return "'model' is required.";
  const streamOptions = body['stream_options'] as Record<string, unknown> | undefined;
  const out: FakeChatRequest = {
    model: body['model'],
    messages: parsed,
    stream: body['stream'] === true,
    includeUsage: streamOptions?.['include_usage'] === true,
    body,
  };
  if (typeof body['temperature'] === 'number') out.temperature = body['temperature'];
  if (typeof body['top_p'] === 'number') out.top_p = body['top_p'];
  if (typeof body['seed'] === 'number') out.seed = body['seed'];
  const maxTokens = body['max_completion_tokens'] ?? body['max_tokens'];
  if (typeof maxTokens === 'number') out.max_tokens = maxTokens;
  if (typeof body['stop'] === 'string' || Array.isArray(body['stop'])) out.stop = body['stop'] as string[] | string;
  if (body['response_format'] !== undefined) out.response_format = body['response_format'];
  return out;
}

/**
 * Answers with the error status `fault` stands for (a 429 with its Retry-After, a 5xx, an error
 * body echoing the caller's key) and returns true; false for a fault that is not an error status.
 */
export function sendStatusFault(fault: FakeFault | null, req: IncomingMessage, res: ServerResponse): boolean {
  switch (fault?.kind) {
    case 'rate_limit': {
      const headers: Record<string, string> = {};
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      if (fault.retryAfterDate !== undefined) headers['retry-after'] = fault.retryAfterDate.toUTCString();
      sendError(
        res,
        429,
        'Rate limit reached for requests. Please try again later.',
        'requests',
        'rate_limit_exceeded',
        headers,
      );
      return true;
    }
    case 'server_error': {
      const status = fault.status ?? 500;
      sendError(
        res,
        status,
        status === 503
          ? 'The server is overloaded. Please try again later.'
          : 'The server had an error while processing your request.',
        'server_error',
        null,
      );
      return true;
    }
    case 'echo_key': {
      const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const bytes = Buffer.from(key);
      sendError(
        res,
        fault.status ?? 401,
        `Key ${bytes.toString('base64')} rejected (${key.toUpperCase()}); upstream sent Basic ${Buffer.from(`user:${key}`).toString('base64')}, hex ${bytes.toString('hex').toUpperCase()}, query ?key=${encodeURIComponent(key)}.`,
        'invalid_request_error',
        'invalid_api_key',
      );
      return true;
    }
    default:
      return false;
  }
}

/** One chat answer on the wire: what the responder replied, `fault` applied, as `chat` asked (streamed or not). */
export interface AnswerParts {
  chat: FakeChatRequest;
  /** The chat request's number on this server (its id is `chatcmpl-fake-<index>`). */
  index: number;
  /** The answer's `created` (epoch seconds). */
  stamp: number;
  reply: FakeReply;
  fault: FakeFault | null;
  /** Pause before each SSE chunk, in ms. */
  chunkDelayMs: number;
}

/** Writes the answer and ends the response (or leaves it hanging / destroys it, as its fault says). */
export async function writeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  { chat, index, stamp, reply, fault, chunkDelayMs }: AnswerParts,
): Promise<void> {
  let text: string;
  let finishReason: 'stop' | 'length' | 'content_filter' = 'stop';
  let refusal: string | null = null;
  let reasoning = '';
  let hold: { afterChunks: number; until: () => Promise<void> } | undefined;
  if (typeof reply === 'string') text = reply;
  else {
    text = reply.text;
    finishReason = reply.finishReason ?? 'stop';
    reasoning = reply.reasoning ?? '';
    hold = reply.hold;
  }
  if (fault?.kind === 'truncated') {
    text = text.slice(0, fault.keepChars ?? Math.floor(text.length / 2));
    finishReason = 'length';
  } else if (fault?.kind === 'empty') {
    text = '';
  } else if (fault?.kind === 'refusal') {
    refusal = fault.text ?? "I'm sorry, but I can't help with that request.";
    text = '';
  }

  const id = `chatcmpl-fake-${index}`;
  const promptTokens = chat.messages.reduce((n, m) => n + countTokens(m.content), 0);
  const completionTokens = countTokens(refusal ?? text);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };

  if (!chat.stream) {
    if (fault?.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"id": "${id}", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assist`);
      return;
    }
    if (fault?.kind === 'stall') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"id": "${id}", "object": "chat.completion",`);
      return; // never finishes the body
    }
    const json = {
      id,
      object: 'chat.completion',
      created: stamp,
      model: chat.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: refusal === null ? text : null,
            refusal,
            ...(reasoning !== '' && { reasoning_content: reasoning }),
          },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage,
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(json));
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: stamp, model: chat.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const parts = refusal === null ? pieces(text) : pieces(refusal);
  const stallAt = fault?.kind === 'stall' ? (fault.afterChunks ?? Math.floor(parts.length / 2)) : -1;
  res.write(chunk({ role: 'assistant', content: '', refusal: null }, null));
  for (const piece of pieces(reasoning)) {
    await sleep(chunkDelayMs);
    if (res.destroyed) return;
    res.write(chunk({ reasoning_content: piece }, null));
  }
  const dropAt = fault?.kind === 'drop' ? (fault.afterChunks ?? Math.floor(parts.length / 2)) : -1;
  for (let i = 0; i < parts.length; i++) {
    if (i === stallAt) return; // stops sending; the connection stays open
    if (hold && i === hold.afterChunks) {
      await Promise.race([hold.until(), new Promise<void>((resolve) => res.once('close', () => resolve()))]);
      if (res.destroyed) return;
    }
    if (fault?.kind === 'malformed' && i === Math.floor(parts.length / 2)) {
      res.write('data: {"id": "broken", "choices": [{"delta": {"content": "oops\n\n');
      res.end();
      return;
    }
    await sleep(chunkDelayMs);
    if (res.destroyed) return;
    if (i === dropAt) {
      // After the pause, so the chunks before have left; the client sees the connection die.
      req.socket.destroy();
      return;
    }
    res.write(chunk(refusal === null ? { content: parts[i] } : { refusal: parts[i] }, null));
  }
  if (stallAt >= parts.length) return;
  res.write(chunk({}, finishReason));
  if (chat.includeUsage) {
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: stamp, model: chat.model, choices: [], usage })}\n\n`,
    );
  }
  res.write('data: [DONE]\n\n');
  res.end();
}
