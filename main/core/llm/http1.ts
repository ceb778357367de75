import net from 'node:net';
import tls from 'node:tls';

/** The most a response's status line and headers may take; a server sending more is refused. */
const MAX_HEAD_BYTES = 64 * 1024;

/** A response's status line and headers. `headers`: by lower-case name, repeated ones joined by ", ". */
export interface Http1Head {
  statusCode: number;
  statusMessage: string;
  /** Names and values as sent, alternating (as Node's `IncomingMessage.rawHeaders`). */
  rawHeaders: string[];
  headers: Record<string, string | undefined>;
}

export interface Http1Request {
  method: string;
  /** Sent as given (names as written); `host`, `connection` and `content-length` are the client's. */
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal: AbortSignal | null;
}

/**
 * Requests over HTTP/1.1 on keep-alive connections (TCP, or TLS for https:), each answer read
 * whole into memory. It does what a generation job's requests need and no more, with a fraction of
 * node:http's work per request (its streams, agent events and parser glue were ~0.35 ms of CPU a
 * request in a job measured at 16 calls at a time, against ~0.2 ms for the whole exchange here).
 *
 * Contract: `request` resolves once the whole answer is read: its head, and its body as sent (a
 * `Content-Encoding` is the caller's to undo). Bodies are framed by `Content-Length`, by chunked
 * transfer coding, or by the connection closing; HEAD, 204 and 304 answers have none; 1xx answers
 * before the real one are skipped. Rejects with Node's error (its `code`: ECONNREFUSED, ENOTFOUND,
 * a TLS error) when the connection fails; with `ECONNRESET` when it closes before the answer is
 * complete; with `HPE_INVALID` and a message when the answer is not HTTP/1.x; with an `AbortError`
 * when `signal` aborts (the connection is closed). A header value holding a line break is refused
 * before anything is sent. Never retries: a request is sent at most once. No redirect is followed;
 * no proxy is used (as node:http without an agent that does).
 *
 * Lifecycle: one pool per owner (a provider instance). A connection whose answer ended cleanly goes
 * back to the pool, unref'd, and closes after `idleSocketMs` unused, below the 5 s after which Node
 * servers (and most others) drop an idle keep-alive connection, so a request rarely meets one the
 * server has just closed; a connection the server closes while idle leaves the pool. One timer of
 * the pool's (unref'd) closes the connections idle too long, set while any is idle: a timer per
 * connection, set and cleared on every request, cost more than the rest of the pool's work.
 * `close()` closes the idle ones.
 */
