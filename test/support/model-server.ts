import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Hugging Face's file server, for the model downloader's tests: HEAD and GET
 * with byte ranges (RFC 9110 §14), the file's sha256 in `x-linked-etag` as Hugging Face sends it
 * for LFS files, and on request one cut: the first ranged answer that would carry byte `cutAt` is
 * dropped after part of it was sent, as a failing connection does.
 */
export interface ModelServerOptions {
  body: Buffer;
  /** The sha256 the server claims (default: the body's own). */
  claimedSha256?: string | null;
  /** The size claimed in x-linked-size (default: none sent). */
  claimedSize?: number;
  /** Cut the first ranged GET whose range holds this byte offset. */
  cutAt?: number;
}

export interface ModelServer {
  baseUrl: string;
  requests: { method: string; path: string; range: string | null }[];
  close: () => Promise<void>;
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const { body } = options;
  const sha =
    options.claimedSha256 === undefined ? createHash('sha256').update(body).digest('hex') : options.claimedSha256;
  const requests: ModelServer['requests'] = [];
  let cutDone = options.cutAt === undefined;
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', range: req.headers.range ?? null });
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
    if (!cutDone && match && options.cutAt! >= start && options.cutAt! <= end) {
      cutDone = true;
      const part = slice.subarray(0, options.cutAt! - start);
      res.write(part, () => res.destroy());
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
