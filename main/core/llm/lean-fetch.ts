import zlib from 'node:zlib';
import { Http1Pool, type Http1Head } from './http1';

/**
 * A `fetch` for the openai client's requests whose answer is read whole (`stream: false`): one
 * request over keep-alive HTTP/1.1 connections (`leanRequest` over http1.ts, which
 * `whole-completion.ts` uses without the client), the answer's body read into memory and handed
 * back as a `Response`. Node's own fetch (undici: WHATWG streams, resource timing, a body iterator
 * per request) costs about twice what node:http does per request (measured against a local
 * server, 16 at a time: 0.9–1.1 ms against 0.4–0.5 ms), and node:http twice what http1.ts does.
 *
 * Contract: what `fetch` does for a JSON POST or GET, as the openai client uses it. An aborted
 * `signal` rejects with an `AbortError` and closes the connection; a connection failure rejects with
 * Node's error (its `code`, ECONNREFUSED say, is what `openai-errors.ts` reads); a compressed
 * answer is inflated. What this does not do (a body that is neither text nor bytes, a redirect) is
 * handed to the global `fetch`. Streamed answers never come here: they need a streaming body.
 *
 * Lifecycle: the connections belong to the returned function (one per provider instance); an idle
 * one closes after `idleSocketMs`, below the 5 s after which Node servers (and most others)
 * drop an idle keep-alive connection, so a request rarely meets one the server has just closed.
 */
export function leanFetch(options: { idleSocketMs?: number } = {}): typeof fetch {
  const connections = leanConnections(options);

  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const body = init.body;
    const plainBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (input instanceof Request || !plainBody || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      return fetch(input, init);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const answer = await leanRequest(connections, url, {
      method: init.method ?? 'GET',
      headers,
      body: body ?? undefined,
      signal: init.signal ?? null,
    });
    const { res } = answer;
    const status = res.statusCode;
    if (isRedirect(res)) return fetch(input, init);
    const responseHeaders = new Headers();
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
      responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    const empty = status === 204 || status === 205 || status === 304 || init.method === 'HEAD';
    return new Response(empty ? null : answer.body(), {
      status,
      statusText: res.statusMessage,
      headers: responseHeaders,
    });
  };
}

/** Keep-alive connections for `leanRequest`, one pool per provider instance (see `leanFetch` on lifecycle). */
export type LeanConnections = Http1Pool;

export function leanConnections(options: { idleSocketMs?: number } = {}): LeanConnections {
  return new Http1Pool({ idleSocketMs: options.idleSocketMs ?? 4_000 });
}

/** An answer read whole: the response head, and its body undone of any `Content-Encoding`. */
export interface LeanAnswer {
  res: Http1Head;
  body(): Uint8Array<ArrayBuffer>;
}

/** A 3xx that names where to go: `leanRequest` does not follow it (its callers hand it to `fetch`). */
export function isRedirect(res: Http1Head): boolean {
  const status = res.statusCode;
  return status >= 300 && status < 400 && res.headers['location'] !== undefined;
}

/**
 * One request over `connections` (`url` http: or https:), its answer read into memory (http1.ts).
 * An aborted `signal` rejects with an `AbortError` and closes the connection; a connection failure
 * rejects with Node's error (its `code`); a body cut off mid-answer rejects with `ECONNRESET`.
 */
export async function leanRequest(
  connections: LeanConnections,
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string | Uint8Array; signal: AbortSignal | null },
): Promise<LeanAnswer> {
  const { head, body } = await connections.request(url, init);
  return { res: head, body: () => inflate(body, head.headers['content-encoding']) };
}

/** The body as sent, undone of a `Content-Encoding` the server applied unasked. */
function inflate(data: Buffer, encoding: string | undefined): Uint8Array<ArrayBuffer> {
  const plain = (() => {
    switch (encoding?.trim().toLowerCase()) {
      case 'gzip':
      case 'x-gzip':
        return zlib.gunzipSync(data);
      case 'deflate':
        return zlib.inflateSync(data);
      case 'br':
        return zlib.brotliDecompressSync(data);
      default:
        return data;
    }
  })();
  return new Uint8Array(plain.buffer as ArrayBuffer, plain.byteOffset, plain.byteLength);
}
