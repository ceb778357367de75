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
import {
  readBody,
  sendError,
  sendStatusFault,
  sleep,
  toChatRequest,
  writeAnswer,
  type FakeChatRequest,
  type FakeFault,
  type FakeReply,
} from './fake-llm-wire';

export type { FakeChatRequest, FakeFault, FakeReply };

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

    if (sendStatusFault(fault, req, res)) return;
    switch (fault?.kind) {
      case 'hang':
        return; // never answers; the connection stays open until the client gives up or close()
      case 'reset':
        req.socket.destroy();
        return;
      default:
        break;
    }

    const reply = await responder(chat, index);
    await writeAnswer(req, res, {
      chat,
      index,
      stamp: created++,
      reply,
      fault,
      chunkDelayMs: options.chunkDelayMs ?? 0,
    });
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
