/**
 * A scripted OpenAI-compatible HTTP server for tests (a remote LLM service cannot run here).
 *
 * Contract:
 * - Listens on 127.0.0.1, on `port` (default 0: a free one, so a test can bring a server back where
 *   one went down); `baseURL` ends in `/v1` and is what an OpenAI client takes.
 * - `GET /v1/models`, `POST /v1/chat/completions` (JSON or SSE when `stream: true`, usage in a final
 *   `choices: []` chunk when `stream_options.include_usage`, then `data: [DONE]`), exactly as the
 *   OpenAI API shapes them; `test/unit/llm/fake-server.contract.test.ts` holds it to the real client.
 * - `Authorization: Bearer <apiKey>` is checked unless `apiKey` is null (401 with an OpenAI error body).
 * - Faults are taken per chat request: first from the script queue (`enqueueFaults`), then at random
 *   with a seeded generator (`faults.rate`), so runs are reproducible.
 * - Every request is recorded in `requests`; `maxInFlight` is the peak of concurrent chat requests.
 * - Token counts are whitespace-separated words (deterministic, not a real tokenizer).
 * - `close()` drops every open connection, hung ones included.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../../main/core/pipeline/planner';

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
export type FakeResponder = (req: FakeChatRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface FakeLlmServerOptions {
  /** Key expected in `Authorization: Bearer`; null accepts any request. Default `test-key`. */
  apiKey?: string | null;
  /** Models listed and accepted; a request for another model gets a 404. Default `['fake-model']`. */
  models?: string[];
  /** Produces the assistant text. Default: `Echo: <last user message>`. */
  responder?: FakeResponder;
  /** Delay before the response headers, in ms. */
  latencyMs?: number;
  /** Delay between SSE chunks, in ms. */
  chunkDelayMs?: number;
  /** Random faults: each chat request fails with probability `rate`, with a kind drawn uniformly. */
  faults?: { rate: number; seed?: number; kinds: FakeFault[] };
  /** Port to listen on; default 0 (any free one). */
  port?: number;
}

export interface RecordedRequest {
  index: number;
  method: string;
  path: string;
  authorized: boolean;
  chat: FakeChatRequest | null;
  fault: FakeFault | null;
  receivedAt: number;
}

export interface FakeLlmServer {
  readonly baseURL: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Chat requests currently being answered. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Faults for the next chat requests, in order; `null` means "answer normally". */
  enqueueFaults(...faults: (FakeFault | null)[]): void;
  setResponder(responder: FakeResponder): void;
  close(): Promise<void>;
}

function countTokens(text: string): number {
  let n = 0;
  for (const part of text.split(/\s+/)) if (part !== '') n++;
  return n;
}

/** Splits text into word-sized pieces whose concatenation is the text. */
function pieces(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === '' ? [] : [text]);
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function sendError(
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function toChatRequest(body: Record<string, unknown>): FakeChatRequest | string {
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

export async function startFakeLlmServer(options: FakeLlmServerOptions = {}): Promise<FakeLlmServer> {
  const apiKey = options.apiKey === undefined ? 'test-key' : options.apiKey;
  const models = options.models ?? ['fake-model'];
  let responder: FakeResponder =
    options.responder ??
    ((req) => `Echo: ${[...req.messages].reverse().find((m) => m.role === 'user')?.content ?? ''}`);
  const random = seededRandom(options.faults?.seed ?? 42);
  const queue: (FakeFault | null)[] = [];
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let chatIndex = 0;
  let created = 1_700_000_000;

  function nextFault(): FakeFault | null {
    if (queue.length > 0) return queue.shift() ?? null;
    const f = options.faults;
    if (f && f.kinds.length > 0 && random() < f.rate) return f.kinds[Math.floor(random() * f.kinds.length)] ?? null;
    return null;
  }

  async function handleChat(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(await readBody(req));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      sendError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
      return;
    }
    const chat = toChatRequest(body);
    if (typeof chat === 'string') {
      sendError(res, 400, chat, 'invalid_request_error', null);
      return;
    }
    record.chat = chat;
    if (!models.includes(chat.model)) {
      sendError(
        res,
        404,
        `The model '${chat.model}' does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      );
      return;
    }
    const index = chatIndex++;
    const fault = nextFault();
    record.fault = fault;

    await sleep(options.latencyMs ?? 0);
    if (res.destroyed) return;

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
        return;
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
        return;
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
        return;
      }
      case 'hang':
        return; // never answers; the connection stays open until the client gives up or close()
      case 'reset':
        req.socket.destroy();
        return;
      default:
        break;
    }

    let text: string;
    let finishReason: 'stop' | 'length' | 'content_filter' = 'stop';
    let refusal: string | null = null;
    let reasoning = '';
    let hold: { afterChunks: number; until: () => Promise<void> } | undefined;
    const reply = await responder(chat, index);
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
    const stamp = created++;
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
      await sleep(options.chunkDelayMs ?? 0);
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
      await sleep(options.chunkDelayMs ?? 0);
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

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const auth = req.headers.authorization;
    const authorized = apiKey === null || auth === `Bearer ${apiKey}`;
    const record: RecordedRequest = {
      index: requests.length,
      method: req.method ?? 'GET',
      path,
      authorized,
      chat: null,
      fault: null,
      receivedAt: Date.now(),
    };
    requests.push(record);
    if (!authorized) {
      req.resume();
      const shown = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
      const masked = shown.length > 8 ? `${shown.slice(0, 3)}***${shown.slice(-2)}` : '***';
      sendError(
        res,
        401,
        `Incorrect API key provided: ${masked}. You can find your API key in your account settings.`,
        'invalid_request_error',
        'invalid_api_key',
      );
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' })),
        }),
      );
      return;
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => {
        inFlight--;
      });
      handleChat(req, res, record).catch((error: unknown) => {
        if (!res.headersSent) sendError(res, 500, `fake server failure: ${String(error)}`, 'server_error', null);
        else res.destroy();
      });
      return;
    }
    req.resume();
    sendError(res, 404, `Unknown request URL: ${req.method ?? ''} ${path}.`, 'invalid_request_error', 'unknown_url');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    enqueueFaults(...faults) {
      queue.push(...faults);
    },
    setResponder(next) {
      responder = next;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
