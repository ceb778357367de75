import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { isRedirect, leanConnections, leanRequest, type LeanConnections } from './lean-fetch';

/** What `WholeCompletions.create` answers for a redirect: the caller sends it through the client. */
export const REDIRECTED: unique symbol = Symbol('redirected');

/**
 * `POST <baseURL>/chat/completions` answered whole (`stream: false`, the requests of a generation
 * job), sent over `leanRequest` without the openai client, whose per-request work (request and
 * header objects, a WHATWG `Response` around a body already in memory, its logging, an extra timer
 * and abort controller, promise layers) was about a third of the studio's own CPU per job item
 * (test/bench/generation-job.ts, concurrency 16: 3.5 → 2.5 ms per item, measured alternately).
 *
 * Contract: resolves to what `client.chat.completions.create({ ..., stream: false })` resolves to
 * with `maxRetries: 0`, and rejects with what it throws, of the same classes with the same status,
 * body and headers, so `openai-errors.ts` reads both paths alike
 * (test/unit/llm/whole-completion.contract.test.ts holds the two together against the fake server):
 * - a connection failure is `APIConnectionError` with Node's error as `cause`; one that reads as a
 *   timeout `APIConnectionTimeoutError`; a request whose `signal` was aborted `APIUserAbortError`;
 * - a status outside 2xx is `APIError.generate(status, the body's JSON or undefined, its text when
 *   not JSON, the headers)` (`Retry-After` is read from those headers);
 * - a 2xx JSON body is parsed (a malformed one throws `SyntaxError`), a 204 is `null`, a body of
 *   another type is its text;
 * - a redirect is not followed: `REDIRECTED` tells the caller to send the request through the
 *   client, whose fetch follows it.
 * The caller's own timers abort `signal`; this sets none.
 *
 * Lifecycle: one per provider instance, which owns its keep-alive agents (see `leanFetch`).
 */
export class WholeCompletions {
  private readonly connections: LeanConnections = leanConnections();
  private readonly url: URL;

  constructor(
    baseURL: string,
    /** Sent as `Authorization: Bearer`; local servers take none, but the client sends one anyway. */
    private readonly apiKey: string,
  ) {
    this.url = new URL(`${baseURL}/chat/completions`);
  }

  async create(body: object, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) throw new APIUserAbortError();
    let answer;
    try {
      answer = await leanRequest(this.connections, this.url, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          authorization: `Bearer ${this.apiKey}`,
        },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      throw connectionError(error, signal);
    }
    const { res } = answer;
    if (isRedirect(res)) return REDIRECTED;
    const status = res.statusCode;
    if (status < 200 || status > 299) {
      const text = bodyText(answer.body());
      const json = safeJson(text);
      throw APIError.generate(status, json, json ? undefined : text, headersOf(res.rawHeaders));
    }
    if (status === 204) return null;
    const mediaType = res.headers['content-type']?.split(';')[0]?.trim();
    if (mediaType?.includes('application/json') || mediaType?.endsWith('+json')) {
      if (res.headers['content-length'] === '0') return undefined;
      return JSON.parse(bodyText(answer.body())) as unknown;
    }
    return bodyText(answer.body());
  }
}

/** As the client classes a failed fetch: cancelled, timed out, or a connection error. */
function connectionError(error: unknown, signal: AbortSignal): Error {
  if (signal.aborted) return new APIUserAbortError();
  const cause = error instanceof Error ? error : new Error(String(error));
  const timedOut =
    cause.name === 'AbortError' || /timed? ?out/i.test(String(cause) + ('cause' in cause ? String(cause.cause) : ''));
  if (timedOut) return new APIConnectionTimeoutError();
  return new APIConnectionError({ cause });
}

/** The body as `Response.text()` reads it: UTF-8, a leading byte-order mark dropped. */
function bodyText(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function safeJson(text: string): object | undefined {
  try {
    return JSON.parse(text) as object;
  } catch {
    return undefined;
  }
}

function headersOf(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}
