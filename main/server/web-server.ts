import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { EventName, Events } from '../../common/contract';
import { errorText } from '../../common/sentence';
import { httpStatusOf } from '../core/errors';
import type { Studio } from '../core/studio';
import { runSliced } from '../core/time-slices';
import { jsonPieces } from './json-steps';
import { BodyTooLarge, MAX_BODY_BYTES, readJsonBody, refuseTooLarge, type ParsedBody } from './request-body';
import { sendError, sendPage, sendPieces, setSecurityHeaders } from './responses';

/**
 * The web door: the studio contract over HTTP + server-sent events, for headless boxes and tests.
 *
 *   POST /api/invoke/<command>   body: the argument object   → 200 result | 4xx/5xx {error}
 *   GET  /api/events             text/event-stream of contract events
 *   GET  /, /assets/*            the renderer
 *
 * Every request needs the per-launch token: `?token=` on the first page load (then kept in an
 * HttpOnly, SameSite=Strict cookie), or `Authorization: Bearer`. Requests naming a foreign Origin
 * or Host are refused, which also defeats DNS rebinding.
 */

/**
 * Event streams open at once, all clients together: each holds a socket and a subscription for
 * as long as it lives, so an unbounded number would let one page (or a script with the token)
 * exhaust the process. Browsers keep one per tab; 32 is many tabs.
 */
export const MAX_EVENT_STREAMS = 32;
const COOKIE = 'cs_token';
export interface WebServerOptions {
  studio: Studio;
  staticDir: string;
  host?: string;
  port?: number;
  token?: string;
  log?: (line: string) => void;
  /** Default `MAX_EVENT_STREAMS`; beyond it `/api/events` answers 429. */
  maxEventStreams?: number;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

export class WebServer {
  readonly token: string;
  private readonly server: http.Server;
  private readonly host: string;
  private readonly sse = new Set<http.ServerResponse>();
  private unsubscribe: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private port = 0;

