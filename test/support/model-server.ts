import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Hugging Face's file server, for the model downloader's tests: HEAD and GET
 * with byte ranges (RFC 9110 §14), the file's sha256 in `x-linked-etag` as Hugging Face sends it
 * for LFS files, and on request one cut: the first ranged answer that would carry byte `cutAt` is
 * dropped after part of it was sent, as a failing connection does; or a stall: every answer that
 * would carry byte `holdAt` (ranged GETs) sends the bytes before it and then nothing more until the server
 * closes, as a connection that hangs does (the download can then be cancelled or its process killed
 * at a known point).
 */
export interface ModelServerOptions {
  body: Buffer;
  /** The sha256 the server claims (default: the body's own). */
  claimedSha256?: string | null;
  /** The size claimed in x-linked-size (default: none sent). */
  claimedSize?: number;
  /** Cut the first ranged GET whose range holds this byte offset. */
  cutAt?: number;
  /** Stall every GET whose range holds this byte offset, just before it. */
  holdAt?: number;
}

export interface ModelServer {
  baseUrl: string;
  /**
   * Every request, with the body bytes sent in answer, and whether the client closed the
   * connection before the answer was complete (a download stopped mid-way).
   */
  requests: { method: string; path: string; range: string | null; sentBytes: number; dropped: boolean }[];
  /** Resolves when a GET has reached the `holdAt` stall. */
  held: Promise<void>;
  /** Stops stalling: later requests are answered whole (the held ones stay held until close). */
  release: () => void;
  close: () => Promise<void>;
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const { body } = options;
  const sha =
    options.claimedSha256 === undefined ? createHash('sha256').update(body).digest('hex') : options.claimedSha256;
  const requests: ModelServer['requests'] = [];
  let cutDone = options.cutAt === undefined;
  let onHeld = () => {};
  let holdAt = options.holdAt;
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  const server = http.createServer((req, res) => {
    const record = {
      method: req.method ?? '',
      path: req.url ?? '',
      range: req.headers.range ?? null,
      sentBytes: 0,
      dropped: false,
    };
    requests.push(record);
    res.on('close', () => (record.dropped = !res.writableFinished));
    if (!req.url?.endsWith('.gguf')) {
      res.writeHead(req.url === '/' ? 200 : 404).end();
      return;
    }
    const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match?.[2] ? Math.min(Number(match[2]), body.length - 1) : body.length - 1;
    const headers: http.OutgoingHttpHeaders = {
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      'content-length': String(end - start + 1),
      ...(sha && { 'x-linked-etag': `"${sha}"` }),
      ...(options.claimedSize !== undefined && { 'x-linked-size': String(options.claimedSize) }),
      ...(match && { 'content-range': `bytes ${start}-${end}/${body.length}` }),
    };
    res.writeHead(match ? 206 : 200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const slice = body.subarray(start, end + 1);
    if (match && holdAt !== undefined && holdAt >= start && holdAt <= end) {
      record.sentBytes = holdAt - start;
      res.write(slice.subarray(0, holdAt - start), () => onHeld());
      return;
    }
    if (!cutDone && match && options.cutAt! >= start && options.cutAt! <= end) {
      cutDone = true;
      const part = slice.subarray(0, options.cutAt! - start);
      record.sentBytes = part.length;
      res.write(part, () => res.destroy());
      return;
    }
    record.sentBytes = slice.length;
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    held,
    release: () => (holdAt = undefined),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