export class Http1Pool {
  /** By origin; within each, the longest idle first (a request takes the last, the most recently used). */
  private readonly idle = new Map<string, Connection[]>();
  /** The sweep of idle connections, while any is idle. */
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: {
      idleSocketMs?: number;
      /** Certificates to trust for https: instead of the system's (a private endpoint's own CA). */
      ca?: string;
    } = {},
  ) {}

  request(url: URL, init: Http1Request): Promise<{ head: Http1Head; body: Buffer }> {
    if (init.signal?.aborted) return Promise.reject(abortError());
    const secure = url.protocol === 'https:';
    const port = Number(url.port) || (secure ? 443 : 80);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const key = `${url.protocol}//${host}:${port}`;
    let request: Buffer;
    try {
      request = requestBytes(url, init);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const connection = this.takeIdle(key) ?? this.connect(key, host, port, secure);
    return new Promise((resolve, reject) => {
      const reader = new AnswerReader(init.method === 'HEAD');
      const { socket } = connection;
      const finish = (error: Error | null): void => {
        if (connection.exchange !== exchange) return;
        connection.exchange = null;
        init.signal?.removeEventListener('abort', onAbort);
        if (error) {
          socket.destroy();
          reject(error);
          return;
        }
        if (reader.reusable) this.putIdle(connection);
        else socket.destroy();
        resolve({ head: reader.head!, body: reader.body() });
      };
      const exchange: Exchange = {
        bytes(chunk) {
          try {
            if (reader.push(chunk)) finish(null);
          } catch (error) {
            finish(error as Error);
          }
        },
        failed: finish,
        closed() {
          if (reader.endsAtClose()) finish(null);
          else finish(hangUp(reader.started));
        },
      };
      const onAbort = (): void => finish(abortError());
      connection.exchange = exchange;
      init.signal?.addEventListener('abort', onAbort, { once: true });
      socket.ref();
      socket.write(request);
    });
  }

  /** Closes the idle connections. */
  close(): void {
    for (const connections of this.idle.values()) for (const connection of connections) connection.socket.destroy();
    this.idle.clear();
    this.sweep();
  }

  private get idleSocketMs(): number {
    return this.options.idleSocketMs ?? 4_000;
  }

  private takeIdle(key: string): Connection | undefined {
    const connections = this.idle.get(key);
    while (connections && connections.length > 0) {
      const connection = connections.pop()!;
      if (!connection.socket.destroyed && connection.socket.readyState === 'open') return connection;
      connection.socket.destroy();
    }
    return undefined;
  }

  private putIdle(connection: Connection): void {
    const connections = this.idle.get(connection.key) ?? [];
    this.idle.set(connection.key, connections);
    connection.idleSince = performance.now();
    connections.push(connection);
    connection.socket.unref();
    if (this.sweeper === null) this.arm(this.idleSocketMs);
  }

  private arm(ms: number): void {
    this.sweeper = setTimeout(() => this.sweep(), ms);
    this.sweeper.unref();
  }

  /** Closes the connections idle for `idleSocketMs` or more, and sets the timer for the next one due. */
  private sweep(): void {
    if (this.sweeper !== null) clearTimeout(this.sweeper);
    this.sweeper = null;
    const now = performance.now();
    let next = Infinity;
    for (const [key, connections] of this.idle) {
      let expired = 0;
      while (expired < connections.length && now - connections[expired]!.idleSince >= this.idleSocketMs) expired++;
      for (const connection of connections.splice(0, expired)) connection.socket.destroy();
      if (connections.length === 0) this.idle.delete(key);
      else next = Math.min(next, connections[0]!.idleSince + this.idleSocketMs);
    }
    if (next !== Infinity) this.arm(Math.max(1, next - now));
  }

  /**
   * A new connection, its listeners set once for its life: while an exchange is on, they pass
   * what comes to it; while the connection is idle in the pool, anything (the server closing it,
   * bytes sent unasked, an error) takes it out and closes it, as the pool's sweep does once it has
   * been idle for `idleSocketMs`.
   * Listeners set and removed per request cost as much as reading the answer.
   */
  private connect(key: string, host: string, port: number, secure: boolean): Connection {
    const connection: Connection = { key, socket: null as unknown as net.Socket, exchange: null, idleSince: 0 };
    const drop = (): void => {
      const connections = this.idle.get(key);
      const at = connections ? connections.indexOf(connection) : -1;
      if (at >= 0) connections!.splice(at, 1);
      connection.socket.destroy();
    };
    const bytes = (chunk: Buffer): void => {
      if (connection.exchange) connection.exchange.bytes(chunk);
      else drop();
    };
    const socket = secure
      ? tls.connect({
          host,
          port,
          servername: net.isIP(host) ? undefined : host,
          ALPNProtocols: ['http/1.1'],
          ...(this.options.ca !== undefined && { ca: this.options.ca }),
        })
      : net.connect({
          host,
          port,
          // Read into a buffer of the connection's own, without a readable stream's work per read;
          // the bytes are copied out, as the answer keeps them.
          onread: {
            buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
            callback: (n: number, buffer: Uint8Array) => {
              bytes(Buffer.from(buffer.subarray(0, n)));
              return true; // go on reading
            },
          },
        });
    connection.socket = socket;
    if (secure) socket.on('data', bytes);
    socket.on('error', (error: Error) => (connection.exchange ? connection.exchange.failed(error) : drop()));
    socket.on('close', () => (connection.exchange ? connection.exchange.closed() : drop()));
    socket.setNoDelay(true);
    return connection;
  }
}

/** The bytes a plain connection reads at once (a generation job's answers are a few kB). */
const READ_BUFFER_BYTES = 64 * 1024;

/** A connection of the pool: its socket and, while a request is being answered, that exchange. */
interface Connection {
  key: string;
  socket: net.Socket;
  exchange: Exchange | null;
  /** When it last went back to the pool (performance.now() ms). */
  idleSince: number;
}

/** Where a connection passes what comes while a request is answered. */
interface Exchange {
  bytes(chunk: Buffer): void;
  failed(error: Error): void;
  closed(): void;
}

/** The request's head and body as one buffer, written in one go. */
function requestBytes(url: URL, init: Http1Request): Buffer {
  const body = init.body === undefined ? null : typeof init.body === 'string' ? Buffer.from(init.body) : init.body;
  let head = `${init.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  const own = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);
  const headers = { ...init.headers };
  if (url.username && !Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (own.has(name.toLowerCase())) continue;
    if (!/^[!#$%&'*+.^`|~\w-]+$/.test(name)) throw new TypeError(`Invalid header name: "${name}"`);
    if (/[\r\n\0]/.test(value)) throw new TypeError(`Invalid character in header content ["${name}"]`);
    head += `${name}: ${value}\r\n`;
  }
  if (body !== null) head += `Content-Length: ${body.byteLength}\r\n`;
  head += 'Connection: keep-alive\r\n\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return body === null ? headBytes : Buffer.concat([headBytes, body]);
}

/** Reads one answer from a connection's bytes, as they come. */
class AnswerReader {
  head: Http1Head | null = null;
  /** Whether any byte of the answer came. */
  started = false;
  /** Whether the connection can carry another request once the answer is read. */
  reusable = false;
  private pending: Buffer = Buffer.alloc(0);
  private readonly chunks: Buffer[] = [];
  private framing: 'none' | 'length' | 'chunked' | 'close' = 'none';
  /** Body bytes still to read (`length`), or of the current chunk (`chunked`, -1: at a size line). */
  private left = 0;
  private keepAlive = false;
  private trailers = false;

  constructor(private readonly headRequest: boolean) {}

  body(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
  }