  constructor(private readonly options: WebServerOptions) {
    this.token = options.token ?? randomBytes(24).toString('base64url');
    this.host = options.host ?? '127.0.0.1';
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.log(`request failed: ${String(error)}`);
        if (!res.headersSent) sendError(res, 500, { code: 'internal', message: 'The server failed on this request.' });
        else res.destroy();
      });
    });
    this.server.headersTimeout = 30_000;
    this.server.requestTimeout = 120_000;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.unsubscribe = this.options.studio.events.subscribe((name, payload) => this.broadcast(name, payload));
    this.heartbeat = setInterval(() => {
      for (const res of this.sse) res.write(': keep-alive\n\n');
    }, 20_000);
    this.heartbeat.unref();
    return this.url;
  }

  /** The address to open, carrying the token. */
  get url(): string {
    return `${this.origin}/?token=${this.token}`;
  }

  get origin(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host === '0.0.0.0' ? '127.0.0.1' : this.host;
    return `http://${host}:${this.port}`;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const res of this.sse) res.end();
    this.sse.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private log(line: string): void {
    this.options.log?.(this.options.studio.redact(line));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://localhost');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return sendError(res, 400, { code: 'invalid_argument', message: 'The address is not valid (bad % escape).' });
    }
    if (!this.hostAllowed(req.headers.host)) {
      return sendError(res, 403, {
        code: 'forbidden',
        message: 'Unknown Host header; open the URL that serve printed.',
      });
    }
    if (!this.originAllowed(req)) {
      return sendError(res, 403, { code: 'forbidden', message: 'Requests from other sites are refused.' });
    }
    const isPage = req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html');
    const queryToken = url.searchParams.get('token');
    if (isPage && queryToken !== null && this.tokenMatches(queryToken)) {
      res.setHeader('Set-Cookie', `${COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Path=/`);
      res.writeHead(303, { Location: '/' });
      res.end();
      return;
    }
    if (!this.authorized(req)) {
      if (isPage)
        return sendPage(res, 401, 'Open the address printed by `character-studio serve`: it carries the access token.');
      return sendError(res, 401, {
        code: 'unauthorized',
        message: 'Missing or wrong access token. Open the address printed by `character-studio serve`.',
      });
    }

    if (url.pathname.startsWith('/api/invoke/')) {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return sendError(res, 405, { code: 'invalid_argument', message: 'Commands are sent with POST.' });
      }
      return this.invoke(pathname.slice('/api/invoke/'.length), req, res);
    }
    if (url.pathname === '/api/events' && req.method === 'GET') return this.openEvents(req, res);
    if (req.method === 'GET' || req.method === 'HEAD') return this.serveStatic(pathname, res);
    return sendError(res, 404, { code: 'not_found', message: `Nothing at ${url.pathname}.` });
  }

  private async invoke(name: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) {
      return sendError(res, 415, { code: 'invalid_argument', message: 'Send the argument as application/json.' });
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return refuseTooLarge(req, res);
    let body: ParsedBody;
    try {
      body = await readJsonBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge) return refuseTooLarge(req, res);
      // The client went away mid-body, or the parsing thread failed: nothing to answer but a failure.
      return sendError(res, 400, {
        code: 'invalid_argument',
        message: `The request body could not be read (${errorText(error)}). Send it again.`,
      });
    }
    if (!body.ok) {
      return sendError(res, 400, {
        code: 'invalid_argument',
        message: `The request body is not valid JSON (${body.message}).`,
      });
    }
    const arg = body.value;
    if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) {
      return sendError(res, 400, { code: 'invalid_argument', message: 'The argument must be a JSON object.' });
    }
    const outcome = await this.options.studio.invoke(name, arg);
    // Written in slices and sent a piece at a time: an answer of megabytes (a big profile) would
    // hold the loop for tens of ms, joined and encoded whole.
    if (outcome.ok) return sendPieces(res, 200, await runSliced(jsonPieces({ result: outcome.result ?? null })));
    return sendError(res, httpStatusOf[outcome.error.code], outcome.error);
  }

  private openEvents(req: http.IncomingMessage, res: http.ServerResponse): void {
    const limit = this.options.maxEventStreams ?? MAX_EVENT_STREAMS;
    if (this.sse.size >= limit) {
      res.setHeader('Retry-After', '10');
      return sendError(res, 429, {
        code: 'unavailable',
        message: `Too many open event streams (${limit}). Close other studio tabs or windows, then reload this page.`,
      });
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.sse.add(res);
    req.on('close', () => this.sse.delete(res));
  }

  private broadcast<E extends EventName>(name: E, payload: Events[E]): void {
    if (this.sse.size === 0) return;
    // The mask is plain text, and JSON-escaped forms of a key are among those masked: the frame stays valid JSON.
    const frame = `event: ${name}\ndata: ${this.options.studio.redact(JSON.stringify(payload))}\n\n`;
    for (const res of this.sse) res.write(frame);
  }

  private serveStatic(pathname: string, res: http.ServerResponse): void {
    const root = path.resolve(this.options.staticDir);
    const relative = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
    const file = path.resolve(root, relative);
    if (file !== root && !file.startsWith(root + path.sep)) {
      return sendError(res, 404, { code: 'not_found', message: 'Not found.' });
    }
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      if (relative === 'index.html') {
        return sendPage(res, 500, 'The renderer is not built. Run `npm run build` (or `npm run serve`) first.');
      }
      return sendError(res, 404, { code: 'not_found', message: `Nothing at ${pathname}.` });
    }
    res.writeHead(200, {
      'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': data.length,
      'Cache-Control': relative === 'index.html' ? 'no-store' : 'no-cache',
    });
    res.end(data);
  }

  private tokenMatches(candidate: string): boolean {
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private authorized(req: http.IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && this.tokenMatches(auth.slice(7).trim())) return true;
    const cookie = parseCookies(req.headers.cookie)[COOKIE];
    return cookie !== undefined && this.tokenMatches(cookie);
  }

  private allowedHosts(): Set<string> {
    const port = String(this.port);
    const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
    if (!['127.0.0.1', 'localhost', '::1'].includes(this.host)) hosts.add(`${this.host}:${port}`);
    return hosts;
  }

  private hostAllowed(host: string | undefined): boolean {
    if (!host) return false;
    // Bound to every interface on purpose: the user chose to be reachable by any name.
    if (this.host === '0.0.0.0' || this.host === '::') return true;
    return this.allowedHosts().has(host.toLowerCase());
  }

  private originAllowed(req: http.IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (req.headers['sec-fetch-site'] === 'cross-site') return false;
    if (origin === undefined) return true;
    if (origin === 'null') return false;
    try {
      const parsed = new URL(origin);
      return parsed.protocol === 'http:' && this.hostAllowed(parsed.host);
    } catch {
      return false;
    }
  }
}

function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0) cookies[part.slice(0, index).trim()] = part.slice(index + 1).trim();
  }
  return cookies;
}
