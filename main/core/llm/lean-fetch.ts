import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';

/**
 * A `fetch` for the openai client's requests whose answer is read whole (`stream: false`): one
 * request over node:http(s) through keep-alive agents (`leanRequest`, which `whole-completion.ts`
 * uses without the client), the answer's body read into memory and handed back as a `Response`. Node's own fetch (undici: WHATWG streams,
 * resource timing, a body iterator per request) costs about twice the CPU per request (measured
 * against a local server, 16 at a time: 0.9–1.1 ms against 0.4–0.5 ms), the largest share of the
 * studio's own CPU per item once a job runs at the endpoint's pace.
 *
 * Contract: what `fetch` does for a JSON POST or GET, as the openai client uses it. An aborted
 * `signal` rejects with an `AbortError` and closes the socket; a connection failure rejects with
 * Node's error (its `code`, ECONNREFUSED say, is what `openai-errors.ts` reads); a compressed
 * answer is inflated. What this does not do (a body that is neither text nor bytes, a redirect) is
 * handed to the global `fetch`. Streamed answers never come here: they need a streaming body.
 *
 * Lifecycle: the agents belong to the returned function (one per provider instance); an idle
 * socket closes after `idleSocketMs`, below the 5 s after which Node servers (and most others)
 * drop an idle keep-alive connection, so a request rarely meets one the server has just closed.
 */
export function leanFetch(options: { idleSocketMs?: number } = {}): typeof fetch {
  const agents = leanAgents(options);

  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const body = init.body;
    const plainBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (input instanceof Request || !plainBody || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      return fetch(input, init);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const answer = await leanRequest(agents, url, {
      method: init.method ?? 'GET',
      headers,
      body: body ?? undefined,
      signal: init.signal ?? null,
    });
    const { res } = answer;
    const status = res.statusCode ?? 0;
    if (isRedirect(res)) return fetch(input, init);
    const responseHeaders = new Headers();
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
      responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    const empty = status === 204 || status === 205 || status === 304 || init.method === 'HEAD';
    return new Response(empty ? null : answer.body(), {
      status,
      statusText: res.statusMessage ?? '',
      headers: responseHeaders,
    });
  };
}

/** Keep-alive agents for `leanRequest`, one pair per provider instance (see `leanFetch` on lifecycle). */
export interface LeanAgents {
  'http:': http.Agent;
  'https:': https.Agent;
}

export function leanAgents(options: { idleSocketMs?: number } = {}): LeanAgents {
  const agentOptions = { keepAlive: true, timeout: options.idleSocketMs ?? 4_000 };
  return { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
}

/** An answer read whole: the response head, and its body undone of any `Content-Encoding`. */
export interface LeanAnswer {
  res: http.IncomingMessage;
  body(): Uint8Array<ArrayBuffer>;
}

/** A 3xx that names where to go: `leanRequest` does not follow it (its callers hand it to `fetch`). */
export function isRedirect(res: http.IncomingMessage): boolean {
  const status = res.statusCode ?? 0;
  return status >= 300 && status < 400 && res.headers.location !== undefined;
}

/**
 * One request over `agents` (`url` http: or https:), its answer read into memory. An aborted
 * `signal` rejects with an `AbortError` and closes the socket; a connection failure rejects with
 * Node's error (its `code`); a body cut off mid-answer rejects with `ECONNRESET`.
 */
export async function leanRequest(
  agents: LeanAgents,
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string | Uint8Array; signal: AbortSignal | null },
): Promise<LeanAnswer> {
  const { body, signal } = init;
  if (signal?.aborted) throw abortError();
  const headers = init.headers;
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const { res, data } = await new Promise<{ res: http.IncomingMessage; data: Buffer }>((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(url, { method: init.method, headers, agent: agents[url.protocol as 'http:'] }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ res, data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
      res.on('error', reject);
      res.on('aborted', () =>
        reject(Object.assign(new Error('The server closed the connection mid-answer.'), { code: 'ECONNRESET' })),
      );
    });
    const onAbort = (): void => {
      req.destroy();
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => signal?.removeEventListener('abort', onAbort));
    req.on('error', reject);
    req.end(body);
  });
  return { res, body: () => inflate(data, res.headers['content-encoding']) };
}

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
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