  /** Whether the connection closing now ends the answer cleanly (a body framed by the close). */
  endsAtClose(): boolean {
    return this.head !== null && this.framing === 'close';
  }

  /** Takes bytes; true once the answer is complete. Throws on what is not HTTP/1.x. */
  push(chunk: Buffer): boolean {
    this.started = true;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.head === null) {
        if (!this.readHead()) return false;
        if (this.head === null) continue; // a 1xx answer, skipped
        if (this.framing === 'none') return this.done();
      }
      if (this.framing === 'close') {
        this.take(this.pending.length);
        return false;
      }
      if (this.framing === 'length') {
        this.take(Math.min(this.left, this.pending.length));
        return this.left === 0 ? this.done() : false;
      }
      const step = this.readChunked();
      if (step === 'more') return false;
      if (step === 'done') return this.done();
    }
  }

  private done(): boolean {
    // Bytes past the answer: the server sent what was not asked for; the connection is not reused.
    this.reusable = this.keepAlive && this.pending.length === 0;
    return true;
  }

  private take(n: number): void {
    if (n === 0) return;
    this.chunks.push(this.pending.subarray(0, n));
    this.pending = this.pending.subarray(n);
    this.left -= n;
  }

  /** Reads a head if it has all come; false if more bytes are needed. Leaves `head` null for a 1xx. */
  private readHead(): boolean {
    const end = this.pending.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.pending.length > MAX_HEAD_BYTES) throw protocolError('the answer\u2019s headers are too large');
      return false;
    }
    const lines = this.pending.subarray(0, end).toString('latin1').split('\r\n');
    this.pending = this.pending.subarray(end + 4);
    const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!status) throw protocolError(`the answer does not start with an HTTP/1.x status line`);
    const statusCode = Number(status[2]);
    const rawHeaders: string[] = [];
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw protocolError(`a header line of the answer is malformed`);
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      rawHeaders.push(name, value);
      const lower = name.toLowerCase();
      headers[lower] = headers[lower] === undefined ? value : `${headers[lower]}, ${value}`;
    }
    if (statusCode >= 100 && statusCode < 200) {
      if (statusCode === 101) throw protocolError('the server switched protocols, which was not asked for');
      return true;
    }
    this.head = { statusCode, statusMessage: status[3] ?? '', rawHeaders, headers };
    const connection = headers['connection']?.toLowerCase() ?? '';
    this.keepAlive = status[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const coding = headers['transfer-encoding']?.toLowerCase();
    const length = headers['content-length'];
    if (this.headRequest || statusCode === 204 || statusCode === 304) this.framing = 'none';
    else if (coding !== undefined) {
      if (!/(^|,)\s*chunked\s*$/.test(coding))
        throw protocolError(`the answer's transfer coding "${coding}" is not chunked`);
      this.framing = 'chunked';
      this.left = -1;
    } else if (length !== undefined) {
      const values = new Set(length.split(',').map((v) => v.trim()));
      const only = [...values][0]!;
      if (values.size !== 1 || !/^\d+$/.test(only))
        throw protocolError(`the answer's Content-Length "${length}" is invalid`);
      this.left = Number(only);
      this.framing = this.left === 0 ? 'none' : 'length';
    } else {
      this.framing = 'close';
      this.keepAlive = false;
    }
    return true;
  }

  /** Reads chunked body bytes: 'more' (needs bytes), 'done', or 'again' (read on). */
  private readChunked(): 'more' | 'done' | 'again' {
    if (this.trailers) {
      // Trailer lines up to an empty one; their content is not kept.
      const end = this.pending.indexOf('\r\n');
      if (end < 0) return 'more';
      this.pending = this.pending.subarray(end + 2);
      return end === 0 ? 'done' : 'again';
    }
    if (this.left === -1) {
      const end = this.pending.indexOf('\r\n');
      if (end < 0) {
        if (this.pending.length > 1024) throw protocolError('a chunk size line of the answer is malformed');
        return 'more';
      }
      const size = this.pending.subarray(0, end).toString('latin1').split(';')[0]!.trim();
      if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw protocolError('a chunk size line of the answer is malformed');
      this.pending = this.pending.subarray(end + 2);
      this.left = parseInt(size, 16);
      if (this.left === 0) this.trailers = true;
      else this.left += 2; // the chunk's data and the line break after it
      return 'again';
    }
    const data = Math.min(this.left - 2, this.pending.length);
    if (data > 0) this.take(data);
    if (this.left > 2) return 'more';
    if (this.pending.length < this.left) return 'more';
    if (!this.pending.subarray(0, 2).equals(CRLF))
      throw protocolError('a chunk of the answer does not end as it should');
    this.pending = this.pending.subarray(2);
    this.left = -1;
    return 'again';
  }
}

const CRLF = Buffer.from('\r\n');

function protocolError(what: string): Error {
  return Object.assign(new Error(`The server's answer is not valid HTTP: ${what}.`), { code: 'HPE_INVALID' });
}

function hangUp(started: boolean): Error {
  return Object.assign(new Error(started ? 'The server closed the connection mid-answer.' : 'socket hang up'), {
    code: 'ECONNRESET',
  });
}

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}
